#!/usr/bin/env python3
"""The bash or zsh completion of lockstep, driven as the shell drives it,
offers what lockstep takes: the commands `lockstep help` lists; for each
command exactly the options `lockstep help CMD` lists (none missing, none
stale); the strategy, colour, engine and theme names lockstep's own parser
accepts; and the right kind of file for each argument. bash: the file is
sourced and _lockstep called with COMP_WORDS/COMP_CWORD. zsh: an
interactive zsh in a pseudo-terminal completes the line
(zsh-complete.zsh). Exit 0, 1 listing every problem, 77 when the shell is
missing."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "man"))
import helptext  # noqa: E402

problems = []


def bash_complete(comp, cwd, line):
    """bash's candidates for LINE (the last word the one completed)."""
    words = line.split(" ")
    script = ('source "$1"; shift; COMP_WORDS=("$@"); '
              'COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _lockstep; '
              'printf "%s\\n" "${COMPREPLY[@]}"')
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script, "_",
                        os.path.join(comp, "lockstep.bash"), *words],
                       cwd=cwd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0 or p.stderr:
        problems.append("bash %r: exit %d: %s" % (line, p.returncode,
                                                    p.stderr.strip()))
    return set(x for x in p.stdout.split("\n") if x)


def zsh_complete(comp, cwd, lines):
    """zsh's candidates for each of LINES, file names unquoted: one
    interactive zsh completes them all (zsh-complete.zsh)."""
    p = subprocess.run(["zsh", "-f", os.path.join(HERE, "zsh-complete.zsh"),
                        comp, *lines], cwd=cwd, capture_output=True,
                       text=True, timeout=240)
    if p.returncode != 0:
        problems.append("zsh-complete.zsh: exit %d: %s"
                        % (p.returncode, p.stderr.strip()))
    got, cur = {}, None
    for x in p.stdout.split("\n"):
        if x.startswith("=== "):
            cur = lines[int(x[4:]) - 1]
            got[cur] = set()
        elif x and cur is not None:
            got[cur].add(x.replace("\\ ", " "))
    return got


def judge(line, got, want, exact):
    want = set(want)
    if exact and got != want:
        problems.append("%r: offers %s; expected %s (missing %s, extra %s)"
                        % (line, sorted(got), sorted(want),
                           sorted(want - got), sorted(got - want)))
    elif not exact and not want <= got:
        problems.append("%r: offers %s; expected at least %s"
                        % (line, sorted(got), sorted(want)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shell", choices=("bash", "zsh"), required=True)
    ap.add_argument("--lockstep", required=True)
    ap.add_argument("--completions", required=True)
    a = ap.parse_args()
    if shutil.which(a.shell) is None:
        print("check-completion: %s is not installed: skipped" % a.shell)
        return 77
    ls = os.path.abspath(a.lockstep)
    comp = os.path.abspath(a.completions)
    if a.shell == "zsh":
        p = subprocess.run(["zsh", "-n", os.path.join(comp, "_lockstep")],
                           capture_output=True, text=True)
        if p.returncode != 0:
            problems.append("zsh -n _lockstep: " + p.stderr.strip())

    with tempfile.TemporaryDirectory(prefix="lockstep-completion-") as d:
        for f in ("a.xml", "b.sched", "t.jsonl", "s.json", "d.svg",
                  "e.png", "x.txt", "w.log"):
            open(os.path.join(d, f), "w").close()
        os.mkdir(os.path.join(d, "sub"))
        scenario = os.path.join(d, "a.xml")
        shutil.copy(os.path.join(os.path.dirname(a.completions),
                                 "scenarios", "rendezvous.xml"), scenario)

        cases = []

        def expect(line, want, exact=True):
            cases.append((line, want, exact))

        cmds = helptext.commands(ls)
        expect("lockstep ", cmds)
        expect("lockstep -", helptext.options(ls))
        for cmd in cmds:
            # `help help` is no help page (yet): help takes -h, --help.
            opts = set(helptext.options(ls, cmd)) if cmd != "help" else set()
            for o in ("-h", "--help"):
                if subprocess.run([ls, cmd, o], capture_output=True,
                                  timeout=60).returncode == 0:
                    opts.add(o)
            expect("lockstep %s -" % cmd, opts)
            if cmd in ("run", "replay", "explore"):
                expect("lockstep %s --strategy " % cmd,
                       helptext.choices(ls, cmd, "--strategy", scenario))
        expect("lockstep help ", cmds)
        expect("lockstep run --color ",
               helptext.choices(ls, "run", "--color", scenario))
        for o in ("--engine", "--theme"):
            expect("lockstep render t.jsonl %s " % o,
                   helptext.choices(ls, "render", o, "t.jsonl", "-o",
                                    "x.svg"))
        # The kind of file each argument is; directories to descend into.
        expect("lockstep run ", {"a.xml", "sub"})
        expect("lockstep explore ", {"a.xml", "sub"})
        expect("lockstep check a.xml ", {"a.xml", "sub"})
        expect("lockstep replay ", {"b.sched", "sub"})
        expect("lockstep run a.xml --schedule ", {"b.sched", "sub"})
        expect("lockstep replay b.sched --scenario ",
               {"a.xml", "sub"})
        expect("lockstep render ", {"t.jsonl", "sub"})
        expect("lockstep export ", {"t.jsonl", "sub"})
        expect("lockstep merge ", {"s.json", "sub"})
        expect("lockstep render t.jsonl -o ",
               {"d.svg", "e.png", "sub"})
        expect("lockstep run a.xml --diagram ",
               {"d.svg", "e.png", "sub"})
        expect("lockstep run a.xml --trace ", {"t.jsonl", "sub"})
        expect("lockstep explore a.xml --save-dir ", {"sub"})
        expect("lockstep export t.jsonl --shiviz ",
               {"w.log", "sub"})
        expect("lockstep run a.xml --seed ", set())
        # After "--": a command, then that command's arguments (files).
        expect("lockstep run -- ech", {"echo"}, exact=False)
        expect("lockstep explore -q -- ech", {"echo"}, exact=False)
        expect("lockstep run -q -- cat ", {"x.txt", "a.xml"},
               exact=False)
        if a.shell == "bash":
            expect("lockstep run --strategy=r", {"--strategy=random"})
        else:
            expect("lockstep run --strategy=r", {"random"})

        if a.shell == "bash":
            for line, want, exact in cases:
                judge(line, bash_complete(comp, d, line), want, exact)
        else:
            got = zsh_complete(comp, d, [c[0] for c in cases])
            for line, want, exact in cases:
                judge(line, got.get(line, set()), want, exact)

    for p in problems:
        print("check-completion: %s: %s" % (a.shell, p))
    print("check-completion: %s: %d problems" % (a.shell, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
