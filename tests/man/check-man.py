#!/usr/bin/env python3
"""The man pages stay true to lockstep: every page renders without a
warning and without leftover scdoc markup; every command `lockstep help`
lists has a page; every option `lockstep help CMD` lists is documented in
CMD's page, and every option a page documents exists; every element and
attribute of lockstep.xsd is in lockstep-scenario(5), whose example
scenario passes `lockstep check`. Exit 0, or 1 listing every problem."""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import helptext  # noqa: E402

problems = []


def problem(msg):
    problems.append(msg)


def section(src, title):
    """The text of '# TITLE' in an scdoc source, up to the next '# '."""
    m = re.search(r"^# %s\n(.*?)(?=^# |\Z)" % re.escape(title), src,
                  re.S | re.M)
    return m.group(1) if m else ""


def undated(page):
    """The page without the date of its .TH line."""
    return re.sub(r'^(\.TH "[^"]*" "[^"]*") "[^"]*"', r"\1", page,
                  flags=re.M)


def check_render(source_dir, pages_dir, sources):
    """Each built page exists, renders with groff -ww without a word on
    stderr, and shows no scdoc markup that was not understood."""
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    for name in sources:
        page = os.path.join(pages_dir, name)
        if not os.path.exists(page):
            problem("%s: not built (is scdoc installed?)" % page)
            continue
        with open(os.path.join(source_dir, name + ".scd")) as src, \
                open(page) as built:
            fresh = subprocess.run(["scdoc"], stdin=src, capture_output=True,
                                   text=True)
            # scdoc dates the .TH line with the day it ran: a page built
            # before midnight is not stale after it
            stale = undated(built.read()) != undated(fresh.stdout)
        if fresh.returncode != 0:
            problem("%s.scd: scdoc: %s" % (name, fresh.stderr.strip()))
        elif stale:
            problem("%s: older than %s.scd: rebuild (cmake --build)"
                    % (page, name))
        g = subprocess.run(["groff", "-man", "-ww", "-z", page],
                           capture_output=True, text=True)
        if g.returncode != 0 or g.stderr:
            problem("%s: groff -ww: %s" % (name, g.stderr.strip()))
        m = subprocess.run(["man", "--warnings", "-l", page],
                           capture_output=True, text=True, env=env)
        if m.returncode != 0 or m.stderr:
            problem("%s: man --warnings: %s" % (name, m.stderr.strip()))
        for n, line in enumerate(m.stdout.splitlines(), 1):
            if re.search(r"(?<![\w\\])_[A-Za-z][\w.+-]*_(?!\w)"
                         r"|(?<![\w\\])\*[A-Za-z-][\w-]*\*(?!\w)", line):
                problem("%s: rendered line %d shows scdoc markup: %s"
                        % (name, n, line.strip()))


def page_names(src):
    """The names a page's NAME section gives ('lockstep-run, lockstep-replay')."""
    first = section(src, "NAME").strip().split(" - ")[0]
    return [n.strip() for n in first.split(",")]


def documented_options(src):
    """The options a page's OPTIONS section defines: bold options at the
    start of a definition term line ('*-q*, *--quiet*')."""
    found = []
    for line in section(src, "OPTIONS").splitlines():
        if line.startswith("*-"):
            found.extend(re.findall(r"\*(-{1,2}[A-Za-z0-9][\w-]*)\*", line))
    return found


def exit_statuses(help_text):
    """The statuses a help's 'exit status:' paragraph gives ('0', '128+N')."""
    m = re.search(r"^exit status: (.*?)(?:\n\n|\Z)", help_text, re.S | re.M)
    text = " ".join(m.group(1).split()) if m else ""
    return re.findall(r"(?:^|; )(\d+(?:\+N)?) ", text)


