#!/usr/bin/env zsh
# Print what zsh's completion offers for command lines:
#   zsh-complete.zsh COMPDIR LINE...
# prints, for each LINE in order, a line "=== N" then its candidates, one
# a line, sorted. One interactive zsh in a pseudo-terminal (zpty) loads
# _lockstep from COMPDIR; compadd is wrapped to print each candidate it
# adds, and the Tab widget prints a marker when completion is over, which
# the reader waits for (no sleeping); Ctrl-U then clears the line.
emulate -L zsh
zmodload zsh/zpty || exit 77

compdir=$1
shift
# compinit's dump file in a directory of our own: zsh writes a dump next
# to the name it is given and renames it over that name, so a dump named
# /dev/null replaced the device with a regular file (as root).
tmp=$(mktemp -d) || exit 1
trap 'rm -rf -- "$tmp"' EXIT
zpty z zsh -f -i
zpty -w z "PROMPT= RPROMPT= PS2=; unsetopt zle_bracketed_paste 2>/dev/null"
zpty -w z "fpath=(${(q)compdir} \$fpath); autoload -Uz compinit; compinit -u -d ${(q)tmp}/zcompdump"
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
# The marker and the prefix are split in the source, so that the terminal's
# echo of these lines does not look like output.
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
  local -a __hits; builtin compadd -A __hits "$@"; local h
  for h in $__hits; do print -r -- "HI""T:$h"; done
  builtin compadd "$@" }'
zpty -w z '_ls_tab() { _main_complete "$@"; print -r -- "END-OF-""COMPLETION" }'
zpty -w z 'zle -C ls-tab complete-word _ls_tab; bindkey "^I" ls-tab; bindkey "^U" kill-whole-line'
n=0
for line in "$@"; do
  (( n++ ))
  zpty -n -w z "$line"$'\t'
  out=""
  while zpty -r z chunk; do
    out+=$chunk
    [[ $out == *END-OF-COMPLETION* ]] && break
  done
  zpty -n -w z $'\C-u'
  print -r -- "=== $n"
  print -r -- "$out" | tr -d '\r' | sed -n 's/^.*HIT:\(.*\)$/\1/p' | sort -u
done
zpty -d z
