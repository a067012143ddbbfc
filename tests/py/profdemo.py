"""profdemo: runs examples' perfbus-demo (an app linking libperfbus) and talks to its agent.

Shared by the profiling tests (tests/profiling.cmake). The demo's target
shapes are documented at the top of examples/perfbus_demo.c; the constants
below repeat them.
"""

import os
import subprocess
import tempfile
import time

import msgpack
import zmq

import pbtest

SPLIT_PAIRS = 20000   # split_a and split_b calls per run of "split"
FIB_N = 27            # demo_fib(FIB_N) per run of "fib"
MIB = 1 << 20


def fib_calls(n):
    """Calls made by the naive recursive fib(n): C(n) = C(n-1) + C(n-2) + 1."""
    a, b = 1, 1  # C(0), C(1)
    for _ in range(n - 1):
        a, b = b, a + b + 1
    return b if n >= 1 else a


def demo_path(name="perfbus-demo"):
    build = os.environ.get("PB_BUILD")
    if not build:
        pbtest.fail_now("PB_BUILD is not set (run through ctest)")
    path = os.path.join(build, "examples", name)
    if not os.access(path, os.X_OK):
        pbtest.fail_now(f"{path} is missing: build the examples first")
    return path


class Demo:
    """perfbus-demo on ephemeral loopback ports; a context manager."""

    def __init__(self, *extra):
        self.tmp = tempfile.mkdtemp(prefix="pbprof-")
        env = dict(os.environ, TMPDIR=self.tmp)
        self.proc = subprocess.Popen([demo_path(), *extra], stdout=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, text=True, env=env)
        lines = [self.proc.stdout.readline().split() for _ in range(2)]
        if [l[:1] for l in lines] != [["endpoint"], ["pub"]]:
            self.proc.kill()
            pbtest.fail_now(f"perfbus-demo did not print its endpoints: {lines}")
        self.endpoint, self.pub = lines[0][1], lines[1][1]
        self.ctx = zmq.Context()

    def raw(self, parts, kind="req", timeout=30.0):
        """Sends message parts; returns the reply parts or None on timeout.
        kind 'dealer' sends no empty delimiter (a DEALER client)."""
        sock = self.ctx.socket(zmq.REQ if kind == "req" else zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(self.endpoint)
        try:
            sock.send_multipart(parts)
            if not sock.poll(int(timeout * 1000)):
                return None
            return sock.recv_multipart()
        finally:
            sock.close()

    def call_raw(self, req, timeout=30.0):
        """The reply payload bytes of one request (dict or bytes)."""
        payload = req if isinstance(req, bytes) else msgpack.packb(req, use_bin_type=True)
        parts = self.raw([payload], timeout=timeout)
        if parts is None:
            raise RuntimeError(f"no reply within {timeout} s to {str(req)[:100]}")
        return parts[0]

    def call(self, req, timeout=30.0):
        return pbtest.unpack(self.call_raw(req, timeout))

    def profile(self, target, mode, timeout=60.0, **args):
        return self.call(dict(op="profile", target=target, mode=mode, **args), timeout)

    def settled(self, rep, timeout=120.0):
        """The result of a profile or simulate job. On a machine so loaded that
        a run outlasts the job's deadline the agent answers `timeout` and keeps
        the result (the run goes on; the agent refuses the target until then):
        wait for it by id rather than fail, and rather than have every later
        request refused while the abandoned run finishes."""
        if rep.get("error", {}).get("code") != "timeout" or "id" not in rep:
            return rep
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            res = self.call(dict(op="results", id=rep["id"]))
            if not res.get("ok") or res.get("state") == "done":
                return res
            time.sleep(0.1)
        return rep

    def profile_done(self, target, mode, timeout=120.0, **args):
        """profile(), then the kept result if the reply was a deadline's."""
        return self.settled(self.profile(target, mode, timeout, **args), timeout)

    def simulate_done(self, kind, seconds, timeout=120.0):
        """The unprofiled runs of `kind` for `seconds`, kept result as above."""
        return self.settled(self.call(dict(op="simulate", kind=kind, seconds=seconds), timeout),
                            timeout)

    def subscribe(self, prefix="prof."):
        sock = self.ctx.socket(zmq.SUB)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.RCVHWM, 0)
        sock.setsockopt_string(zmq.SUBSCRIBE, prefix)
        sock.connect(self.pub)
        time.sleep(0.2)  # let the subscription reach the publisher
        return sock

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.ctx.destroy(linger=0)
        subprocess.run(["rm", "-rf", self.tmp], check=False)
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def by_name(functions):
    return {f["name"]: f for f in functions}


def median(values):
    v = sorted(values)
    return v[len(v) // 2] if v else float("nan")
