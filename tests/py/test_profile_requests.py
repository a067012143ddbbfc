#!/usr/bin/python3
"""profiling.requests: the agent's ops over real sockets, its errors, and its exports.

Against perfbus-demo: targets/health/register, bad requests (unknown target,
runs 0 or 10^12, wrong mode, garbage, ...) each answered with an error while
the agent stays healthy, a crashing target reported as crashed and refused
after, a hanging one answered with timeout while the agent keeps serving, an
armed section producing a profile after N executions, prof.* frames on the
agent's PUB socket (envelope, seq +1, schemas/prof.schema.json), replies
valid against schemas/profile_reply.schema.json, a command target profiled
in detailed mode, and the speedscope export valid against speedscope's own
file-format schema (vendored in tests/data/).
"""

import json
import os
import subprocess
import time

import msgpack

import pbtest
from profdemo import MIB, Demo, by_name, demo_path


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def nested(depth):
    value = []
    for _ in range(depth - 1):
        value = [value]
    return value


BAD = [
    ("unknown target", {"op": "profile", "target": "nope"}, "not_found"),
    ("runs 0", {"op": "profile", "target": "split", "runs": 0}, "bad_arg"),
    ("runs 10^12", {"op": "profile", "target": "split", "runs": 10**12}, "refused"),
    ("runs negative", {"op": "profile", "target": "split", "runs": -3}, "bad_arg"),
    ("runs as a string", {"op": "profile", "target": "split", "runs": "3"}, "bad_arg"),
    ("wrong mode", {"op": "profile", "target": "split", "mode": "magic"}, "bad_arg"),
    ("mode not allowed for a command", {"op": "profile", "target": "ddwrite", "mode": "tracing"},
     "bad_arg"),
    ("max_seconds 0", {"op": "profile", "target": "split", "max_seconds": 0}, "bad_arg"),
    ("max_seconds beyond the cap", {"op": "profile", "target": "split", "max_seconds": 1e9},
     "refused"),
    ("hz 0", {"op": "profile", "target": "split", "hz": 0}, "bad_arg"),
    ("hz beyond the cap", {"op": "profile", "target": "split", "hz": 10**7}, "refused"),
    ("bad clock", {"op": "profile", "target": "split", "clock": "sundial"}, "bad_arg"),
    ("target missing", {"op": "profile"}, "bad_arg"),
    ("target not a string", {"op": "profile", "target": 7}, "bad_arg"),
    ("register unknown", {"op": "register", "target": "nope"}, "not_found"),
    ("results unknown id", {"op": "results", "id": 999999}, "not_found"),
    ("results without id", {"op": "results"}, "bad_arg"),
    ("arm without section", {"op": "arm", "count": 2}, "bad_arg"),
    ("arm count 0", {"op": "arm", "section": "request", "count": 0}, "bad_arg"),
    ("simulate a command", {"op": "simulate", "kind": "ddwrite", "seconds": 1}, "bad_arg"),
    ("unknown op", {"op": "launch_missiles"}, "unknown_op"),
    ("no op", {"target": "split"}, "missing_op"),
    ("op not a string", {"op": 5}, "missing_op"),
    ("not a map", [1, 2, 3], "not_a_map"),
    ("too deep", {"op": "health", "x": nested(40)}, "too_deep"),
]


def check_reply(r, contract, what, reply):
    errs = contract.errors("profile_reply", reply)
    r.check(not errs, f"{what}: reply valid for profile_reply.schema.json", "; ".join(errs[:4]))


def check_bad_requests(r, contract, demo):
    for what, req, code in BAD:
        rep = demo.call(pack(req))
        got = rep.get("error", {}).get("code")
        r.check(rep.get("ok") is False and got == code, f"{what} -> {code}", str(rep)[:200])
        r.check(bool(rep.get("error", {}).get("message")), f"{what}: has a message")
        check_reply(r, contract, what, rep)
    raw = [("garbage bytes", b"\xc1\x00\x01", "bad_msgpack"),
           ("truncated map", pack({"op": "health", "x": "yz"})[:-2], "bad_msgpack"),
           ("empty payload", b"", "bad_msgpack"),
           ("over 1 MiB", pack({"op": "health", "pad": "x" * (MIB + 10)}), "too_large")]
    for what, payload, code in raw:
        rep = pbtest.unpack(demo.call_raw(payload))
        r.check(rep.get("error", {}).get("code") == code, f"{what} -> {code}", str(rep)[:200])
    parts = demo.raw([pack({"op": "health"})], kind="dealer")
    r.check(parts is not None and pbtest.unpack(parts[-1]).get("status") == "ok",
            "a DEALER client without delimiter is answered", str(parts)[:200])
    parts = demo.raw([pack({"op": "health"}), pack({"op": "health"})])
    rep = pbtest.unpack(parts[0]) if parts else {}
    r.check(rep.get("error", {}).get("code") == "multipart", "two payload frames -> multipart")
    r.check(demo.call({"op": "health"}).get("status") == "ok", "healthy after bad requests")


