"""curvetest: helpers for the CURVE integration tests (issue 12).

Key pairs come from `perfbus keygen` and are read back with pyzmq's own
zmq.auth.load_certificate; servers bind tcp://127.0.0.1:* (an ephemeral port)
and their ready lines say which port they got.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

import pbtest  # first: it explains a missing python3-zmq/msgpack instead of a traceback

import msgpack
import zmq
import zmq.auth

build_path = pbtest.build_path
Proc = pbtest.Proc


def require_curve():
    if not zmq.has("curve"):
        pbtest.fail_now("this libzmq has no CURVE (zmq.has('curve') is False)")


class Keys:
    """A temp dir with key pairs made by `perfbus keygen` and an allow dir."""

    def __init__(self, *names):
        self.dir = tempfile.mkdtemp(prefix="pbcurve-")
        self.allow = os.path.join(self.dir, "allow")
        os.mkdir(self.allow)
        self.out = {}
        for n in names:
            self.keygen(n)

    def keygen(self, name):
        r = subprocess.run([build_path("cli", "perfbus"), "keygen", name, "--dir", self.dir],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            pbtest.fail_now(f"perfbus keygen {name} failed ({r.returncode}): {r.stderr}")
        self.out[name] = r.stdout
        return r

    def path(self, name):
        return os.path.join(self.dir, name)

    def pair(self, name):
        """(public, secret) as bytes, through pyzmq's loader of the secret file."""
        return zmq.auth.load_certificate(self.path(name) + "_secret")

    def public(self, name):
        return zmq.auth.load_certificate(self.path(name))[0]

    def allow_key(self, name):
        """Copies NAME's public certificate into the allow dir atomically (cp, then mv)."""
        tmp = os.path.join(self.dir, f".{name}.tmp")
        shutil.copy(self.path(name), tmp)
        os.rename(tmp, os.path.join(self.allow, name))

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def ready_fields(proc, prefix):
    """The key=value pairs of the ready line starting with prefix."""
    for line in proc.log:
        if prefix in line:
            return dict(re.findall(r"(\S+)=(\S+)", line))
    return {}


def curve_socket(ctx, kind, own=None, server_public=None):
    """A socket of kind; with own=(public, secret) and server_public a CURVE client."""
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, 0)
    if own:
        s.curve_publickey, s.curve_secretkey = own
        s.curve_serverkey = server_public
    return s


def sub_socket(ctx, endpoint, own=None, server_public=None, prefix=b""):
    s = curve_socket(ctx, zmq.SUB, own, server_public)
    s.setsockopt(zmq.RCVHWM, 0)
    s.setsockopt(zmq.SUBSCRIBE, prefix)
    s.connect(endpoint)
    return s


def req_socket(ctx, endpoint, own=None, server_public=None, op="health"):
    """A REQ with one request already sent."""
    s = curve_socket(ctx, zmq.REQ, own, server_public)
    s.connect(endpoint)
    s.send(msgpack.packb({"op": op}))
    return s


def first_message(socks, seconds):
    """Polls every socket for `seconds`; returns {socket: first message or None}."""
    got = {s: None for s in socks}
    poller = zmq.Poller()
    for s in socks:
        poller.register(s, zmq.POLLIN)
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        for s, _ in poller.poll(int(left * 1000) + 1):
            if got[s] is None:
                got[s] = s.recv_multipart()
            else:
                s.recv_multipart()
    return got


def request(ctx, endpoint, own, server_public, op="health", timeout=5.0):
    """One request as an allowed CURVE client; the decoded reply or None."""
    s = req_socket(ctx, endpoint, own, server_public, op)
    try:
        if not s.poll(int(timeout * 1000)):
            return None
        return msgpack.unpackb(s.recv(), raw=False)
    finally:
        s.close()


def wait_for(fn, timeout, step=0.1):
    """Calls fn until it returns a truthy value or timeout passes; returns the last value."""
    end = time.monotonic() + timeout
    value = fn()
    while not value and time.monotonic() < end:
        time.sleep(step)
        value = fn()
    return value
