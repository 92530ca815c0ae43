#!/usr/bin/env python3
"""The interactive page (`lockstep render TRACE -o run.html`) in a real
browser: Debian's headless chromium, driven over the DevTools protocol on
--remote-debugging-pipe (fd 3 in, fd 4 out, NUL-terminated JSON), one
browser launch for every page.

Checked: each page loads with no console error, no exception and no
request but its own file; the slider and the arrow keys move the
highlight; a click on each drawn event of pipe-hang highlights exactly
its happens-before past and future, computed here from the trace's
vector clocks; the cycle toggle exists for pipe-hang (and hides the
wait-for arrows) and not for rendezvous or shm-race; the race toggle
exists for shm-race --seed 3 (and hides its three races) and not for
rendezvous; the search keeps one process's
events; a hostile trace (a scenario name, written bytes, a process and
a pipe named with </script><script>, <img onerror> and <b>) injects
nothing. Screenshots of
pipe-hang go to the work directory.

usage: test_viz_html.py LOCKSTEP SOURCE_DIR WORK_DIR CHROMIUM SKIP
CHROMIUM empty: not found when the build was configured; the test then
skips (exit 77) only when SKIP is ON (-DLK_SKIP_BROWSER_TESTS=ON), and
fails otherwise.
"""
import json
import os
import select
import shutil
import subprocess
import sys
import time

LOCKSTEP, SRC, WORK, CHROMIUM, SKIP = sys.argv[1:6]
failures = []
nclicks = [0]


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL: " + what, flush=True)


def run(args, want):
    p = subprocess.run(args, cwd=SRC, capture_output=True, text=True)
    if p.returncode != want:
        sys.exit("%s: exit %d, expected %d\n%s%s" % (
            " ".join(args), p.returncode, want, p.stdout, p.stderr))
    return p


