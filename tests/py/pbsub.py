"""pbsub: helpers for the perfbus-sub integration tests (issue 3).

Starts perfbusd and perfbus-sub on ipc:// endpoints in a temp dir, talks to the
subscriber's query socket, and computes summaries in Python exactly as
subscriber/pb_summary.h documents them (numpy's linear percentiles,
population stddev) -- independently of the C code.
"""

import math
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pbtest  # first: it explains a missing python3-zmq/msgpack instead of a traceback

import msgpack
import zmq

SUB_READY = "perfbus-sub: ready"


def build_path(*parts):
    build = os.environ.get("PB_BUILD")
    if not build:
        pbtest.fail_now("PB_BUILD is not set (run through ctest, or export PB_BUILD=<build dir>)")
    path = os.path.join(build, *parts)
    if not os.access(path, os.X_OK):
        pbtest.fail_now(f"{path} does not exist or is not executable: build it first")
    return path


class Proc:
    """A child process whose stderr is collected; ready when `ready` appears."""

    def __init__(self, argv, ready, timeout=10.0, env=None):
        self.argv = [str(a) for a in argv]
        self.log = []
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True, errors="replace", env=env)
        ok = threading.Event()
        self._reader = threading.Thread(target=self._drain, args=(ready, ok), daemon=True)
        self._reader.start()
        if not ok.wait(timeout):
            self.kill()
            pbtest.fail_now(f"{self.argv[0]} did not print '{ready}' within {timeout} s\n"
                            f"  argv: {' '.join(self.argv)}\n  stderr: {self.stderr()}")

    def _drain(self, ready, ok):
        for line in self.proc.stderr:
            self.log.append(line.rstrip("\n"))
            if ready in line:
                ok.set()

    def stderr(self):
        return " | ".join(self.log[-20:])

    def alive(self):
        return self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait()

    def stop(self, timeout=10.0):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        self._reader.join(2)
        return self.proc.returncode


class Bench:
    """A temp dir with endpoints for one perfbusd and one perfbus-sub."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pbsub-")
        self.pub = f"ipc://{self.dir}/pub"
        self.control = f"ipc://{self.dir}/ctl"
        self.query = f"ipc://{self.dir}/query"
        self.store = os.path.join(self.dir, "store")
        self.ctx = zmq.Context()
        self.procs = []

    def daemon(self, interval=0.1, *flags):
        argv = [build_path("publisher", "perfbusd"), "--pub", self.pub, "--control",
                self.control, "--interval", interval, *flags]
        p = Proc(argv, "perfbusd: ready")
        self.procs.append(p)
        return p

    def sub(self, *flags, connect=None):
        argv = [build_path("subscriber", "perfbus-sub"), "--connect", connect or self.pub,
                "--query", self.query, "--store", self.store, *flags]
        p = Proc(argv, SUB_READY)
        self.procs.append(p)
        return p

    def request(self, msg, timeout=5.0):
        """One request to the subscriber's query socket; returns the decoded reply."""
        sock = self.ctx.socket(zmq.REQ)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(self.query)
        try:
            payload = msg if isinstance(msg, bytes) else msgpack.packb(msg, use_bin_type=True)
            sock.send(payload)
            if not sock.poll(int(timeout * 1000)):
                raise RuntimeError(f"no reply within {timeout} s to {str(msg)[:80]}")
            return pbtest.unpack(sock.recv())
        finally:
            sock.close()

    def send_raw(self, frames, kind="req", timeout=5.0):
        """Like pbtest.Daemon.send_raw, against the query socket."""
        sock = self.ctx.socket(zmq.REQ if kind == "req" else zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(self.query)
        try:
            head = [b""] if kind == "dealer" else []
            sock.send_multipart(head + list(frames))
            if not sock.poll(int(timeout * 1000)):
                return None
            parts = sock.recv_multipart()
            return parts[1:] if kind == "dealer" and parts and parts[0] == b"" else parts
        finally:
            sock.close()

    def wait_for(self, predicate, timeout=10.0, op="stats"):
        """Polls op until predicate(reply) is true; returns the last reply."""
        end = time.monotonic() + timeout
        reply = None
        while time.monotonic() < end:
            reply = self.request({"op": op})
            if predicate(reply):
                return reply
            time.sleep(0.05)
        return reply

    def run_dirs(self):
        if not os.path.isdir(self.store):
            return []
        return sorted(os.path.join(self.store, d) for d in os.listdir(self.store))

    def close(self):
        for p in self.procs:
            p.kill()
        self.ctx.destroy(linger=0)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------- summaries
SKIP_TOP = {"v", "seq", "ts", "pid", "ppid", "uid"}


def leaves(frame, prefix=""):
    """Numeric leaves by dotted path, as pb_summary_leaves: maps entered, arrays not,
    bools and strings skipped, envelope/identity keys skipped at the top."""
    out = {}
    for key, value in frame.items():
        if not prefix and key in SKIP_TOP:
            continue
        path = prefix + key
        if isinstance(value, dict):
            out.update(leaves(value, path + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[path] = float(value)
    return out


def percentile(sorted_values, p):
    n = len(sorted_values)
    rank = p / 100.0 * (n - 1)
    lo = math.floor(rank)
    hi = min(lo + 1, n - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (rank - lo)


def summarize(samples):
    """samples: list of (ts, value) -> the summary map the subscriber returns."""
    values = sorted(v for _, v in samples)
    n = len(values)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / n
    return {"count": n, "min": values[0], "max": values[-1], "mean": mean,
            "stddev": math.sqrt(var), "p50": percentile(values, 50),
            "p95": percentile(values, 95), "p99": percentile(values, 99),
            "first_ts": min(t for t, _ in samples), "last_ts": max(t for t, _ in samples)}


def summaries(frames):
    """{field: summary} over decoded frames of one series."""
    series = {}
    for f in frames:
        for path, value in leaves(f).items():
            series.setdefault(path, []).append((f["ts"], value))
    return {k: summarize(v) for k, v in series.items()}


def close_enough(a, b):
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
