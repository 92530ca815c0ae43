# Shared by test-install and test-package (sourced): arguments, a private
# temporary directory removed on exit, and the checks.
set -euo pipefail

build=$1 src=$2 bindir=$3 agentdir=$4 interposerdir=$5 scenariodir=$6
docdir=$7

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lk-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

ok() {
	echo "ok: $*"
}

# expect_status WANT CMD...: run CMD (stdout to $tmp/out, stderr to
# $tmp/err), check its exit status.
expect_status() {
	local want=$1 got=0
	shift
	"$@" >"$tmp/out" 2>"$tmp/err" || got=$?
	if [ "$got" -ne "$want" ]; then
		fail "exit $got, not $want: $*"
		sed 's/^/  stderr: /' "$tmp/err" >&2
		return 1
	fi
	ok "exit $want: $*"
}

# has FILE TEXT: FILE holds the fixed string TEXT.
has() {
	if grep -qF -- "$2" "$1"; then
		ok "$(basename "$1") has: $2"
	else
		fail "$(basename "$1") lacks: $2"
		sed 's/^/  | /' "$1" >&2
	fi
}

# The events of a trace (the header, with the run's time and paths, aside).
events() {
	tail -n +2 "$1"
}

# check_root ROOT: the files an installation under ROOT must have, and
# not have.
check_root() {
	local root=$1 f
	[ -x "$root/$bindir/lockstep" ] || fail "no $bindir/lockstep"
	[ -x "$root/$agentdir/lockstep-agent" ] ||
		fail "no $agentdir/lockstep-agent"
	[ -f "$root/$interposerdir/liblockstep-interpose.so" ] ||
		fail "no $interposerdir/liblockstep-interpose.so"
	# bin holds lockstep alone: the agent is internal.
	f=$(cd "$root/$bindir" && ls -A)
	[ "$f" = lockstep ] || fail "$bindir holds: $f"
	# Every shipped scenario and the schema.
	(cd "$src/scenarios" && find . -name '*.xml' -o -name '*.xsd') |
		sort >"$tmp/want"
	(cd "$root/$scenariodir" && find . -type f) | sort >"$tmp/got"
	[ -s "$tmp/want" ] && grep -qx './lockstep.xsd' "$tmp/want" ||
		fail "no scenarios or schema in the source tree"
	diff "$tmp/want" "$tmp/got" >&2 ||
		fail "$scenariodir is not scenarios/ (diff above)"
	# README.md, docs/*.md, and every image they show.
	[ -f "$root/$docdir/README.md" ] || fail "no $docdir/README.md"
	for f in "$src"/docs/*.md; do
		[ -f "$root/$docdir/docs/${f##*/}" ] ||
			fail "no $docdir/docs/${f##*/}"
	done
	(cd "$root/$docdir" &&
		sed -n 's/.*](\(docs\/img\/[^)]*\)).*/\1/p' README.md &&
		for f in docs/*.md; do
			sed -n 's/.*](\(img\/[^)]*\)).*/docs\/\1/p' "$f"
		done) | sort -u >"$tmp/images"
	[ -s "$tmp/images" ] || fail "no image referenced by the docs"
	while read -r f; do
		[ -f "$root/$docdir/$f" ] || fail "no $docdir/$f (shown by the docs)"
	done <"$tmp/images"
	# The man pages and the completions, once their sources are in the
	# tree (cmake/Man.cmake, which needs scdoc; cmake/Completion.cmake).
	if [ -f "$src/cmake/Man.cmake" ] && command -v scdoc >/dev/null; then
		for f in "$src"/man/*.scd; do
			[ -e "$f" ] || continue
			f=${f##*/}
			f=${f%.scd}
			compgen -G "$root/share/man/man${f##*.}/$f*" >/dev/null ||
				fail "no share/man/man${f##*.}/$f"
		done
	fi
	if [ -f "$src/cmake/Completion.cmake" ]; then
		[ -f "$root/share/bash-completion/completions/lockstep" ] ||
			fail "no bash completion"
	fi
	ok "files of $root checked ($(wc -l <"$tmp/got") in scenarios, $(wc -l <"$tmp/images") images)"
}
