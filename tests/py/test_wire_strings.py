#!/usr/bin/python3
"""contract.wire_strings: odd process names on the wire, in JSON and on a terminal (issue 9).

Runs perfbusd --all and a recording perfbus-sub while child processes rename
themselves (prctl PR_SET_NAME, bytes) to names with non-UTF-8 bytes, a
multibyte character cut by the kernel's 15-byte limit, a surrogate, an overlong
form, spaces and parentheses, newlines, ESC and C1 controls, and churn (start
and exit several times). Then checks that:
- a Python SUB client decodes every frame with msgpack's defaults (raw=False),
  every topic as UTF-8; comm is the name as Python's errors="replace" decodes
  it, comm_raw (bin) holds the bytes exactly when they were not UTF-8, in live
  and gone frames, which validate against proc.schema.json;
- every --json output (perfbus process, tail, processes, dump of the recorded
  run, perfbus-report's JSON export) is strict UTF-8 and parses as JSON;
- the human output of perfbus process, tail, processes, runs and dump holds no
  raw control character (C0 other than the line ends, DEL, C1, bidi controls).
"""

import base64
import ctypes
import json
import os
import subprocess
import sys
import threading
import time

import pbsub
import pbtest

# As set with prctl; the kernel keeps the first 15 bytes.
NAMES = [
    b"pbs-\xff\xfe-bad",               # bytes that are never UTF-8
    b"pbs-cut-13byt\xe2\x82\xac",      # 13 ASCII + a 3-byte character: cut after 2 of its bytes
    b"pbs-cut-14byte\xc3\xa9",         # 14 ASCII + a 2-byte character: cut after 1
    b"pbs\xed\xa0\x80sur",             # a surrogate
    b"pbs\xc0\xafover",                # an overlong '/'
    b"pbs (a) b) c",                   # spaces and parentheses
    b"pbs\nnew\nline",                 # newlines
    b"pbs\x1b[31mred\x1b]0",           # ESC sequences
    b"pbs\xc2\x9b2J\x07\x7f",          # a C1 CSI (valid UTF-8), BEL, DEL
    b"pbs-caf\xc3\xa9",                # valid UTF-8: no comm_raw
]
ODD_ARG = b"arg-\xff\n\x1b[0m-\xe2\x82"  # an argument that is not UTF-8 either
FORMAT = {0x061C, 0x200E, 0x200F, 0x2066, 0x2067, 0x2068, 0x2069} | set(range(0x2028, 0x202F))

CHILD = r"""
import ctypes, sys, time
name = bytes.fromhex(sys.argv[1])
ctypes.CDLL(None, use_errno=True).prctl(15, ctypes.c_char_p(name), 0, 0, 0)
sys.stdout.write("ready\n")
sys.stdout.flush()
time.sleep(float(sys.argv[2]))
"""


def wire_comm(raw):
    """What comm must be on the wire: the kernel's 15 bytes, invalid bytes as U+FFFD."""
    return raw[:15].decode("utf-8", "replace")