class Browser:
    """Headless chromium spoken to over its DevTools pipe."""

    def __init__(self, exe, profile):
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        args = [exe, "--headless", "--remote-debugging-pipe",
                "--user-data-dir=" + profile, "--no-first-run",
                "--no-default-browser-check", "--disable-gpu",
                "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1280,1000", "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")

        def fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            args, preexec_fn=fds, pass_fds=(3, 4),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.w, self.r = to_chrome_w, from_chrome_r
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self.r, 1 << 16)
            if not chunk:
                raise EOFError("chromium closed its pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=True, timeout=90):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, timeout=90):
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.events):
                if m.get("method") == method:
                    del self.events[i]
                    return m
            self.events.append(self._read(deadline))

    def js(self, expr):
        r = self.send("Runtime.evaluate",
                      {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def trace(path):
    lines = open(path, encoding="utf-8").read().splitlines()
    return json.loads(lines[0]), [json.loads(l) for l in lines[1:]]


def hb(a, b):
    """a happens before b by the vector clock rule."""
    return a is not b and a["vc"][a["proc"]] <= b["vc"].get(a["proc"], 0)


def open_page(b, path):
    """Load path; the requests it made and the errors it logged."""
    b.events.clear()
    b.send("Page.navigate", {"url": "file://" + path})
    b.wait_event("Page.loadEventFired")
    check(b.js("document.body.getAttribute('data-ready')") == "1",
          path + ": the script did not finish")
    b.js("0")  # flush the events the load sent
    reqs = [m["params"]["request"]["url"] for m in b.events
            if m.get("method") == "Network.requestWillBeSent"]
    errs = [m for m in b.events
            if m.get("method") == "Runtime.exceptionThrown" or
            (m.get("method") == "Runtime.consoleAPICalled" and
             m["params"]["type"] in ("error", "assert")) or
            (m.get("method") == "Log.entryAdded" and
             m["params"]["entry"]["level"] == "error")]
    check(reqs == ["file://" + path],
          path + ": requests besides the page: %r" % reqs)
    check(errs == [], path + ": console errors: %r" % errs)


def ids(b, sel):
    return set(b.js("Array.from(document.querySelectorAll('%s'))"
                    ".map(x => x.id)" % sel))


def click_at(b, x, y):
    for t in ("mousePressed", "mouseReleased"):
        b.send("Input.dispatchMouseEvent",
               {"type": t, "x": x, "y": y, "button": "left",
                "clickCount": 1})


def key(b, k):
    for t in ("keyDown", "keyUp"):
        b.send("Input.dispatchKeyEvent", {"type": t, "key": k, "code": k,
                                          "windowsVirtualKeyCode":
                                          {"ArrowLeft": 37,
                                           "ArrowRight": 39}[k]})


def shot(b, name):
    import base64
    r = b.send("Page.captureScreenshot", {"format": "png"})
    with open(os.path.join(WORK, name), "wb") as f:
        f.write(base64.b64decode(r["data"]))


def check_pipe_hang(b, tr_path, page):
    head, evs = trace(tr_path)
    open_page(b, page)
    drawn = ids(b, '[id^="ev:"]')
    steps = sorted(int(i[3:]) for i in drawn)
    # The slider: the highlight follows it, later steps dim.
    for k in (0, len(steps) // 2, len(steps) - 1):
        b.js("(s => { s.value = '%d'; s.dispatchEvent(new Event('input'))"
             " })(document.getElementById('lk-slider'))" % k)
        cur = ids(b, '[id^="ev:"].lk-current')
        check(cur == {"ev:%d" % steps[k]},
              "slider at %d: highlighted %r, expected ev:%d" % (
                  k, cur, steps[k]))
        later = ids(b, '[id^="ev:"].lk-later')
        check(later == {"ev:%d" % s for s in steps if s > steps[k]},
              "slider at %d: later steps dimmed %r" % (k, later))
    # The arrow keys, as a user presses them (the slider is at the end).
    key(b, "ArrowLeft")
    check(ids(b, '[id^="ev:"].lk-current') == {"ev:%d" % steps[-2]},
          "ArrowLeft did not move the highlight to ev:%d" % steps[-2])
    key(b, "ArrowRight")
    check(ids(b, '[id^="ev:"].lk-current') == {"ev:%d" % steps[-1]},
          "ArrowRight did not move the highlight to ev:%d" % steps[-1])
    shot(b, "pipe-hang.png")
    # A click on each mark: exactly its happens-before past and future.
    by_step = {e["step"]: e for e in evs}
    for s in steps:
        r = b.js("(e => { e.scrollIntoView({block: 'center'}); const r ="
                 " e.getBoundingClientRect(); return [r.x + r.width / 2,"
                 " r.y + r.height / 2] })(document.getElementById("
                 "'ev:%d').querySelector('ellipse, polygon'))" % s)
        click_at(b, r[0], r[1])
        nclicks[0] += 1
        e = by_step[s]
        past = {"ev:%d" % f["step"] for f in evs if hb(f, e)} & drawn
        future = {"ev:%d" % f["step"] for f in evs if hb(e, f)} & drawn
        got = b.js("['lk-selected', 'lk-past', 'lk-future'].map(c => "
                   "Array.from(document.querySelectorAll("
                   "'[id^=\"ev:\"].' + c)).map(x => x.id))")
        check(set(got[0]) == {"ev:%d" % s},
              "click on ev:%d did not select it" % s)
        check(set(got[1]) == past, "click on ev:%d: past %r, the vector "
              "clocks say %r" % (s, sorted(got[1]), sorted(past)))
        check(set(got[2]) == future, "click on ev:%d: future %r, the "
              "vector clocks say %r" % (s, sorted(got[2]), sorted(future)))
        # The line under the bar: the step and its source line.
        info = b.js("document.getElementById('lk-info').textContent")
        want = "step %d (selected): " % s
        if e["src"] is not None:
            want += "…" + "source %s:%d" % (head["file"], e["src"])
        check(info.startswith(want.split("…")[0]) and
              want.split("…")[-1] in info,
              "click on ev:%d: the info line says %r" % (s, info))
        if s == 12:
            b.js("window.scrollTo(0, 0)")
            shot(b, "pipe-hang-selected.png")
    key(b, "ArrowLeft")  # the page still takes keys after clicks
    # The cycle toggle: there, and it hides the wait-for arrows.
    check(b.js("!!document.getElementById('lk-cycle')"),
          "pipe-hang: no cycle toggle")
    check(b.js("getComputedStyle(document.querySelector('.waitfor'))"
               ".display") != "none", "wait-for arrows hidden at first")
    b.js("document.getElementById('lk-cycle').click()")
    check(b.js("getComputedStyle(document.querySelector('.waitfor'))"
               ".display") == "none", "the cycle toggle hid nothing")
    # Search by process: wc's events stay, the others fade.
    b.js("(s => { s.value = 'wc'; s.dispatchEvent(new Event('input')) })"
         "(document.getElementById('lk-search'))")
    wc = {"ev:%d" % e["step"] for e in evs if e["proc"] == "wc"} & drawn
    check(ids(b, '[id^="ev:"].lk-match') == wc,
          "search 'wc': matched %r" % ids(b, '[id^="ev:"].lk-match'))


def main():
    if not CHROMIUM:
        msg = ("chromium not found when the build was configured "
               "(Debian's chromium: scripts/setup installs it)")
        if SKIP.upper() in ("ON", "1", "YES", "TRUE"):
            print("SKIP: " + msg + "; LK_SKIP_BROWSER_TESTS is on")
            return 77
        print("FAIL: " + msg + "; configure with -DLK_SKIP_BROWSER_TESTS=ON"
              " to skip this test")
        return 1
    t_start = time.monotonic()
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    ph, rv = os.path.join(WORK, "ph.jsonl"), os.path.join(WORK, "rv.jsonl")
    run([LOCKSTEP, "run", "scenarios/lecture/pipe-hang.xml", "-q",
         "--trace", ph], 3)
    run([LOCKSTEP, "run", "scenarios/rendezvous.xml", "-q", "--trace", rv],
        0)
    sr = os.path.join(WORK, "sr.jsonl")
    run([LOCKSTEP, "run", "scenarios/lecture/shm-race.xml", "-q", "--seed",
         "3", "--trace", sr], 0)
    # The hostile trace: pipe-hang with script in its name, bytes,
    # process echo's name and pipe p's.
    bad = "</script><script>window.pwned=1</script>" \
          "<img src=x onerror=\"window.pwned=2\"><!--<script>"
    names = {"echo": 'e"<img src=x onerror="window.pwned=3">',
             "p": "p</script><b>"}

    def rename(x):
        if isinstance(x, str):
            return names.get(x, x)
        if isinstance(x, list):
            return [rename(y) for y in x]
        if isinstance(x, dict):
            return {rename(k): rename(v) for k, v in x.items()}
        return x
    head, evs = trace(ph)
    head = rename(head)
    evs = [rename(e) for e in evs]
    head["scenario"] = bad
    for e in evs:
        if e["op"] in ("write", "read") and e["ret"] > 0:
            e["args"]["data"] = bad
            e["ret"] = len(bad.encode())
    hostile = os.path.join(WORK, "hostile.jsonl")
    with open(hostile, "w") as f:
        for x in [head] + evs:
            f.write(json.dumps(x, separators=(",", ":")) + "\n")
    pages = {}
    for name, t in (("ph", ph), ("rv", rv), ("sr", sr),
                    ("hostile", hostile)):
        pages[name] = os.path.join(WORK, name + ".html")
        run([LOCKSTEP, "render", t, "-o", pages[name]], 0)

    t0 = time.monotonic()
    print("runs and renders: %.1f s" % (t0 - t_start))
    b = Browser(CHROMIUM, os.path.join(WORK, "profile"))
    try:
        b.send("Target.setDiscoverTargets", {"discover": True},
               session=False)
        tid = b.send("Target.createTarget", {"url": "about:blank"},
                     session=False)["targetId"]
        b.session = b.send("Target.attachToTarget",
                           {"targetId": tid, "flatten": True},
                           session=False)["sessionId"]
        for m in ("Page.enable", "Runtime.enable", "Log.enable",
                  "Network.enable"):
            b.send(m)
        b.send("Emulation.setDeviceMetricsOverride",
               {"width": 1280, "height": 1000, "deviceScaleFactor": 1,
                "mobile": False})
        t1 = time.monotonic()
        check_pipe_hang(b, ph, pages["ph"])
        t2 = time.monotonic()
        open_page(b, pages["rv"])
        check(not b.js("!!document.getElementById('lk-cycle')"),
              "rendezvous has a cycle toggle")
        check(not b.js("!!document.getElementById('lk-races')"),
              "rendezvous has a race toggle")
        # shm-race --seed 3: three races, a toggle that hides them.
        open_page(b, pages["sr"])
        check(not b.js("!!document.getElementById('lk-cycle')"),
              "shm-race has a cycle toggle")
        shown = "Array.from(document.querySelectorAll('.race')).filter(" \
                "e => getComputedStyle(e).display != 'none').length"
        check(b.js(shown) == 3, "shm-race: %r races shown, not 3" %
              b.js(shown))
        b.js("document.getElementById('lk-races').click()")
        check(b.js(shown) == 0, "the race toggle hid %r of 3" % (
            3 - b.js(shown)))
        open_page(b, pages["hostile"])
        check(b.js("typeof window.pwned") == "undefined",
              "the hostile trace ran its script")
        check(b.js("document.querySelectorAll('img').length") == 0,
              "the hostile trace made an <img>")
        check(b.js("JSON.parse(document.getElementById('lk-data')"
                   ".textContent).procs[1].startsWith(%s)" %
                   json.dumps(names["echo"])),
              "the hostile process name lost")
        check(b.js("!!document.getElementById('proc:' + %s)" %
                   json.dumps(names["echo"])),
              "the hostile process's box has no id of its name")
        check(b.js("document.querySelectorAll('b').length") == 0,
              "the hostile object name made a <b>")
        check(bad in b.js("document.title"),
              "the hostile name is not the page's title, as text")
        check(b.js("document.getElementById('lk-data').textContent"
                   ".indexOf('</script>')") == -1,
              "</script> inside the page's data")
        # The labels cut long bytes short: their start, as text.
        check(any('"</script><script>win' in e["l"]
                  for e in b.js("JSON.parse(document.getElementById("
                                "'lk-data').textContent).events.filter("
                                "e => e.l)")),
              "the hostile bytes are not in the page's data, as text")
        check(any('"</script><script>win' in t
                  for t in b.js("Array.from(document.querySelectorAll("
                                "'.label text')).map(e => "
                                "e.textContent)")),
              "the hostile bytes are not in the diagram, as text")
    finally:
        b.close()
    if failures:
        print("%d failures" % len(failures))
        return 1
    print("ok: 4 pages in one browser: %.1f s to start it, %.1f s for "
          "pipe-hang (%d clicks), %.1f s for the others; screenshots in %s"
          % (t1 - t0, t2 - t1, nclicks[0], time.monotonic() - t2, WORK))
    return 0


if __name__ == "__main__":
    sys.exit(main())