def check_targets(r, contract, demo):
    rep = demo.call({"op": "targets"})
    check_reply(r, contract, "targets", rep)
    names = {t["name"]: t for t in rep.get("targets", [])}
    for name in ("split", "fib", "threads", "memory", "io", "sleep", "hang", "crash", "ddwrite"):
        r.check(name in names, f"targets lists {name}")
    r.check(names.get("crash", {}).get("enabled") is False, "crash starts disabled")
    r.check(names.get("ddwrite", {}).get("modes") == ["detailed"] and
            names["ddwrite"].get("kind") == "command", "command targets are detailed only")
    health = demo.call({"op": "health"})
    check_reply(r, contract, "health", health)


def check_crash(r, contract, demo):
    rep = demo.profile("crash", "sampling")
    r.check(rep.get("error", {}).get("code") == "refused", "a disabled target is refused",
            str(rep))
    rep = demo.call({"op": "register", "target": "crash"})
    r.check(rep.get("ok") is True and rep.get("enabled") is True, "register enables it", str(rep))
    check_reply(r, contract, "register", rep)
    rep = demo.profile("crash", "sampling")
    r.check(rep.get("error", {}).get("code") == "crashed", "a crashing target -> crashed",
            str(rep))
    check_reply(r, contract, "crashed", rep)
    rep = demo.profile("crash", "detailed")
    r.check(rep.get("error", {}).get("code") == "refused", "crashed target refused after",
            str(rep))
    names = by_name(demo.call({"op": "targets"}).get("targets", []))
    r.check(names.get("crash", {}).get("crashed") is True, "targets shows it crashed")
    rep = demo.profile("split", "sampling")
    r.check(rep.get("ok") is True, "other targets still run after a crash", str(rep)[:200])


def check_hang(r, demo):
    t0 = time.monotonic()
    rep = demo.profile("hang", "sampling", max_seconds=0.3, clock="wall")
    took = time.monotonic() - t0
    r.check(rep.get("error", {}).get("code") == "timeout", "a hanging target -> timeout", str(rep))
    r.check(took < 2.5, "timeout comes at max_seconds + grace", f"{took:.2f} s")
    hid = rep.get("id")
    r.check(demo.call({"op": "health"}, timeout=2).get("status") == "ok",
            "agent answers health while the target hangs")
    again = demo.profile("hang", "sampling", max_seconds=0.3, clock="wall")
    r.check(again.get("error", {}).get("code") == "busy",
            "the hung target is refused while it still runs", str(again)[:200])
    other = demo.profile("split", "sampling")
    r.check(other.get("ok") is True and other.get("runs_done") == 1,
            "past max_seconds + grace the profiler is free: another target profiles while the "
            "hung one runs", str(other)[:200])
    end = time.monotonic() + 10
    state = None
    while time.monotonic() < end:
        state = demo.call({"op": "results", "id": hid})
        if state.get("state") == "done":
            break
        time.sleep(0.2)
    r.check(state and state.get("state") == "done" and "sampling" in state,
            "the hung job's result is kept once it returns", str(state)[:200])
    r.check(demo.profile("split", "tracing").get("ok") is True, "worker free again after")


