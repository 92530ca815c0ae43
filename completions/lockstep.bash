# bash completion for lockstep(1): commands, each command's options, the
# values of the options that take a word, and the kind of file each
# argument is: scenarios (*.xml), schedules (*.sched), traces (*.jsonl),
# summaries (*.json), diagrams (*.svg, *.png, *.pdf, *.dot, *.html). After "--",
# the program to run and its arguments.
# The option lists are those of `lockstep help CMD`; tests/completion
# checks that they stay the same.

_lockstep_commands="run replay explore render export merge check help"

_lockstep_opts_run="--strategy --seed --schedule --strict --perturb --json --trace --diagram
 --save-schedule --workdir --expect-exit --max-steps --max-procs
 --max-output --step-timeout --timeout --track-shm --stable-pids --sandbox
 --no-isolation -q --quiet --color -h --help"
_lockstep_opts_replay="--strategy --seed --scenario --strict --perturb --check --json --trace
 --diagram --save-schedule --workdir --max-steps --max-procs --max-output
 --step-timeout --timeout -q --quiet --color -h --help"
_lockstep_opts_explore="--strategy --seed --runs --depth --max-runs
 --preemption-bound --no-reduction --perturb --save-schedule --save-dir --json --top
 --stop-at-first --junit --progress --expect-exit --max-steps --max-procs --max-output --step-timeout
 --time-limit --track-shm --stable-pids --no-isolation -j --jobs --shard
 --no-zygote -q --quiet --color -h --help"
_lockstep_opts_render="-o --output --title --dpi --from --to --engine --theme
 --time-axis --row-per-step --size --slide --frames --frames-format --frames-max
 -h --help"
_lockstep_opts_export="--perfetto --shiviz -h --help"
_lockstep_opts_merge="-h --help"
_lockstep_opts_check="--json -h --help"
_lockstep_opts_help="-h --help"

# Files whose names match the extended glob $1, and directories.
_lockstep_files()
{
	local f
	local -a all
	compopt -o filenames 2>/dev/null
	COMPREPLY=()
	mapfile -t all < <(compgen -f -- "$cur")
	for f in "${all[@]}"; do
		# shellcheck disable=SC2053
		if [[ -d $f || $f == $1 ]]; then
			COMPREPLY+=("$f")
		fi
	done
}

# Directories only.
_lockstep_dirs()
{
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -d -- "$cur")
}

_lockstep_words()
{
	mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
}

# The value of option $prev of command $cmd; returns 1 when $prev takes
# no value (the word is then an option or an argument).
_lockstep_value()
{
	case $prev in
	--strategy)
		case $cmd in
		explore) _lockstep_words "dfs random pct" ;;
		*) _lockstep_words "default random pct" ;;
		esac ;;
	--color) _lockstep_words "auto always never" ;;
	--engine) _lockstep_words "nop2 dot" ;;
	--theme) _lockstep_words "light dark print" ;;
	--expect-exit) _lockstep_words "0 1 any" ;;
	--schedule|--save-schedule) _lockstep_files '*.sched' ;;
	--scenario|--junit) _lockstep_files '*.xml' ;;
	--trace) _lockstep_files '*.jsonl' ;;
	--diagram|-o|--output) _lockstep_files '*.@(svg|png|pdf|dot|html)' ;;
	--perfetto) _lockstep_files '*.json' ;;
	--shiviz) _lockstep_files '*.log' ;;
	--workdir|--save-dir) _lockstep_dirs ;;
	--frames) _lockstep_files '*.pdf' ;;
	--frames-format) _lockstep_words "svg png dot" ;;
	--slide) _lockstep_words "16:9 4:3" ;;
	--seed|--runs|--depth|--max-runs|--preemption-bound|--check|\
	--max-steps|--max-procs|--max-output|--step-timeout|--timeout|\
	--time-limit|-j|--jobs|--shard|--title|--dpi|--from|--to|--size|--top|\
	--frames-max)
		COMPREPLY=() ;;
	*) return 1 ;;
	esac
	return 0
}

_lockstep()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local cword=$COMP_CWORD cmd="" i w opts eq=""
	local -a words=("${COMP_WORDS[@]}")

	COMPREPLY=()
	shopt -s extglob
	# --opt=value, split at '=' by COMP_WORDBREAKS, or not.
	if [[ $cur == = ]]; then
		cur=""
	elif [[ $prev == = && $cword -ge 2 ]]; then
		prev=${words[cword-2]}
	elif [[ $cur == --*=* ]]; then
		prev=${cur%%=*}
		cur=${cur#*=}
		eq=$prev=
	fi

	# The command: the first word after lockstep that is not an option.
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		if [[ $w != -* ]]; then
			cmd=$w
			break
		fi
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			_lockstep_words "-h --help -V --version"
		else
			_lockstep_words "$_lockstep_commands"
		fi
		return 0
	fi

	# After "--" of run or explore: a program, then its arguments.
	if [[ $cmd == run || $cmd == explore ]]; then
		for ((i = i + 1; i < cword; i++)); do
			if [[ ${words[i]} == -- ]]; then
				if ((i + 1 == cword)); then
					mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
				elif declare -F _command_offset >/dev/null; then
					_command_offset $((i + 1))
				else
					_lockstep_files '*'
				fi
				return 0
			fi
		done
	fi

	if _lockstep_value; then
		# A word not split at '=': the replies keep the option.
		if [[ -n $eq ]]; then
			for i in "${!COMPREPLY[@]}"; do
				COMPREPLY[i]=$eq${COMPREPLY[i]}
			done
		fi
		return 0
	fi

	if [[ $cur == -* ]]; then
		case $cmd in
		run|replay|explore|render|export|merge|check|help)
			opts=_lockstep_opts_$cmd
			_lockstep_words "${!opts}"
			;;
		esac
		return 0
	fi

	case $cmd in
	run|explore|check) _lockstep_files '*.xml' ;;
	replay) _lockstep_files '*.sched' ;;
	render|export) _lockstep_files '*.jsonl' ;;
	merge) _lockstep_files '*.json' ;;
	help) _lockstep_words "$_lockstep_commands" ;;
	esac
	return 0
}

complete -F _lockstep lockstep
