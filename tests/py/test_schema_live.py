#!/usr/bin/python3
"""contract.schema_live: real perfbusd frames and replies against the JSON Schemas.

Part 1 runs `perfbusd --all --pid CHILD --interval 0.2` for ~3 s, kills CHILD
half-way, and checks every frame: its schema (by type), its topic, seq +1 per
src with no gap or repeat, rates absent exactly when first is true, rates that
agree with their counters, and the one `gone` frame of CHILD. Part 2 runs a
daemon that tracks nothing and validates the reply of every control op,
including a one-shot process read and a pid that becomes watched.
"""

import os
import subprocess
import time

import pbtest

HOST = "pb-live.test.example"  # dots: the topic must carry pb-live_test_example
INTERVAL = 0.2


def decode_all(r, raw):
    """[(topic, frame)] for every message that is two parts and a msgpack map."""
    out = []
    for parts in raw:
        if not r.check(len(parts) == 2, "frame has two parts", f"{len(parts)} parts"):
            continue
        try:
            topic, frame = parts[0].decode("utf-8"), pbtest.unpack(parts[1])
        except Exception as e:  # noqa: BLE001 - undecodable is the finding
            r.check(False, "frame decodes (utf-8 topic, msgpack payload)", repr(e))
            continue
        if r.check(isinstance(frame, dict), "payload is a map", type(frame).__name__):
            out.append((topic, frame))
    return out


def check_frame(r, contract, topic, frame):
    ftype = frame.get("type")
    if not r.check(ftype in ("sys", "proc", "hb"), "known frame type", repr(ftype)):
        return False
    label = f"{ftype} seq {frame.get('seq')}"
    errs = contract.errors(ftype, frame)
    r.check(not errs, f"{label} valid for {ftype}.schema.json", "; ".join(errs[:5]))
    if errs:
        return False
    r.check(topic == pbtest.topic_for(frame), f"{label}: topic matches type/host/pid",
            f"topic {topic!r}, want {pbtest.topic_for(frame)!r}")
    r.check(frame["host"] == HOST, f"{label}: host is --host", frame["host"])
    if ftype in ("sys", "proc") and "first" in frame:
        probs = pbtest.rate_problems(contract, ftype, frame)
        r.check(not probs, f"{label}: rates absent exactly when first", "; ".join(probs[:5]))
    if ftype == "sys":
        r.check(len(frame["cpu"]["cores"]) == frame["cpu"]["ncpu"], f"{label}: ncpu cores")
    return True


def check_seq(r, frames):
    by_src = {}
    for _, f in frames:
        by_src.setdefault(f["src"], []).append(f["seq"])
    r.check(len(by_src) == 1, "one src per daemon run", str(list(by_src)))
    for src, seqs in by_src.items():
        bad = [(a, b) for a, b in zip(seqs, seqs[1:]) if b != a + 1]
        r.check(not bad, f"seq +1 per frame for src {src} ({len(seqs)} frames)",
                f"breaks (prev, next): {bad[:10]}")


def close(a, b, rel=0.01, absolute=0.02):
    return abs(a - b) <= absolute + rel * abs(b)


def check_sys_series(r, sys_frames):
    """Consecutive sys frames: ts advances by interval_s; rates match counters."""
    firsts = [i for i, f in enumerate(sys_frames) if f["first"]]
    r.check(firsts in ([], [0]), "sys first: true only on the earliest frame", str(firsts))
    for a, b in zip(sys_frames, sys_frames[1:]):
        dt = (b["ts"] - a["ts"]) / 1e9
        label = f"sys seq {a['seq']}->{b['seq']}"
        r.check(abs(dt - b["interval_s"]) < 0.1, f"{label}: interval_s matches ts",
                f"interval_s {b['interval_s']}, ts delta {dt:.4f}")
        for name in ("ctxt", "intr", "forks"):
            want = (b[f"{name}_total"] - a[f"{name}_total"]) / b["interval_s"]
            r.check(close(b[f"{name}_per_s"], want), f"{label}: {name}_per_s from the counter",
                    f"{b[f'{name}_per_s']} vs {want:.3f}")
        ta, tb = a["cpu"]["total"], b["cpu"]["total"]
        keys = [k for k in tb if k.endswith("_ticks_total") and not k.startswith("guest")]
        d = {k: tb[k] - ta[k] for k in keys}
        total = sum(d.values())
        if total > 0:
            busy = 100.0 * (total - d["idle_ticks_total"] - d["iowait_ticks_total"]) / total
            r.check(close(tb["busy_pct"], busy, 0.0, 0.5), f"{label}: busy_pct from the ticks",
                    f"{tb['busy_pct']} vs {busy:.2f}")
    if sys_frames:
        check_mem(r, sys_frames[-1]["mem"])
    intervals = [f["interval_s"] for f in sys_frames[1:]]
    if intervals:
        mean = sum(intervals) / len(intervals)
        r.check(0.5 * INTERVAL <= mean <= 3 * INTERVAL, "sys frames every --interval",
                f"mean {mean:.3f} s")