def check_section(r, contract, demo, sub):
    rep = demo.call({"op": "arm", "section": "request", "count": 20, "mode": "sampling",
                     "clock": "wall", "hz": 10000})
    check_reply(r, contract, "arm", rep)
    r.check(rep.get("ok") is True and rep.get("state") == "armed", "arm accepted", str(rep))
    aid = rep.get("id")
    busy = demo.call({"op": "arm", "section": "request", "count": 1})
    r.check(busy.get("error", {}).get("code") == "busy", "a second arm is busy", str(busy))
    end = time.monotonic() + 20
    state = {}
    while time.monotonic() < end:
        state = demo.call({"op": "results", "id": aid})
        if state.get("state") == "done":
            break
        time.sleep(0.1)
    check_reply(r, contract, "results", state)
    r.check(state.get("state") == "done" and state.get("runs_done") == 20 and
            state.get("count") == 20, "an armed section profiles the next 20 executions",
            str(state)[:300])
    fns = by_name(state.get("sampling", {}).get("functions", []))
    r.check("request_compute" in fns and "handle_request" in fns,
            "the section's profile shows its functions", str(list(fns)[:8]))
    r.check(fns.get("request_compute", {}).get("total", 0) >
            fns.get("request_respond", {}).get("total", 0),
            "compute (500 units) outweighs respond (100)", str(fns)[:300])
    frames = drain(sub, 3.0, want=lambda f: f.get("section") == "request")
    r.check(bool(frames), "the section's profile is published", str(len(frames)))
    rep = demo.call({"op": "arm", "section": "request", "count": 3, "mode": "tracing"})
    tid = rep.get("id")
    end = time.monotonic() + 20
    while time.monotonic() < end:
        state = demo.call({"op": "results", "id": tid})
        if state.get("state") == "done":
            break
        time.sleep(0.1)
    fns = by_name(state.get("tracing", {}).get("functions", []))
    r.check(fns.get("request_parse", {}).get("ncalls") == 3,
            "a section traced 3 times calls request_parse 3 times", str(fns.get("request_parse")))


def drain(sub, seconds, want=lambda f: True):
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if sub.poll(100):
            topic, payload = sub.recv_multipart()
            frame = pbtest.unpack(payload)
            frame["_topic"] = topic.decode()
            if want(frame):
                out.append(frame)
                if len(out) >= 1:
                    break
    return out


def check_frames(r, contract, demo, sub):
    demo.profile("split", "sampling", runs=1)
    demo.profile("fib", "tracing", runs=1)
    frames = []
    end = time.monotonic() + 5
    while len(frames) < 2 and time.monotonic() < end:
        if sub.poll(200):
            topic, payload = sub.recv_multipart()
            frame = pbtest.unpack(payload)
            frame["_topic"] = topic.decode()
            if frame.get("target") in ("split", "fib"):
                frames.append(frame)
    r.check(len(frames) == 2, "two prof frames published", str(len(frames)))
    for f in frames:
        topic = f.pop("_topic")
        want = f"prof.{f['host'].replace('.', '_')}.{f['target']}"
        r.check(topic == want, f"topic {want}", topic)
        errs = contract.errors("prof", f)
        r.check(not errs, f"prof frame ({f['target']}) valid for prof.schema.json",
                "; ".join(errs[:4]))
    if len(frames) == 2:
        r.check(frames[1]["seq"] == frames[0]["seq"] + 1 and frames[0]["src"] == frames[1]["src"],
                "seq +1 per frame of one src", f"{frames[0]['seq']} {frames[1]['seq']}")


def check_budget(r, contract, demo):
    """No run starts once max_seconds is spent (the seed's runs/max_seconds)."""
    t0 = time.monotonic()
    rep = demo.profile("fib", "detailed", runs=1000, max_seconds=0.3)
    took = time.monotonic() - t0
    check_reply(r, contract, "budget", rep)
    r.check(rep.get("stopped") == "budget" and 1 <= rep.get("runs_done", 0) < 1000,
            "runs stop when max_seconds is spent", str({k: rep.get(k) for k in
                                                        ("stopped", "runs_done", "wall_s")}))
    r.check(took < 1.3 + 0.5, "budget: the reply comes soon after max_seconds", f"{took:.2f} s")
    rep = demo.profile("fib", "detailed", runs=3, max_seconds=30)
    r.check(rep.get("stopped") == "runs" and rep.get("runs_done") == 3,
            "all runs done within the budget", str(rep.get("stopped")))


