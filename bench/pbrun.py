#!/usr/bin/python3
"""pbrun: runs one command and prints its CPU time (user + sys) and peak RSS from wait4(2).

    pbrun.py [--sys-frames N --endpoint EP] [--timeout S] [--log FILE] -- COMMAND...

With --sys-frames, subscribes to EP (a perfbusd PUB endpoint, every topic, so
that perfbusd really sends what it publishes) and stops the command with
SIGTERM once N `sys.` frames have arrived: N samples. Without it, waits for
the command to exit (sadc and pidstat stop by themselves after their count).
Prints one line: cpu_us=... maxrss_kb=... anon_kb=... pss_kb=... wall_s=... samples=... status=...
Peak RSS is VmHWM read while it runs; anonymous RSS and PSS are their peaks as polled. The CPU time is the kernel's rusage of the reaped child: every thread,
startup and shutdown included, for perfbusd as for the reference tools.
"""

import os
import signal
import subprocess
import sys
import time


def parse(argv):
    opts = {"sys_frames": 0, "endpoint": None, "timeout": 600.0, "log": os.devnull}
    i = 0
    while i < len(argv) and argv[i] != "--":
        key = argv[i].lstrip("-").replace("-", "_")
        if key not in opts or i + 1 >= len(argv):
            sys.exit(f"pbrun: unknown or incomplete option {argv[i]}")
        opts[key] = argv[i + 1]
        i += 2
    if i + 1 >= len(argv):
        sys.exit("usage: pbrun.py [--sys-frames N --endpoint EP] [--timeout S] -- COMMAND...")
    return int(opts["sys_frames"]), opts["endpoint"], float(opts["timeout"]), opts["log"], argv[i + 1:]


def alive(proc):
    """True while the child runs; never reaps it (wait4 must get its rusage)."""
    return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None


def count_sys_frames(endpoint, want, deadline, proc):
    import zmq  # Debian's python3-zmq; only needed in this mode
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RECONNECT_IVL, 10)
    sub.setsockopt(zmq.RCVHWM, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(endpoint)
    seen = 0
    while seen < want and time.monotonic() < deadline and alive(proc):
        if sub.poll(200):
            parts = sub.recv_multipart()
            seen += parts[0].startswith(b"sys.")
    ctx.destroy(linger=0)
    return seen


def _kb_fields(path, keys):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in keys:
                    out[key] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return out


def memory_kb(pid):
    """(peak RSS, anonymous RSS, PSS) in KiB (0s when gone). Peak RSS is VmHWM:
    wait4's ru_maxrss would count this script's own RSS from before the exec.
    Anonymous RSS is the private memory (heap, stacks); PSS shares each mapped
    library page among the processes mapping it."""
    status = _kb_fields(f"/proc/{pid}/status", ("VmHWM", "RssAnon"))
    rollup = _kb_fields(f"/proc/{pid}/smaps_rollup", ("Pss",))
    return status.get("VmHWM", 0), status.get("RssAnon", 0), rollup.get("Pss", 0)


def peak(a, b):
    return tuple(max(x, y) for x, y in zip(a, b))


def wait_exit(proc, deadline):
    """Polls until the child has exited (not reaped); returns its memory peaks."""
    mem = (0, 0, 0)
    while True:
        mem = peak(mem, memory_kb(proc.pid))
        try:
            if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                return mem
        except ChildProcessError:
            return mem
        if time.monotonic() > deadline:
            proc.kill()
        time.sleep(0.05)


def main():
    want, endpoint, timeout, log, cmd = parse(sys.argv[1:])
    start = time.monotonic()
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=out, stdin=subprocess.DEVNULL)
    # `make bench` interrupted: stop the command too, then report nothing
    signal.signal(signal.SIGTERM, lambda *_: (proc.kill(), sys.exit(1)))
    samples = 0
    if want:
        samples = count_sys_frames(endpoint, want, start + timeout, proc)
        mem = memory_kb(proc.pid)
        proc.send_signal(signal.SIGTERM)
    hwm, anon, pss = peak(mem if want else (0, 0, 0), wait_exit(proc, start + timeout))
    try:
        _, status, ru = os.wait4(proc.pid, 0)
    except ChildProcessError:
        sys.exit("pbrun: lost the child")
    wall = time.monotonic() - start
    cpu_us = (ru.ru_utime + ru.ru_stime) * 1e6
    print(f"cpu_us={cpu_us:.0f} maxrss_kb={hwm} anon_kb={anon} pss_kb={pss} wall_s={wall:.2f} "
          f"samples={samples} "
          f"status={os.waitstatus_to_exitcode(status)}")
    if want and samples < want:
        sys.exit(f"pbrun: only {samples} of {want} sys frames from {endpoint}")


if __name__ == "__main__":
    main()