def is_utf8(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def term(s):
    """What perfbus shows of s on a terminal (cli/pb_cli_term.h)."""
    out = []
    for ch in s:
        c = ord(ch)
        if ch in "\\\n\t\r":
            out.append({"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}[ch])
        elif c < 0x20 or c == 0x7F:
            out.append(f"\\x{c:02x}")
        elif 0x80 <= c <= 0x9F or c in FORMAT:
            out.append(f"\\u{c:04x}")
        else:
            out.append(ch)
    return "".join(out)


def terminal_problems(data):
    """Why data (bytes) is not safe for a terminal: not UTF-8, or a raw control."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"not UTF-8: {e}"
    bad = sorted({f"U+{ord(c):04X}" for c in text
                  if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F or ord(c) in FORMAT})
    return f"raw controls {bad}" if bad else ""


def json_problems(data, lines=False):
    """Why data (bytes) is not strict UTF-8 JSON (one document, or one per line)."""
    try:
        text = data.decode("utf-8")
        docs = [json.loads(line) for line in text.splitlines()] if lines else [json.loads(text)]
    except ValueError as e:  # UnicodeDecodeError and JSONDecodeError both are
        return f"{type(e).__name__}: {e}", []
    return "", docs


def cli(*args, timeout=30):
    p = subprocess.run([pbsub.build_path("cli", "perfbus"), *map(str, args)],
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


class Children:
    """Renamed child processes: pid -> raw name."""

    def __init__(self):
        self.names, self.procs = {}, []

    def spawn(self, raw, seconds):
        p = subprocess.Popen([sys.executable, "-c", CHILD, raw.hex(), str(seconds), ODD_ARG],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        line = p.stdout.readline()  # the name is set once it says so
        if line != b"ready\n":
            pbtest.fail_now(f"child for {raw!r} did not start: {line!r}")
        self.names[p.pid] = raw
        self.procs.append(p)
        return p

    def reap(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            p.stdout.close()


class Collector(threading.Thread):
    """Receives every frame of perfbusd until stopped, raw."""

    def __init__(self, daemon_pub, ctx):
        super().__init__(daemon=True)
        self.sock = ctx.socket(pbtest.zmq.SUB)
        self.sock.setsockopt(pbtest.zmq.RCVHWM, 0)
        self.sock.setsockopt(pbtest.zmq.LINGER, 0)
        self.sock.setsockopt(pbtest.zmq.SUBSCRIBE, b"")
        self.sock.connect(daemon_pub)
        self.frames, self.stop = [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            if self.sock.poll(100):
                self.frames.append(self.sock.recv_multipart())
        self.sock.close()


def decode_all(r, frames):
    """Decodes like the README's client; returns the decoded proc frames."""
    errors, procs = [], []
    for topic, payload in frames:
        try:
            topic.decode("utf-8")
            frame = pbtest.msgpack.unpackb(payload)  # msgpack's defaults: raw=False
        except (UnicodeDecodeError, ValueError) as e:
            errors.append(f"{topic[:40]!r}: {e}")
            continue
        if frame.get("type") == "proc":
            procs.append(frame)
    r.check(frames and not errors, f"all {len(frames)} frames decode with raw=False",
            f"{len(errors)} failed, e.g. {errors[:3]}")
    return procs


def check_frames(r, contract, procs, kids):
    by_pid = {}
    for f in procs:
        by_pid.setdefault(f["pid"], []).append(f)
    for pid, raw in kids.names.items():
        want, cut = wire_comm(raw), raw[:15]
        named = [f for f in by_pid.get(pid, []) if f.get("comm") == want]
        live = [f for f in named if "gone" not in f]
        r.check(live, f"pid {pid} {raw!r}: live frames with comm {want!r}",
                str({f.get("comm") for f in by_pid.get(pid, [])}))
        raws = {bytes(f["comm_raw"]) if "comm_raw" in f else None for f in named}
        r.check(raws == {None if is_utf8(cut) else cut}, f"pid {pid} {raw!r}: comm_raw",
                str(raws))
        errs = [e for f in by_pid.get(pid, []) for e in contract.errors("proc", f)]
        r.check(not errs, f"pid {pid}: proc frames valid for proc.schema.json", str(errs[:3]))
    return by_pid


def check_gone(r, by_pid, kids, churned):
    for pid in churned:
        raw = kids.names[pid]
        gone = [f for f in by_pid.get(pid, []) if f.get("gone")]
        ok = len(gone) == 1 and gone[0]["comm"] == wire_comm(raw)
        r.check(ok, f"pid {pid} {raw!r}: one gone frame with its comm", str(gone))
        if ok:
            got = gone[0].get("comm_raw")
            want = None if is_utf8(raw[:15]) else raw[:15]
            r.check(got == want, f"pid {pid}: gone frame comm_raw", f"{got!r} want {want!r}")


def check_cmdline(r, by_pid, kids, cmdlines):
    for pid, data in cmdlines.items():
        want = data.rstrip(b"\0").replace(b"\0", b" ").decode("utf-8", "replace")
        got = {f.get("cmdline") for f in by_pid.get(pid, []) if "gone" not in f}
        r.check(want in got, f"pid {pid}: cmdline as UTF-8 with U+FFFD", f"{got} want {want!r}")


def check_process_cli(r, control, pid, raw):
    want = wire_comm(raw)
    rc, out, err = cli("process", pid, "--endpoint", control, "--json")
    why, docs = json_problems(out)
    r.check(rc == 0 and not why, f"perfbus process {pid} --json is JSON", f"{why} {err}")
    if docs:
        sample = docs[0]
        r.check(sample.get("comm") == want, f"process --json comm {want!r}", str(sample)[:200])
        b64 = None if is_utf8(raw[:15]) else {"$bin": base64.b64encode(raw[:15]).decode()}
        r.check(sample.get("comm_raw") == b64, "process --json comm_raw as {$bin}",
                f"{sample.get('comm_raw')} want {b64}")
    rc, out, err = cli("process", pid, "--endpoint", control)
    why = terminal_problems(out)
    r.check(rc == 0 and not why, f"perfbus process {pid}: no raw controls", f"{why} {out!r}")
    head = f"PID {pid}  {term(want)}  state"
    r.check(head in out.decode("utf-8", "replace"), f"process shows {head!r}", repr(out[:120]))
    r.check("\\n" in out.decode("utf-8", "replace").split("\n")[1],
            "the command line's newlines are shown escaped", repr(out[:400]))


def check_tail_cli(r, pub, host, pid):
    prefix = f"proc.{host.replace('.', '_')}.{pid}"
    rc, out, err = cli("tail", prefix, "--endpoint", pub, "--count", 2, "--json",
                       "--timeout", 10000)
    why, docs = json_problems(out, lines=True)
    r.check(rc == 0 and not why and len(docs) == 2, f"tail {prefix} --json: 2 JSON lines",
            f"rc {rc} {why} {err}")
    rc, out, err = cli("tail", prefix, "--endpoint", pub, "--count", 2, "--timeout", 10000)
    why = terminal_problems(out)
    r.check(rc == 0 and not why and out.count(b"\n") == 2, f"tail {prefix}: no raw controls",
            f"rc {rc} {why} {out!r} {err}")


def check_processes_cli(r, query, kids):
    rc, out, err = cli("processes", "--endpoint", query, "--json")
    why, docs = json_problems(out)
    r.check(rc == 0 and not why, "perfbus processes --json is JSON", f"{why} {err}")
    comms = {p.get("comm") for p in docs[0].get("processes", [])} if docs else set()
    missing = {wire_comm(n) for n in NAMES} - comms
    r.check(not missing, "processes lists every odd name", str(missing))
    rc, out, err = cli("processes", "--endpoint", query)
    why = terminal_problems(out)
    r.check(rc == 0 and not why, "perfbus processes: no raw controls", f"{why} {err}")


def check_store_cli(r, store, run_dir, kids):
    rc, out, err = cli("runs", "--store", store)
    why = terminal_problems(out)
    r.check(rc == 0 and not why, "perfbus runs: no raw controls", f"{why} {err}")
    rc, out, err = cli("dump", run_dir, "--json")
    why, docs = json_problems(out, lines=True)
    r.check(rc == 0 and not why and docs, f"perfbus dump --json: {len(docs)} JSON lines",
            f"{why} {err}")
    raws = {base64.b64decode(d["frame"]["comm_raw"]["$bin"]) for d in docs
            if isinstance(d.get("frame", {}).get("comm_raw"), dict)}
    want = {n[:15] for n in NAMES if not is_utf8(n[:15])}
    r.check(want <= raws, "dump --json carries every comm_raw", f"{want - raws}")
    rc, out, err = cli("dump", run_dir)
    why = terminal_problems(out)
    r.check(rc == 0 and not why, "perfbus dump: no raw controls", f"{why} {err}")


def check_report_json(r, run_dir, tmp):
    path = os.path.join(tmp, "report.json")
    p = subprocess.run([pbsub.build_path("reporter", "perfbus-report"), run_dir, "--format",
                        "json", "--out", path], capture_output=True, timeout=120)
    r.check(p.returncode == 0, "perfbus-report --format json exits 0", p.stderr[-300:])
    data = open(path, "rb").read() if os.path.exists(path) else b""
    why, docs = json_problems(data)
    r.check(data and not why, "the JSON report is strict UTF-8 JSON", why)
    strings = set(all_strings(docs))
    missing = [n for n in NAMES if wire_comm(n) not in strings]
    r.check(not missing, "the JSON report names every odd process", str(missing))


def all_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from all_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from all_strings(v)


def churn(kids, rounds=3):
    """Starts every name, lets it live for a few intervals, and again; returns the pids."""
    pids = []
    for _ in range(rounds):
        batch = [kids.spawn(raw, 0.8) for raw in NAMES]
        for p in batch:
            p.wait(30)
        pids += [p.pid for p in batch]
    return pids


def wait_gone(collector, pids, timeout=15.0):
    """Until every churned pid's gone frame has arrived (perfbusd sends it after exit)."""
    end = time.monotonic() + timeout
    want = {f"{p}".encode() for p in pids}
    while time.monotonic() < end:
        seen = {t.rsplit(b".", 1)[-1] for t, payload in list(collector.frames)
                if t.startswith(b"proc.") and b"gone" in payload}
        if want <= seen:
            return
        time.sleep(0.1)


def main():
    r = pbtest.Results("contract.wire_strings")
    if not hasattr(ctypes.CDLL(None), "prctl"):
        r.fatal("libc has no prctl: cannot rename child processes")
    contract = pbtest.Contract()
    kids = Children()
    with pbsub.Bench() as bench:
        bench.daemon(0.2, "--all")
        sub = bench.sub("--record", "--flush-ms", "200")
        collector = Collector(bench.pub, bench.ctx)
        collector.start()
        bench.wait_for(lambda s: s.get("frames", 0) >= 5)
        try:
            steady = [kids.spawn(raw, 60) for raw in NAMES]
            cmdlines = {p.pid: open(f"/proc/{p.pid}/cmdline", "rb").read() for p in steady}
            churned = churn(kids)
            wait_gone(collector, churned)
            host = next(pbtest.unpack(p)["host"] for t, p in collector.frames
                        if t.startswith(b"hb."))
            for p in steady:
                check_process_cli(r, bench.control, p.pid, kids.names[p.pid])
            for p in steady[:3] + steady[6:9]:
                check_tail_cli(r, bench.pub, host, p.pid)
            check_processes_cli(r, bench.query, kids)
        finally:
            kids.reap()
        collector.stop.set()
        collector.join(5)
        procs = decode_all(r, collector.frames)
        by_pid = check_frames(r, contract, procs, kids)
        check_gone(r, by_pid, kids, churned)
        check_cmdline(r, by_pid, kids, cmdlines)
        for p in bench.procs:
            r.check(p.stop() == 0, f"{os.path.basename(p.argv[0])} exits 0", p.stderr())
        runs = bench.run_dirs()
        r.check(len(runs) == 1, "one run recorded", str(runs))
        if runs:
            check_store_cli(r, bench.store, runs[0], kids)
            check_report_json(r, runs[0], bench.dir)
        del sub
    r.finish()


if __name__ == "__main__":
    main()
