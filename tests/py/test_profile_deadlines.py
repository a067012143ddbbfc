#!/usr/bin/python3
"""profiling.deadlines: an armed section never holds the profiler past its deadline.

Against perfbus-demo (its section "request" runs every 10 ms): arm of a
section that does not exist expires at max_seconds and the agent profiles
again; arm of a real one with max_seconds 1 ends in about 1 s with the
executions seen; `cancel` (op and CLI) frees the agent at once; the CLI's
`arm --max-seconds`. Against perfbusd: its control `targets` answers at once
while the built-in agent is busy (armed) and while the agent's socket thread
is stuck in a large request (it used to make a 2 s loopback call to that
thread from the sampling loop).
"""

import os
import subprocess
import time

import msgpack
import zmq

import pbtest
from profdemo import Demo


def wait_result(demo, job, timeout):
    """Polls {op: results} until the job is no longer pending; returns (reply, seconds)."""
    t0 = time.monotonic()
    end = t0 + timeout
    while True:
        rep = demo.call({"op": "results", "id": job})
        if rep.get("state") not in ("armed", "queued", "running") or time.monotonic() > end:
            return rep, time.monotonic() - t0
        time.sleep(0.05)


def check_missing_section(r, contract, demo):
    rep = demo.call({"op": "arm", "section": "no-such-section", "count": 3, "max_seconds": 1})
    r.check(rep.get("ok") is True and rep.get("max_seconds") == 1.0,
            "arm of a missing section is accepted with its max_seconds", str(rep))
    r.check(not contract.errors("profile_reply", rep), "armed reply valid for the schema",
            "; ".join(contract.errors("profile_reply", rep)[:3]))
    busy = demo.profile("split", "sampling")
    r.check(busy.get("error", {}).get("code") == "busy", "busy while armed", str(busy)[:200])
    state, took = wait_result(demo, rep.get("id"), 20)
    r.check(state.get("state") == "done" and state.get("stopped") == "expired" and
            state.get("runs_done") == 0,
            "the arm expires with no executions", str(state)[:300])
    r.check(not contract.errors("profile_reply", state), "expired result valid for the schema",
            "; ".join(contract.errors("profile_reply", state)[:3]))
    r.check(took < 10, "it expires at its deadline (1 s), not later", f"{took:.2f} s")
    rep = demo.profile("split", "sampling")
    r.check(rep.get("ok") is True and rep.get("state") == "done",
            "after the deadline another profile gets a result, not busy", str(rep)[:200])
    dflt = demo.call({"op": "arm", "section": "no-such-section"})
    r.check(dflt.get("max_seconds") == 10.0, "arm's default max_seconds is 10", str(dflt))
    demo.call({"op": "cancel", "id": dflt.get("id")})
    over = demo.call({"op": "arm", "section": "request", "max_seconds": 61})
    r.check(over.get("error", {}).get("code") == "refused", "max_seconds above the cap: refused",
            str(over))


def check_expiry_keeps_executions(r, demo):
    t0 = time.monotonic()
    rep = demo.call({"op": "arm", "section": "request", "count": 1000, "max_seconds": 1,
                     "mode": "sampling", "clock": "wall"})
    r.check(rep.get("state") == "armed", "section 'request' armed for 1 s", str(rep))
    state, _ = wait_result(demo, rep.get("id"), 20)
    took = time.monotonic() - t0
    r.check(state.get("state") == "done" and state.get("stopped") == "expired",
            "arm with max_seconds 1 expires", str(state)[:200])
    r.check(0 < state.get("runs_done", 0) < 1000 and state.get("count") == 1000,
            "the result holds the executions seen", str(state.get("runs_done")))
    r.check(0.9 <= took < 10, "it expires in about 1 s", f"{took:.2f} s")


def check_cancel(r, contract, demo):
    nothing = demo.call({"op": "cancel"})
    r.check(nothing.get("error", {}).get("code") == "not_found", "cancel when idle: not_found",
            str(nothing))
    rep = demo.call({"op": "arm", "section": "no-such-section", "max_seconds": 30})
    t0 = time.monotonic()
    can = demo.call({"op": "cancel", "id": rep.get("id")})
    r.check(can.get("ok") is True and can.get("state") == "cancelled" and
            can.get("id") == rep.get("id") and can.get("op") == "arm",
            "cancel names the cancelled arm", str(can))
    r.check(not contract.errors("profile_reply", can), "cancel reply valid for the schema",
            "; ".join(contract.errors("profile_reply", can)[:3]))
    prof = demo.profile("split", "sampling")
    took = time.monotonic() - t0
    r.check(prof.get("ok") is True, "cancel frees the agent at once", str(prof)[:200])
    r.check(took < 5, "long before the arm's 30 s", f"{took:.2f} s")
    state, _ = wait_result(demo, rep.get("id"), 10)
    r.check(state.get("stopped") == "cancelled", "the cancelled arm's result says so",
            str(state)[:200])