def check_mem(r, mem):
    """free(1) definitions, and MemTotal as this test reads it."""
    with open("/proc/meminfo", encoding="ascii") as f:
        info = {ln.split(":")[0]: int(ln.split()[1]) * 1024 for ln in f if ln.endswith("kB\n")}
    r.check(mem["total_bytes"] == info["MemTotal"], "mem.total_bytes is MemTotal",
            f"{mem['total_bytes']} vs {info['MemTotal']}")
    r.check(mem["used_bytes"] == mem["total_bytes"] - mem["available_bytes"],
            "mem.used_bytes = total - available (free(1))", str(mem))
    r.check(mem["swap_used_bytes"] == mem["swap_total_bytes"] - mem["swap_free_bytes"],
            "mem.swap_used_bytes = swap total - swap free", str(mem))


def check_proc_series(r, proc_frames, clk_tck):
    """Per pid: first only at the start, cpu_pct from the tick counters, nothing after gone."""
    by_pid = {}
    for f in proc_frames:
        by_pid.setdefault(f["pid"], []).append(f)
    r.check(len(by_pid) >= 5, "--all publishes many processes", f"{len(by_pid)} pids")
    for pid, frames in by_pid.items():
        gone = [i for i, f in enumerate(frames) if f.get("gone")]
        r.check(gone in ([], [len(frames) - 1]), f"pid {pid}: gone is the last frame",
                str(gone))
        live = [f for f in frames if not f.get("gone")]
        firsts = [i for i, f in enumerate(live) if f["first"]]
        r.check(firsts in ([], [0]), f"pid {pid}: first only on its earliest frame",
                str(firsts))
        for a, b in zip(live, live[1:]):
            ticks = (b["utime_ticks_total"] + b["stime_ticks_total"] - a["utime_ticks_total"]
                     - a["stime_ticks_total"])
            want = 100.0 * ticks / clk_tck / b["interval_s"]
            if b.get("cpu_clamped"):
                # whole ticks over a short interval can overshoot: the publisher cuts cpu_pct
                # to 100 x threads or 100 x ncpu and says so (schemas/FIELDS.md cpu_clamped)
                cut = b["cpu_pct"] / 100.0
                r.check(b["cpu_pct"] < want and abs(cut - round(cut)) < 1e-9,
                        f"pid {pid}: a clamped cpu_pct is a whole number of cores below the "
                        f"ticks' figure", f"{b['cpu_pct']} vs {want:.2f}")
            else:
                r.check(close(b["cpu_pct"], want, 0.0, 0.5), f"pid {pid}: cpu_pct from the ticks",
                        f"{b['cpu_pct']} vs {want:.2f}")
            parts = b["cpu_user_pct"] + b["cpu_system_pct"]
            r.check(close(b["cpu_pct"], parts, 0.0, 0.01), f"pid {pid}: cpu_pct = user + system",
                    f"{b['cpu_pct']} vs {parts}")
    return by_pid


def part_frames(r, contract):
    pbtest.perfbusd_path()  # fails before the child is started
    child = subprocess.Popen(["sleep", "60"])
    try:
        raw = run_frames_daemon(r, contract, child)
    finally:
        child.kill()
        child.wait()
    frames = decode_all(r, raw)
    r.check(len(frames) > 20, "frames received in 3 s", str(len(frames)))
    valid = [check_frame(r, contract, topic, frame) for topic, frame in frames]
    if not all(valid):
        return  # the series checks below assume valid frames
    check_seq(r, frames)
    sys_frames = [f for _, f in frames if f["type"] == "sys"]
    hb = [f for _, f in frames if f["type"] == "hb"]
    r.check(len(sys_frames) >= 5, "sys frames received", str(len(sys_frames)))
    r.check(2 <= len(hb) <= 4, "hb about once per second", f"{len(hb)} in 3 s")
    check_sys_series(r, sys_frames)
    clk = sys_frames[0]["cpu"]["clk_tck"] if sys_frames else 100
    by_pid = check_proc_series(r, [f for _, f in frames if f["type"] == "proc"], clk)
    mine = by_pid.get(child.pid, [])
    r.check(any(f.get("gone") for f in mine), f"the killed --pid child {child.pid} is "
            "published once as gone", f"{len(mine)} frames, none gone")
    r.check(os.getpid() in by_pid, "--all includes this test's own process")


def run_frames_daemon(r, contract, child):
    """Collects ~3 s of frames from a --all daemon, killing child half-way."""
    with pbtest.Daemon("--all", "--host", HOST, "--pid", child.pid, interval=INTERVAL) as d:
        sub = d.subscribe("")
        raw = receive(sub, 1.5)
        child.kill()
        child.wait()
        raw += receive(sub, 1.5)
        sub.close()
        d.check_alive(r)
        check_tracked_process(r, contract, d, os.getpid())
        pbtest.stop_and_check(d, r)
    return raw


def receive(sub, seconds):
    out = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if sub.poll(int(left * 1000) + 1):
            out.append(sub.recv_multipart())
    return out


