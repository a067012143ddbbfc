#!/usr/bin/python3
"""publisher.ctxsw_carry: a watched process's context-switch counters are exact after every wake-up.

perfbusd reads /proc/PID/status only when the process's leader was switched
in or out since the last read (its /proc/PID/schedstat moved); otherwise it
carries the last counts over. This test wakes a child ROUNDS times (a byte
on its stdin pipe; it burns 150 ms of CPU, more than an interval, acks, and blocks in read again),
and after each round, once the child sleeps, the second proc frame sent after
that moment must carry exactly /proc/PID/status's voluntary and involuntary
counts. Samples taken while the child ran (state R) are the case a carry
based on the switch-in count alone would get wrong by one: the test checks
that some were taken.
"""

import os
import subprocess
import time

import pbtest

INTERVAL = 0.1
ROUNDS = 20
CHILD = r"""
import os, sys, time
while os.read(0, 1):
    t = time.process_time()
    while time.process_time() - t < 0.15:
        pass
    os.write(1, b"k")
"""


def status_counts(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"):
                out[key] = int(value)
    return out["voluntary_ctxt_switches"], out["nonvoluntary_ctxt_switches"]


def state(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rpartition(")")[2].split()[0]


def wait_sleeping(pid, deadline):
    while state(pid) != "S":
        if time.monotonic() > deadline:
            pbtest.fail_now(f"child {pid} never went back to sleep")
        time.sleep(0.002)


class Frames:
    """proc frames of one pid, in order, from a SUB socket."""

    def __init__(self, daemon, pid):
        self.sock = daemon.subscribe("proc.")
        self.pid = pid
        self.states = []

    def next(self, timeout=10.0):
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            if self.sock.poll(int(left * 1000) + 1):
                frame = pbtest.unpack(self.sock.recv_multipart()[1])
                if frame.get("pid") == self.pid and "vol_ctxsw_total" in frame:
                    self.states.append(frame.get("state"))
                    return frame
        pbtest.fail_now(f"no proc frame for pid {self.pid} within {timeout} s")

    def drain(self):
        while self.sock.poll(0):
            frame = pbtest.unpack(self.sock.recv_multipart()[1])
            if frame.get("pid") == self.pid and "vol_ctxsw_total" in frame:
                self.states.append(frame.get("state"))


def one_round(r, child, frames, n):
    child.stdin.write(b"x")
    child.stdin.flush()
    if child.stdout.read(1) != b"k":
        r.fatal("child did not ack")
    wait_sleeping(child.pid, time.monotonic() + 10)
    want = status_counts(child.pid)
    frames.drain()  # sampled before the child slept: no claim
    frames.next()   # sent after, but maybe sampled before
    frame = frames.next()
    got = (frame["vol_ctxsw_total"], frame["invol_ctxsw_total"])
    r.check(got == want, f"round {n}: the frame's (voluntary, involuntary) switches are status's",
            f"frame {got}, /proc/{child.pid}/status {want}")


def main():
    r = pbtest.Results("publisher.ctxsw_carry")
    child = subprocess.Popen(["/usr/bin/python3", "-c", CHILD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
    try:
        with pbtest.Daemon("--pid", child.pid, interval=INTERVAL) as d:
            frames = Frames(d, child.pid)
            frames.next()
            for n in range(ROUNDS):
                one_round(r, child, frames, n)
                d.check_alive(r)
            running = sum(s == "R" for s in frames.states)
            r.check(running > 0, "some samples caught the child running (the case under test)",
                    f"states seen: {frames.states}")
            pbtest.stop_and_check(d, r)
    finally:
        child.kill()
        child.wait()
    r.finish()


if __name__ == "__main__":
    main()