def check_command(r, contract, demo):
    rep = demo.profile("ddwrite", "detailed", runs=2)
    check_reply(r, contract, "command profile", rep)
    runs = rep.get("detailed", {}).get("runs", [])
    r.check(rep.get("ok") is True and len(runs) == 2, "a command target runs twice", str(rep)[:300])
    for i, run in enumerate(runs):
        r.check(run.get("write_bytes", 0) >= 4 * MIB, f"command run {i}: child's write_bytes",
                str(run))
        r.check(run.get("rss_peak_bytes", 0) >= 1 * MIB, f"command run {i}: child's peak RSS",
                str(run))


def check_speedscope(r, demo):
    payload = demo.call_raw(pack({"op": "profile", "target": "fib", "mode": "sampling",
                                  "runs": 5, "clock": "wall", "hz": 2000}))
    tool = demo_path("perfbus-profview")
    out = subprocess.run([tool, "--speedscope"], input=payload, capture_output=True)
    r.check(out.returncode == 0, "perfbus-profview --speedscope", out.stderr.decode()[:300])
    schema_path = os.path.join(pbtest.SOURCE, "tests", "data",
                               "speedscope-file-format-schema.json")
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    try:
        doc = json.loads(out.stdout)
    except ValueError as e:
        r.check(False, "speedscope output is JSON", str(e))
        return
    # the vendored schema names its root #/definitions/FileFormat.File
    validator = pbtest.jsonschema.Draft7Validator(
        {"$ref": "#/definitions/FileFormat.File", "definitions": schema["definitions"]})
    errs = [e.message[:200] for e in validator.iter_errors(doc)]
    r.check(not errs, "speedscope export validates against speedscope's schema", "; ".join(errs[:3]))
    names = [fr["name"] for fr in doc.get("shared", {}).get("frames", [])]
    r.check("demo_fib" in names, "speedscope frames name demo_fib", str(names[:5]))
    bad = dict(doc, profiles=[dict(doc["profiles"][0], type="flamegraph")])
    r.check(bool(list(validator.iter_errors(bad))), "the schema rejects a broken document")
    out = subprocess.run([tool, "--folded"], input=payload, capture_output=True, text=False)
    lines = out.stdout.decode().splitlines()
    r.check(out.returncode == 0 and lines and all(l.rsplit(" ", 1)[1].isdigit() for l in lines) and
            any(l.startswith("target_fib;demo_fib;demo_fib") for l in lines),
            "folded stacks 'a;b;c N'", str(lines[:3]))
    out = subprocess.run([tool, "--table"], input=payload, capture_output=True)
    r.check(out.returncode == 0 and b"demo_fib" in out.stdout and b"total%" in out.stdout,
            "a readable table", out.stdout.decode()[:300])
    tracing = demo.call_raw(pack({"op": "profile", "target": "fib", "mode": "tracing"}))
    out = subprocess.run([tool, "--speedscope"], input=tracing, capture_output=True)
    r.check(out.returncode != 0 and b"no matching profile" in out.stderr,
            "speedscope of a tracing result is refused clearly", out.stderr.decode()[:200])
    out = subprocess.run([tool, "--table"], input=tracing, capture_output=True)
    r.check(out.returncode == 0 and b"ncalls" in out.stdout and b"demo_fib" in out.stdout,
            "pstats-like table for tracing", out.stdout.decode()[:300])


def main():
    r = pbtest.Results("profiling.requests")
    contract = pbtest.Contract()
    # exec: the measured child is dd itself; $TMPDIR is the demo's temp dir
    with Demo("--command", "ddwrite", "sh", "-c",
              'exec dd if=/dev/zero of="$TMPDIR/dd.out" bs=1M count=4 conv=fsync status=none'
              ) as demo:
        sub = demo.subscribe("prof.")
        check_targets(r, contract, demo)
        check_bad_requests(r, contract, demo)
        check_frames(r, contract, demo, sub)
        check_crash(r, contract, demo)
        check_hang(r, demo)
        check_section(r, contract, demo, sub)
        check_budget(r, contract, demo)
        check_command(r, contract, demo)
        check_speedscope(r, demo)
        r.check(demo.call({"op": "health"}).get("status") == "ok", "agent healthy at the end")
        rc = demo.close()
        r.check(rc == 0, "perfbus-demo exits 0 on SIGTERM", str(rc))
    r.finish()


if __name__ == "__main__":
    main()
