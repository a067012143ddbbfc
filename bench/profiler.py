#!/usr/bin/python3
"""profiler: slowdown and attribution error of perfbus's profiler on the demo's 70/30 target.

    profiler.py DEMO_BINARY ROUNDS TMPDIR

Starts perfbus-demo (an application linking libperfbus), then in interleaved
rounds (so that load from elsewhere hits every mode alike) times the `split`
target unprofiled (op simulate), under sampling (wall clock 1 kHz, CPU clock
250 Hz), under tracing, and unprofiled again while `perf record -F 1000 -g`
samples the process (the reference). split_a does 7 units of work per call,
split_b 3: the true shares are 70 % / 30 %; the error is |share of split_a in
split_a + split_b - 70| in percentage points. Prints key=value lines; on a
failure prints `error=reason` and exits 1.
"""

import os
import re
import signal
import subprocess
import sys
import time

import msgpack
import zmq


class Demo:
    def __init__(self, binary, tmp):
        env = dict(os.environ, TMPDIR=tmp)
        self.proc = subprocess.Popen([binary], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                     text=True, env=env)
        lines = [self.proc.stdout.readline().split() for _ in range(2)]
        if [l[:1] for l in lines] != [["endpoint"], ["pub"]]:
            raise RuntimeError(f"perfbus-demo did not print its endpoints: {lines}")
        self.endpoint = lines[0][1]
        self.ctx = zmq.Context()

    def call(self, req, timeout=60.0):
        sock = self.ctx.socket(zmq.REQ)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(self.endpoint)
        try:
            sock.send(msgpack.packb(req, use_bin_type=True))
            if not sock.poll(int(timeout * 1000)):
                raise RuntimeError(f"no reply to {req['op']} within {timeout} s")
            rep = msgpack.unpackb(sock.recv(), raw=False)
        finally:
            sock.close()
        if not rep.get("ok"):
            raise RuntimeError(f"{req['op']} refused: {rep.get('error')}")
        return rep

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.ctx.destroy(linger=0)


def median(values):
    v = sorted(values)
    return v[len(v) // 2] if v else float("nan")


def share_error(a, b):
    return abs(100.0 * a / (a + b) - 70.0) if a + b > 0 else float("nan")


def fn(functions, name, key):
    return sum(f.get(key, 0) for f in functions if f.get("name") == name)


def perf_shares(data):
    """split_a and split_b self shares from perf report."""
    out = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "sym",
                          "--stdio"], capture_output=True, text=True, check=True).stdout
    share = {}
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)%.*\] (split_[ab])\s*$", line)
        if m:
            share[m.group(2)] = share.get(m.group(2), 0) + float(m.group(1))
    return share.get("split_a", 0), share.get("split_b", 0)


def perf_round(demo, tmp, walls):
    data = os.path.join(tmp, "perf.data")
    perf = subprocess.Popen(["perf", "record", "-F", "1000", "-g", "-o", data, "-p",
                             str(demo.proc.pid)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(0.3)  # perf attaches
    walls += demo.call(dict(op="simulate", kind="split", seconds=0.5))["run_wall_s"]
    perf.send_signal(signal.SIGINT)
    perf.wait(30)
    return perf_shares(data)


def measure(demo, rounds, tmp):
    modes = {"sampling_wall": dict(mode="sampling", clock="wall", hz=1000),
             "sampling_cpu": dict(mode="sampling", clock="cpu", hz=250),
             "tracing": dict(mode="tracing")}
    walls = {"none": [], "perf": [], **{m: [] for m in modes}}
    err = {m: [] for m in [*modes, "perf"]}
    for _ in range(rounds):
        walls["none"] += demo.call(dict(op="simulate", kind="split", seconds=0.5))["run_wall_s"]
        for label, req in modes.items():
            rep = demo.call(dict(op="profile", target="split", runs=2, **req))
            walls[label] += rep["run_wall_s"]
            section = rep[req["mode"]]["functions"]
            key = "self_pct" if req["mode"] == "sampling" else "tottime_s"
            err[label].append(share_error(fn(section, "split_a", key), fn(section, "split_b", key)))
        err["perf"].append(share_error(*perf_round(demo, tmp, walls["perf"])))
    base = median(walls["none"])
    print(f"base_ms={base * 1000:.1f}")
    for label in [*modes, "perf"]:
        print(f"{label}_ratio={median(walls[label]) / base:.3f} {label}_err_pts={median(err[label]):.2f}")


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: profiler.py DEMO_BINARY ROUNDS TMPDIR")
    demo = None
    try:
        demo = Demo(sys.argv[1], sys.argv[3])
        measure(demo, int(sys.argv[2]), sys.argv[3])
    except (RuntimeError, KeyError, OSError, subprocess.SubprocessError, zmq.ZMQError) as e:
        print(f"error={str(e).replace(' ', '_')[:200]}")
        sys.exit(1)
    finally:
        if demo:
            demo.close()


if __name__ == "__main__":
    main()