def check_commands(lockstep, srcs):
    """Every command has a page that documents every option it lists, and
    a page documents no option its commands do not take."""
    by_name = {}
    for fname, src in srcs.items():
        for n in page_names(src):
            by_name[n] = fname
    main = srcs.get("lockstep.1.scd", "")
    taken = {}
    for cmd in helptext.commands(lockstep):
        if cmd == "help":
            if not re.search(r"^\*help\* ", section(main, "COMMANDS"), re.M):
                problem("lockstep.1.scd: COMMANDS has no *help*")
            continue
        fname = by_name.get("lockstep-" + cmd)
        if fname is None:
            problem("command %s: no man page names lockstep-%s in NAME"
                    % (cmd, cmd))
            continue
        if not re.search(r"^\*%s\* " % cmd, section(main, "COMMANDS"), re.M):
            problem("lockstep.1.scd: COMMANDS has no *%s*" % cmd)
        for st in exit_statuses(helptext.run_help(lockstep, cmd)):
            if not re.search(r"(?<![\w+])%s(?![\w+])" % re.escape(st),
                             section(srcs[fname], "EXIT STATUS")):
                problem("%s: exit status %s of `lockstep help %s` is not "
                        "in EXIT STATUS" % (fname, st, cmd))
        opts = helptext.options(lockstep, cmd)
        taken.setdefault(fname, set()).update(opts)
        # Every command takes -h and --help, listed in its help or not.
        for o in ("-h", "--help"):
            if subprocess.run([lockstep, cmd, o], capture_output=True,
                              timeout=60).returncode == 0:
                taken[fname].add(o)
        have = set(documented_options(srcs[fname]))
        for o in opts:
            if o not in have:
                problem("%s: option %s of `lockstep help %s` is not in "
                        "OPTIONS" % (fname, o, cmd))
    # `lockstep help` names every page.
    text = " ".join(helptext.run_help(lockstep).split())
    for fname in srcs:
        page = "%s(%s)" % tuple(fname[:-len(".scd")].rsplit(".", 1))
        if page not in text:
            problem("`lockstep help` does not name %s" % page)
    # The exit statuses and the environment `lockstep help` lists.
    help_text = helptext.run_help(lockstep)
    statuses = exit_statuses(help_text)
    if not statuses:
        problem("`lockstep help` has no exit status paragraph")
    for st in statuses:
        if not re.search(r"^\*%s\*$" % re.escape(st),
                         section(main, "EXIT STATUS"), re.M):
            problem("lockstep.1.scd: exit status %s of `lockstep help` is "
                    "not in EXIT STATUS" % st)
    for var in re.findall(r"^  ([A-Z][A-Z0-9_]+) ", help_text, re.M):
        if "*%s*" % var not in section(main, "ENVIRONMENT"):
            problem("lockstep.1.scd: %s of `lockstep help` is not in "
                    "ENVIRONMENT" % var)
    for o in helptext.options(lockstep):
        if o not in set(documented_options(main)):
            problem("lockstep.1.scd: option %s of `lockstep help` is not "
                    "in OPTIONS" % o)
    for fname, opts in taken.items():
        for o in documented_options(srcs[fname]):
            if o not in opts:
                problem("%s: documents %s, which none of its commands "
                        "takes" % (fname, o))


def check_scenario_page(lockstep, xsd, src):
    """Every element of the schema has a definition in the page ('*<name*'
    starting a term line), and the attributes of that element appear as
    '*attr=*' in one of its definitions. The example passes check."""
    xs = "{http://www.w3.org/2001/XMLSchema}"
    root = ET.parse(xsd).getroot()
    types = {t.get("name"): t for t in root.iter(xs + "complexType")
             if t.get("name")}
    wanted = {}
    for el in root.iter(xs + "element"):
        name = el.get("name")
        t = types.get(el.get("type")) if el.get("type") else el.find(
            xs + "complexType")
        attrs = wanted.setdefault(name, set())
        if t is not None:
            # Own attributes only: those of nested anonymous elements
            # (semop's op) belong to those elements.
            stack = [t]
            while stack:
                node = stack.pop()
                for child in node:
                    if child.tag == xs + "attribute":
                        attrs.add(child.get("name"))
                    elif child.tag != xs + "element":
                        stack.append(child)
    blocks = re.split(r"\n(?=\*<)", src)
    for name, attrs in sorted(wanted.items()):
        mine = [b for b in blocks
                if re.match(r"\*<%s[*/> ]" % re.escape(name), b)
                or re.search(r"^\*<[^\n]*, \*<%s[*/> ]" % re.escape(name),
                             b)]
        if not mine:
            problem("lockstep-scenario.5.scd: element <%s> of %s has no "
                    "definition" % (name, os.path.basename(xsd)))
            continue
        text = "\n".join(mine)
        for a in sorted(attrs):
            if "*%s=*" % a not in text:
                problem("lockstep-scenario.5.scd: attribute %s= of <%s> "
                        "is not documented" % (a, name))
    m = re.search(r"```\n(<\?xml.*?)```", section(src, "EXAMPLE"), re.S)
    if not m:
        problem("lockstep-scenario.5.scd: EXAMPLE has no scenario")
        return
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "example.xml")
        with open(path, "w") as f:
            f.write(m.group(1))
        p = subprocess.run([lockstep, "check", path], capture_output=True,
                           text=True, timeout=60)
        if p.returncode != 0:
            problem("lockstep-scenario.5.scd: the example fails check: %s"
                    % p.stderr.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lockstep", required=True)
    ap.add_argument("--source", required=True, help="man/ with *.scd")
    ap.add_argument("--pages", required=True, help="the built pages")
    ap.add_argument("--xsd", required=True)
    a = ap.parse_args()

    srcs = {}
    for f in sorted(os.listdir(a.source)):
        if f.endswith(".scd"):
            with open(os.path.join(a.source, f)) as fh:
                srcs[f] = fh.read()
    check_render(a.source, a.pages, [f[:-4] for f in srcs])
    check_commands(a.lockstep, srcs)
    for need in ("lockstep-scenario.5.scd", "lockstep-schedule.5.scd"):
        if need not in srcs:
            problem("%s: missing" % need)
    check_scenario_page(a.lockstep, a.xsd,
                        srcs.get("lockstep-scenario.5.scd", ""))
    for p in problems:
        print("check-man: " + p)
    print("check-man: %d pages, %d problems" % (len(srcs), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
