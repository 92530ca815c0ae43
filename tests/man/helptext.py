"""Read what `lockstep help` and `lockstep help CMD` print: the commands
and each command's options. Shared by the man page and completion tests,
so both hold the docs to the same list the parser's own table prints."""
import re
import subprocess

# One option with its argument, as the help's first column writes them:
# "-q, --quiet", "--from N, --to M", "--expect-exit N|any", "--size W,H".
_OPT = re.compile(
    r"(-{1,2}[A-Za-z0-9][A-Za-z0-9-]*)(?: [A-Z](?:[A-Za-z0-9|./]|,(?! ))*)?")


def run_help(lockstep, *args):
    """The text `lockstep help ARGS` prints; fails on a non-zero exit."""
    p = subprocess.run([lockstep, "help", *args], capture_output=True,
                       text=True, timeout=60)
    if p.returncode != 0:
        raise SystemExit("lockstep help %s: exit %d: %s"
                         % (" ".join(args), p.returncode, p.stderr.strip()))
    return p.stdout


def _section(text, title):
    """The lines of a help section: after 'title:' up to a blank line."""
    lines, inside = [], False
    for line in text.splitlines():
        if line == title + ":":
            inside = True
        elif inside and line.strip() == "":
            break
        elif inside:
            lines.append(line)
    return lines


def commands(lockstep):
    """The commands `lockstep help` lists, in order, each once."""
    seen = []
    for line in _section(run_help(lockstep), "commands"):
        m = re.match(r"^  ([a-z]+)\b", line)
        if m and m.group(1) not in seen:
            seen.append(m.group(1))
    if not seen:
        raise SystemExit("lockstep help: no commands section")
    return seen


def options_of_line(line):
    """The options an option line of a help names ('--from N, --to M')."""
    rest, found = line[2:], []
    while True:
        m = _OPT.match(rest)
        if not m:
            return found
        found.append(m.group(1))
        rest = rest[m.end():]
        if not rest.startswith(", -"):
            return found
        rest = rest[2:]


def options(lockstep, *cmd):
    """Every option `lockstep help [CMD]` lists under 'options:'."""
    found = []
    for line in _section(run_help(lockstep, *cmd), "options"):
        if line.startswith("  -"):
            found.extend(options_of_line(line))
    return found


def choices(lockstep, cmd, option, *args):
    """The values OPTION of CMD takes, as lockstep's own refusal of a bad
    one lists them ("expected default, random or pct")."""
    p = subprocess.run([lockstep, cmd, *args, option, "no-such-value"],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"'no-such-value': expected ([^;\n]*)", p.stderr)
    if p.returncode != 2 or not m:
        raise SystemExit("lockstep %s %s no-such-value: exit %d, %r: no "
                         "list of values" % (cmd, option, p.returncode,
                                             p.stderr))
    return [v for v in re.split(r", | or ", m.group(1).strip()) if v]
