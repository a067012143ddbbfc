"""security.curve_pyzmq: a Python client using only pyzmq's zmq.auth subscribes with CURVE.

`perfbus keygen` writes the pairs; zmq.auth.load_certificate reads them (the
documented files: the server's public certificate, the client's secret one);
a plain pyzmq SUB with those keys receives perfbusd's frames over
tcp://127.0.0.1, and the keys pyzmq reads are the ones keygen printed.
keygen refuses to overwrite a pair without --force.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import curvetest as ct  # noqa: E402
import pbtest  # noqa: E402

import msgpack  # noqa: E402
import zmq  # noqa: E402
import zmq.auth  # noqa: E402


def check_keygen(r, keys):
    out = keys.out["server"]
    public, secret = zmq.auth.load_certificate(keys.path("server") + "_secret")
    r.check(public is not None and secret is not None and len(public) == 40 == len(secret),
            "zmq.auth.load_certificate reads both keys of NAME_secret", f"{public} {secret}")
    pub_only = zmq.auth.load_certificate(keys.path("server"))
    r.check(pub_only[0] == public and pub_only[1] is None,
            "zmq.auth.load_certificate reads NAME as a public certificate", str(pub_only))
    r.check(f"public key: {public.decode()}" in out, "keygen prints the public key", out)
    r.check(keys.path("server") in out and keys.path("server") + "_secret" in out,
            "keygen prints both paths", out)
    mode = os.stat(keys.path("server") + "_secret").st_mode & 0o777
    r.check(mode == 0o600, "the secret file has mode 0600", oct(mode))
    again = subprocess.run([ct.build_path("cli", "perfbus"), "keygen", "server", "--dir",
                            keys.dir], capture_output=True, text=True, timeout=30)
    r.check(again.returncode != 0 and "--force" in again.stderr,
            "keygen refuses to overwrite without --force", again.stderr)
    r.check(zmq.auth.load_certificate(keys.path("server"))[0] == public,
            "... and leaves the pair as it was")


def main():
    ct.require_curve()
    r = pbtest.Results("security.curve_pyzmq")
    keys = ct.Keys("server", "client")
    keys.allow_key("client")
    ctx = zmq.Context()
    d = None
    try:
        check_keygen(r, keys)
        argv = [ct.build_path("publisher", "perfbusd"), "--pub", "tcp://127.0.0.1:*",
                "--control", "tcp://127.0.0.1:*", "--interval", "0.2",
                "--curve-secret", keys.path("server"), "--curve-allow", keys.allow]
        d = ct.Proc(argv, "perfbusd: ready")
        pub = ct.ready_fields(d, "perfbusd: ready")["pub"]
        # only pyzmq: keys through zmq.auth, options set on a plain socket
        server_public, _ = zmq.auth.load_certificate(keys.path("server"))
        client_public, client_secret = zmq.auth.load_certificate(keys.path("client") + "_secret")
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.LINGER, 0)
        sub.curve_secretkey = client_secret
        sub.curve_publickey = client_public
        sub.curve_serverkey = server_public
        sub.setsockopt(zmq.SUBSCRIBE, b"sys.")
        sub.connect(pub)
        got = sub.recv_multipart() if sub.poll(10000) else None
        r.check(got is not None and got[0].startswith(b"sys."),
                "a pure-pyzmq SUB with zmq.auth-loaded keys receives sys frames", str(got)[:80])
        frame = msgpack.unpackb(got[1], raw=False) if got else {}
        r.check(frame.get("type") == "sys", "the frame decodes as a sys frame", str(frame)[:80])
        sub.close()
    finally:
        if d:
            d.stop()
        ctx.destroy(linger=0)
        keys.close()
    r.finish()


if __name__ == "__main__":
    main()
