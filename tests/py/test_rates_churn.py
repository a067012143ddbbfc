#!/usr/bin/python3
"""hardening.rates_churn: at --interval 0.01 under process churn, every rate stays physical.

perfbusd runs at 10 ms with --top 5 while this test starts short-lived busy
shell loops (at most 2 at a time, a bounded number in all). A SUB client reads
every sys and proc frame: no process above 100 x threads nor 100 x ncpu (nor
its user or system part), no system CPU share above 100 %, and no two sys
samples closer than half the interval (by the sample's own interval_s; ts is
the send time). Whole 10 ms ticks over a 1 ms interval read as 1000 %: before
the fix a late cycle was followed ~1 ms later and nothing was clamped.
"""

import subprocess
import threading
import time

import zmq

import pbtest

INTERVAL = 0.01
CHURN_S = 4.0
MAX_CHILDREN = 2
MAX_SPAWNS = 120
# a busy loop of ~80-150 ms in dash: long enough to enter the top 5
BUSY = "i=0; while [ $i -lt 60000 ]; do i=$((i+1)); done"


def churn(stop, spawned):
    """Keeps up to MAX_CHILDREN busy children running until stop is set."""
    running = []
    while not stop.is_set() and spawned[0] < MAX_SPAWNS:
        running = [c for c in running if c.poll() is None]
        if len(running) < MAX_CHILDREN:
            running.append(subprocess.Popen(["/bin/sh", "-c", BUSY]))
            spawned[0] += 1
        else:
            stop.wait(0.005)
    for c in running:
        c.wait()


def read_frames(sock, seconds):
    """Every [topic, payload] until `seconds` have passed; decoded."""
    out = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if sock.poll(int(left * 1000) + 1):
            out.append(pbtest.unpack(sock.recv_multipart()[1]))
    while sock.poll(0):  # what is already queued
        out.append(pbtest.unpack(sock.recv_multipart()[1]))
    return out


def wait_first_sys(r, sock):
    end = time.monotonic() + 5
    while time.monotonic() < end:
        if sock.poll(100):
            frame = pbtest.unpack(sock.recv_multipart()[1])
            if frame["type"] == "sys":
                return frame
    r.fatal("no sys frame within 5 s")
    return None


def check_proc(r, frame, ncpu, bad):
    """Appends a description to bad for each bound the frame exceeds."""
    if frame.get("first", True) or "cpu_pct" not in frame:
        return
    cap = 100.0 * min(max(frame["threads"], 1), ncpu)
    for key in ("cpu_pct", "cpu_user_pct", "cpu_system_pct"):
        if frame[key] > cap or frame[key] < 0:
            bad.append(f"pid {frame['pid']} ({frame['comm']}) {key} {frame[key]:.1f} > {cap:.0f} "
                       f"(threads {frame['threads']}, ncpu {ncpu}, "
                       f"interval {frame['interval_s']:.4f} s)")


def check_sys(r, frame, bad):
    if frame.get("first", True):
        return
    if frame["interval_s"] < INTERVAL / 2:
        bad.append(f"sys sample {frame['interval_s'] * 1000:.2f} ms after the previous one")
    states = [frame["cpu"]["total"]] + list(frame["cpu"].get("cores", []))
    for st in states:
        for key, value in st.items():
            if key.endswith("_pct") and not 0 <= value <= 100:
                bad.append(f"sys cpu {st.get('id', 'total')} {key} = {value}")


def main():
    r = pbtest.Results("hardening.rates_churn")
    contract = pbtest.Contract()
    with pbtest.Daemon("--top", "5", interval=INTERVAL, timing=True) as d:
        sock = d.subscribe("sys.")
        sock.setsockopt_string(zmq.SUBSCRIBE, "proc.")
        ncpu = wait_first_sys(r, sock)["cpu"]["ncpu"]
        stop, spawned = threading.Event(), [0]
        worker = threading.Thread(target=churn, args=(stop, spawned))
        worker.start()
        try:
            frames = read_frames(sock, CHURN_S)
        finally:
            stop.set()
            worker.join()
        sock.close()
        d.check_alive(r)
        sys_frames = [f for f in frames if f["type"] == "sys"]
        procs = [f for f in frames if f["type"] == "proc" and not f.get("gone")]
        rated = [f for f in procs if not f.get("first", True)]
        clamped = [f for f in rated if f.get("cpu_clamped")]
        bad_sys, bad_proc = [], []
        for f in sys_frames:
            check_sys(r, f, bad_sys)
        for f in rated:
            check_proc(r, f, ncpu, bad_proc)
        print(f"{spawned[0]} children, {len(sys_frames)} sys frames, {len(rated)} proc frames "
              f"with rates, {len(clamped)} clamped; ncpu {ncpu}", flush=True)
        r.check(spawned[0] >= 10, "the churn ran", f"{spawned[0]} children")
        r.check(len(sys_frames) >= CHURN_S / INTERVAL / 4, "sys frames kept coming at 10 ms",
                f"{len(sys_frames)} in {CHURN_S} s")
        r.check(len(rated) >= 50, "proc frames with rates to check", f"{len(rated)}")
        r.check(not bad_sys, "sys: samples >= interval/2 apart, every CPU share within 0..100",
                f"{len(bad_sys)} problems, e.g. {bad_sys[:3]}")
        r.check(not bad_proc, "proc: CPU within 100 x threads and 100 x ncpu",
                f"{len(bad_proc)} frames, e.g. {bad_proc[:3]}")
        for f in clamped[:20] + rated[:20]:
            errors = contract.errors("proc", f)
            r.check(not errors, "a proc frame (clamped or not) is valid against proc.schema.json",
                    f"{errors[:2]}")
        pbtest.stop_and_check(d, r)
    r.finish()


if __name__ == "__main__":
    main()