def cli(demo, *args):
    perfbus = pbtest.build_path("cli", "perfbus")
    return subprocess.run([perfbus, *args, "--endpoint", demo.endpoint], capture_output=True,
                          text=True, timeout=60)


def check_cli(r, demo):
    out = cli(demo, "arm", "no-such-section", "--max-seconds", "20")
    r.check(out.returncode == 0 and "armed" in out.stdout and "expires in 20 s" in out.stdout,
            "perfbus arm --max-seconds", out.stdout + out.stderr)
    out = cli(demo, "cancel")
    r.check(out.returncode == 0 and "cancelled job" in out.stdout and "no-such-section"
            in out.stdout, "perfbus cancel", out.stdout + out.stderr)
    out = cli(demo, "cancel")
    r.check(out.returncode != 0 and "nothing to cancel" in out.stderr,
            "perfbus cancel when idle fails with the agent's message", out.stdout + out.stderr)
    out = cli(demo, "arm", "no-such-section", "--max-seconds", "0.5", "--wait", "--json")
    r.check(out.returncode == 0 and '"expired"' in out.stdout,
            "perfbus arm --wait returns the expired result", out.stdout[:300] + out.stderr)
    out = cli(demo, "cancel", "--help")
    r.check(out.returncode == 0 and "cannot be" in out.stdout and "interrupted" in out.stdout,
            "cancel --help says what cannot be interrupted", out.stdout)


def big_map():
    """A ~830 KiB request of 130 k keys: seconds of decoding where maps decode in quadratic time."""
    m = {"op": "health"}
    for i in range(130000):
        m[f"{i:x}"] = 0
    return msgpack.packb(m)


def check_daemon_targets(r):
    with pbtest.Daemon() as d:
        health = d.request({"op": "health"})
        agent = health.get("profile_endpoint")
        send = lambda msg, timeout=30.0: pbtest.unpack(pbtest.send_raw(
            d.ctx, agent, [msgpack.packb(msg)], timeout=timeout)[0])
        armed = send({"op": "arm", "section": "nowhere", "max_seconds": 30})
        r.check(armed.get("state") == "armed", "perfbusd's agent armed (busy)", str(armed))
        # occupy the agent's socket thread with a large request (no reply awaited here)
        stuck = d.ctx.socket(zmq.DEALER)
        stuck.setsockopt(zmq.LINGER, 0)
        stuck.connect(agent)
        stuck.send_multipart([b"", big_map()])
        stalled = pbtest.send_raw(d.ctx, agent, [msgpack.packb({"op": "health"})],
                                  timeout=0.3) is None
        print(f"note: agent socket thread {'stalled' if stalled else 'not stalled'} by the map")
        t0 = time.monotonic()
        rep = d.request({"op": "targets"}, timeout=10)
        took = time.monotonic() - t0
        names = [t.get("name") for t in rep.get("targets", [])]
        r.check(rep.get("ok") is True and "cpu" in names and rep.get("profile_endpoint") == agent,
                "control targets lists the agent's targets while it is busy", str(rep)[:300])
        r.check(took < 1.0, "control targets answers within 1 s (no call to the agent)",
                f"{took:.2f} s")
        h = d.request({"op": "health"}, timeout=5)
        r.check(h.get("status") == "ok", "perfbusd healthy", str(h)[:200])
        stuck.close()
        can = send({"op": "cancel"}, timeout=120)
        r.check(can.get("state") == "cancelled", "the arm is cancelled through the agent",
                str(can))
        pbtest.stop_and_check(d, r)


def main():
    r = pbtest.Results("profiling.deadlines")
    contract = pbtest.Contract()
    with Demo() as demo:
        check_missing_section(r, contract, demo)
        check_expiry_keeps_executions(r, demo)
        check_cancel(r, contract, demo)
        check_cli(r, demo)
        r.check(demo.call({"op": "health"}).get("busy") is False, "agent idle at the end")
        r.check(demo.close() == 0, "perfbus-demo exits 0 on SIGTERM")
    check_daemon_targets(r)
    r.finish()


if __name__ == "__main__":
    main()
