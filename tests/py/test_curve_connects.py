#!/usr/bin/python3
"""security.connects: perfbus-sub tells, per --connect, why a publisher sends it nothing.

perfbusd with CURVE (its key pair "server", the allow dir holding "client"), a second perfbusd
without CURVE, and a port where nothing listens. perfbus-sub (key pair "client") connects to:
the CURVE publisher with its right key (up), a second one (the same key pair) with a wrong key
(failing: closed during the handshake), the plain publisher by the name localhost with a key
(failing: a security mismatch, or a hang-up in the handshake when the publisher closes before
its greeting is read; shown under the name given) and the dead port (connecting). A second perfbus-sub whose key is not in the allow dir is failing with the
publisher's refusal. `stats` lists each endpoint with its state and reason, the log names
the endpoint once, not once per retry, and the right endpoint's frames flow meanwhile.
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import curvetest as ct  # noqa: E402
import pbtest  # noqa: E402

import msgpack  # noqa: E402
import zmq  # noqa: E402


LOG_PERIOD_MS = 10000  # PB_CONNMON_LOG_PERIOD_MS


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def daemon(keys, curve, name):
    argv = [ct.build_path("publisher", "perfbusd"), "--pub", "tcp://127.0.0.1:*", "--control",
            f"ipc://{keys.dir}/ctl-{name}", "--interval", "0.2"]
    if curve:
        argv += ["--curve-secret", keys.path("server"), "--curve-allow", keys.allow]
    d = ct.Proc(argv, "perfbusd: ready")
    return d, ct.ready_fields(d, "perfbusd: ready")["pub"]


def subscriber(keys, name, secret, connects):
    argv = [ct.build_path("subscriber", "perfbus-sub"), "--curve-secret", keys.path(secret),
            "--query", f"ipc://{keys.dir}/q-{name}"]
    for ep, key in connects:
        argv += ["--connect", ep] + (["--curve-server-key", key] if key else [])
    return ct.Proc(argv, "perfbus-sub: ready"), f"ipc://{keys.dir}/q-{name}"


def stats(ctx, query):
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(query)
    s.send(msgpack.packb({"op": "stats"}))
    reply = msgpack.unpackb(s.recv()) if s.poll(5000) else {}
    s.close()
    return reply


def states(ctx, query):
    return {c["endpoint"]: c for c in stats(ctx, query).get("connects", [])}


def main():
    r = pbtest.Results("security.connects")
    ct.require_curve()
    keys = ct.Keys("server", "client", "other")
    keys.allow_key("client")
    ctx = zmq.Context()
    procs = []
    try:
        curved, curve_ep = daemon(keys, True, "curve")
        second, wrong_ep = daemon(keys, True, "second")
        plain, plain_addr = daemon(keys, False, "plain")
        procs += [curved, second, plain]
        plain_ep = plain_addr.replace("127.0.0.1", "localhost")
        dead_ep = f"tcp://127.0.0.1:{free_port()}"
        server = keys.path("server")
        sub, query = subscriber(keys, "a", "client", [(curve_ep, server),
                                                      (wrong_ep, keys.path("other")),
                                                      (plain_ep, server), (dead_ep, None)])
        started = time.monotonic()
        outsider, oquery = subscriber(keys, "b", "other", [(curve_ep, server)])
        procs += [sub, outsider]
        want = {curve_ep: "up", wrong_ep: "failing", plain_ep: "failing", dead_ep: "connecting"}
        seen = ct.wait_for(lambda: (lambda s: s if all(
            s.get(ep, {}).get("state") == st and (ep != wrong_ep or s[ep]["failures"] >= 3)
            for ep, st in want.items()) else None)(states(ctx, query)), 20) or states(ctx, query)
        for ep, st in want.items():
            got = seen.get(ep, {})
            r.check(got.get("state") == st, f"{ep}: {st} in stats.connects", str(got))
        r.check("wrong --curve-server-key" in seen.get(wrong_ep, {}).get("last_error", ""),
                "a wrong server key: the publisher closed the handshake, says what to check",
                str(seen.get(wrong_ep)))
        why = seen.get(plain_ep, {}).get("last_error", "")
        r.check("security mismatch" in why or "no CURVE there" in why,
                "CURVE here, none there: failing under the name given, the reason names it",
                str(seen.get(plain_ep)))
        r.check(seen.get(curve_ep, {}).get("handshakes", 0) >= 1 and
                stats(ctx, query).get("frames", 0) > 0,
                "the right endpoint is up and its frames flow", str(seen.get(curve_ep)))
        theirs = ct.wait_for(lambda: (lambda s: s if s.get(curve_ep, {}).get("failures", 0) >= 1
                                      else None)(states(ctx, oquery)), 20) or states(ctx, oquery)
        got = theirs.get(curve_ep, {})
        r.check(got.get("state") == "failing" and got.get("last_error"),
                "a key not allowed there: failing, with the reason", str(got))
        print(f"not allowed: {got.get('last_error')}")
        elapsed = time.monotonic() - started
        for ep in (wrong_ep, plain_ep):
            lines = [line for line in sub.log if f"connect {ep}:" in line]
            failures = states(ctx, query)[ep]["failures"]
            most = 2 + int(elapsed * 1000 / LOG_PERIOD_MS)
            r.check(1 <= len(lines) <= most and (failures < 3 or len(lines) < failures) and
                    all("handshake(s) failed" in line for line in lines),
                    f"{ep}: logged naming the endpoint, at most once per "
                    f"{LOG_PERIOD_MS} ms ({len(lines)} lines for {failures} failures in "
                    f"{elapsed:.1f} s)", "\n".join(lines[:3]))
        r.check(sub.stop() == 0 and outsider.stop() == 0, "both perfbus-sub exit 0 on SIGTERM",
                sub.stderr()[-500:])
    finally:
        for p in procs:
            p.kill()
        ctx.destroy(linger=0)
        keys.close()
    r.finish()


if __name__ == "__main__":
    main()
