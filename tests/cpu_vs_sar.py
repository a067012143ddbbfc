#!/usr/bin/python3
"""accuracy.cpu_vs_sar: perfbusd's system CPU busy % against `sar -u 1 8` under stress-ng.

stress-ng loads one core at 60 %; after a 2 s warm-up, sar measures 8 s while
perfbusd publishes sys frames every 0.1 s. perfbusd's figure for sar's window is
computed as sar does, from the *_ticks_total counters of the frames nearest the
window's ends; the interval-weighted mean of cpu.total.busy_pct over the same
frames must agree too. busy = 100 - %idle - %iowait. Pass: within 3 points.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "py"))
import pbtest  # noqa: E402

TOLERANCE = 3.0
WINDOW_S = 8
SUM_TICKS = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]


def need_tools():
    for tool, package in (("sar", "sysstat"), ("stress-ng", "stress-ng")):
        if not shutil.which(tool):
            pbtest.fail_now(f"'{tool}' not found: install the Debian package {package} "
                            "(scripts/deps.sh)")


def sar_busy(text):
    """busy % from the Average line of `LC_ALL=C sar -u`: 100 - %idle - %iowait."""
    lines = text.splitlines()
    header = next((ln.split() for ln in lines if "%idle" in ln), None)
    avg = next((ln.split() for ln in lines if ln.startswith("Average:")), None)
    if not header or not avg:
        raise ValueError(f"no header/Average line in sar output:\n{text}")
    cols = dict(zip(reversed(header), reversed(avg)))  # both end with the % columns
    return 100.0 - float(cols["%idle"]) - float(cols["%iowait"])


def ticks_busy(a, b):
    """busy % between two sys frames from their cpu.total tick counters."""
    ta, tb = a["cpu"]["total"], b["cpu"]["total"]
    delta = {k: tb[f"{k}_ticks_total"] - ta[f"{k}_ticks_total"] for k in SUM_TICKS}
    total = sum(delta.values())
    if total <= 0:
        raise ValueError(f"no ticks elapsed between seq {a['seq']} and {b['seq']}")
    return 100.0 * (total - delta["idle"] - delta["iowait"]) / total


def nearest(frames, ts):
    return min(frames, key=lambda f: abs(f["ts"] - ts))


def mean_busy(frames, a, b):
    """Interval-weighted mean of busy_pct of the frames after a up to b."""
    inside = [f for f in frames if a["seq"] < f["seq"] <= b["seq"] and not f["first"]]
    weight = sum(f["interval_s"] for f in inside)
    if not inside or weight <= 0:
        raise ValueError("no frames with busy_pct inside the window")
    return sum(f["cpu"]["total"]["busy_pct"] * f["interval_s"] for f in inside) / weight


def measure(daemon):
    """Runs stress-ng and sar; returns (sys frames, sar start ns, sar output)."""
    sub = daemon.subscribe("sys.")
    stress = subprocess.Popen(["stress-ng", "--cpu", "1", "--cpu-load", "60", "--timeout",
                               "60s", "--quiet"], start_new_session=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(2.0)  # warm-up
        env = dict(os.environ, LC_ALL="C")
        t0 = time.time_ns()
        sar = subprocess.Popen(["sar", "-u", "1", str(WINDOW_S)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env)
        frames = []
        while sar.poll() is None or sub.poll(0):
            if sub.poll(100):
                frames.append(pbtest.unpack(sub.recv_multipart()[1]))
        out = sar.stdout.read()
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            if sub.poll(50):
                frames.append(pbtest.unpack(sub.recv_multipart()[1]))
        if sar.returncode != 0:
            pbtest.fail_now(f"sar exited {sar.returncode}: {out}")
        if stress.poll() is not None:
            pbtest.fail_now(f"stress-ng stopped early (status {stress.returncode}): "
                            f"{stress.stdout.read()}")
        return frames, t0, out
    finally:
        if stress.poll() is None:
            os.killpg(stress.pid, signal.SIGTERM)
        stress.communicate()  # its "finished prematurely" warning is ours: not shown
        sub.close()


def main():
    need_tools()
    r = pbtest.Results("accuracy.cpu_vs_sar")
    with pbtest.Daemon(interval=0.1) as daemon:
        frames, t0, out = measure(daemon)
        pbtest.stop_and_check(daemon, r)
    if not r.check(len(frames) >= 60, "perfbusd published sys frames during sar's window",
                   f"{len(frames)} frames"):
        r.finish()
    a, b = nearest(frames, t0), nearest(frames, t0 + WINDOW_S * 10**9)
    r.check(abs(a["ts"] - t0) < 2 * 10**8 and abs(b["ts"] - t0 - WINDOW_S * 10**9) < 2 * 10**8,
            "frames bracket sar's window within 0.2 s",
            f"start off by {(a['ts'] - t0) / 1e9:.3f} s, end by "
            f"{(b['ts'] - t0) / 1e9 - WINDOW_S:.3f} s")
    sar = sar_busy(out)
    by_ticks = ticks_busy(a, b)
    by_rates = mean_busy(frames, a, b)
    print(f"sar -u 1 {WINDOW_S} busy: {sar:.2f} %")
    print(f"perfbusd busy from tick counters: {by_ticks:.2f} % "
          f"(seq {a['seq']}..{b['seq']}, {(b['ts'] - a['ts']) / 1e9:.2f} s)")
    print(f"perfbusd busy, weighted mean of busy_pct: {by_rates:.2f} %")
    r.check(abs(by_ticks - sar) <= TOLERANCE, f"ticks figure within {TOLERANCE} points of sar",
            f"{by_ticks:.2f} vs {sar:.2f}")
    r.check(abs(by_rates - sar) <= TOLERANCE, f"busy_pct mean within {TOLERANCE} points of sar",
            f"{by_rates:.2f} vs {sar:.2f}")
    r.check(abs(by_rates - by_ticks) <= 0.5, "busy_pct agrees with the tick counters",
            f"{by_rates:.2f} vs {by_ticks:.2f}")
    r.check(sar >= 20.0, "stress-ng produced a visible load", f"sar says {sar:.2f} %")
    r.finish()


if __name__ == "__main__":
    main()