def wait_for(sub, raw, predicate, timeout=5.0):
    """Receives into raw until a frame satisfies predicate; False on timeout."""
    end = time.monotonic() + timeout
    while (left := end - time.monotonic()) > 0:
        if sub.poll(int(left * 1000) + 1):
            parts = sub.recv_multipart()
            raw.append(parts)
            try:
                if len(parts) == 2 and predicate(pbtest.unpack(parts[1])):
                    return True
            except Exception:  # noqa: BLE001 - decode_all reports bad frames later
                pass
    return False


def ask(r, contract, d, request, reply_schema=None):
    """Sends a request (itself checked against its schema); returns the reply or None."""
    op = request["op"]
    errs = contract.errors(f"request.{op}", request)
    r.check(not errs, f"the test's own {op} request is valid", "; ".join(errs))
    try:
        reply = d.request(request)
    except RuntimeError as e:
        r.check(False, f"{op} answered", str(e))
        return None
    schema = reply_schema or f"reply.{op}"
    errs = contract.errors(schema, reply)
    r.check(not errs, f"{op} {request} reply valid for {schema}",
            "; ".join(errs[:5]) + f" (reply: {str(reply)[:300]})")
    return reply if not errs else None


def check_tracked_process(r, contract, d, pid):
    reply = ask(r, contract, d, {"op": "process", "pid": pid})
    if reply:
        s = reply["sample"]
        r.check(s["pid"] == pid and not s["first"], "process of a tracked pid: its latest "
                "frame, with rates", f"pid {s['pid']} first {s['first']}")
        probs = pbtest.rate_problems(contract, "proc", s)
        r.check(not probs, "tracked sample: rates follow first", "; ".join(probs))
    reply = ask(r, contract, d, {"op": "system"})
    if reply:
        s = reply["sample"]
        r.check(s["host"] == HOST and not s["first"], "system: latest sys frame", str(s)[:100])


def part_control(r, contract):
    me = os.getpid()
    gone = subprocess.Popen(["true"])
    gone.wait()
    with pbtest.Daemon("--host", HOST, interval=INTERVAL) as d:
        sub = d.subscribe("")
        raw = []
        r.check(wait_for(sub, raw, lambda f: f.get("type") == "sys"), "a sys frame within 5 s")
        d.check_alive(r)
        health = ask(r, contract, d, {"op": "health"})
        if health:
            r.check(health["host"] == HOST and health["pid"] == d.proc.pid and
                    abs(health["interval_s"] - INTERVAL) < 1e-9, "health: host, pid, interval",
                    str(health))
        ask(r, contract, d, {"op": "targets"})
        sysr = ask(r, contract, d, {"op": "system"})
        if health and sysr:
            r.check(sysr["sample"]["src"] == health["src"], "system sample src is health src")
        one = ask(r, contract, d, {"op": "process", "pid": me})
        if one:
            s = one["sample"]
            r.check(s["first"] is True and "cpu_pct_since_start" in s and "cpu_pct" not in s,
                    "process of an untracked pid: one-shot read, first: true, "
                    "cpu_pct_since_start, no rates", str(s)[:300])
        ask(r, contract, d, {"op": "process", "pid": gone.pid}, "reply.error")
        w = ask(r, contract, d, {"op": "watch", "pid": me})
        if w:
            r.check(me in w["watching"]["pids"], "watch pid: listed", str(w))
        w = ask(r, contract, d, {"op": "watch", "match": "^sleep$"})
        if w:
            r.check("^sleep$" in w["watching"]["matches"], "watch match: listed", str(w))
        r.check(wait_for(sub, raw, lambda f: f.get("pid") == me and f.get("first") is False),
                "a second proc frame of the watched pid within 5 s")
        check_tracked_after_watch(r, contract, d, me)
        w = ask(r, contract, d, {"op": "unwatch", "pid": me})
        if w:
            r.check(me not in w["watching"]["pids"], "unwatch pid: removed", str(w))
        w = ask(r, contract, d, {"op": "unwatch", "match": "^sleep$"})
        if w:
            r.check(w["watching"]["matches"] == [], "unwatch match: removed", str(w))
        raw += receive(sub, 0.5)
        sub.close()
        pbtest.stop_and_check(d, r)
    frames = decode_all(r, raw)
    for topic, frame in frames:
        check_frame(r, contract, topic, frame)
    check_seq(r, frames)
    mine = [f for _, f in frames if f.get("type") == "proc" and f.get("pid") == me]
    r.check(len(mine) >= 2 and mine[0].get("first") is True,
            "a newly watched pid's series starts with first: true",
            str([f.get("first") for f in mine]))


def check_tracked_after_watch(r, contract, d, me):
    reply = ask(r, contract, d, {"op": "process", "pid": me})
    if reply:
        s = reply["sample"]
        r.check(s["first"] is False and "cpu_pct" in s, "process of a watched pid: a tracked "
                "sample with rates", str(s)[:200])


def main():
    r = pbtest.Results("contract.schema_live")
    contract = pbtest.Contract()
    part_frames(r, contract)
    part_control(r, contract)
    r.finish()


if __name__ == "__main__":
    main()
