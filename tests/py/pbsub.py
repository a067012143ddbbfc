"""pbsub: helpers for the perfbus-sub integration tests (issue 3).

Starts perfbusd and perfbus-sub on ipc:// endpoints in a temp dir, talks to the
subscriber's query socket, and computes summaries in Python exactly as
subscriber/pb_summary.h documents them (numpy's linear percentiles,
population stddev) -- independently of the C code.
"""

import math
import os
import shutil
import struct
import tempfile
import time

import pbtest  # first: it explains a missing python3-zmq/msgpack instead of a traceback

import msgpack
import zmq

import gen_schemas

SUB_READY = "perfbus-sub: ready"


build_path = pbtest.build_path
Proc = pbtest.Proc


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
        """pbtest.send_raw() against the query socket."""
        return pbtest.send_raw(self.ctx, self.query, frames, kind, timeout)

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
# What the history keeps of a frame (pb_frame_reader + pb_history): the catalogue's counters,
# gauges and rates outside lists, by path; rates and percentages at float32 precision.
NUMBERS = {(f.frame, f.path): f for f in gen_schemas.FIELDS
           if f.kind in ("counter", "gauge", "rate") and "[]" not in f.path}


def as_stored(field, value):
    """value as the history's ring stores the field (a float for rates and percentages)."""
    if field.kind == "rate" or field.unit == "%":
        return struct.unpack("f", struct.pack("f", value))[0]
    return float(value)


def leaves(frame, prefix="", kind=None, exact=False):
    """{path: value} of the numbers the history keeps of a decoded frame, as it stores them
    (exact: as sent, which is what the reporter uses)."""
    kind = kind or frame.get("type")
    out = {}
    for key, value in frame.items():
        path = prefix + key
        if isinstance(value, dict):
            out.update(leaves(value, path + ".", kind, exact))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            field = NUMBERS.get((kind, path))
            if field:
                out[path] = float(value) if exact else as_stored(field, value)
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


def summaries(frames, exact=False):
    """{field: summary} over decoded frames of one series (exact: see leaves)."""
    series = {}
    for f in frames:
        for path, value in leaves(f, exact=exact).items():
            series.setdefault(path, []).append((f["ts"], value))
    return {k: summarize(v) for k, v in series.items()}


def close_enough(a, b):
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
