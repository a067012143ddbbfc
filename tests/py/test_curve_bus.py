"""security.curve_bus: perfbusd and perfbus-sub with CURVE on tcp://127.0.0.1 (issue 12).

perfbusd's PUB, control and built-in agent, and perfbus-sub's query socket, are
CURVE servers whose allow directory holds one client's certificate. That
client (perfbus-sub itself, and pyzmq sockets with its keys) gets frames and
replies; a client without CURVE and one whose key is not allowed get no
frame, no control reply and no profile reply within 5 s, and both attempts
are counted in perfbusd's and the agent's `health` and perfbus-sub's `stats`
and `health`. A key copied into the allow directory later works without a
restart. perfbus-sub subscribing with the publisher's key takes nothing from
a squatter on the endpoint: neither a plain PUB nor a CURVE PUB with another
key delivers a frame, while the same squatter feeds a subscriber without the
key (so the squatter works).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import curvetest as ct  # noqa: E402
import pbtest  # noqa: E402

import zmq  # noqa: E402

DENY_WAIT_S = 5.0


def start_daemon(keys):
    argv = [ct.build_path("publisher", "perfbusd"), "--pub", "tcp://127.0.0.1:*", "--control",
            "tcp://127.0.0.1:*", "--profile", "tcp://127.0.0.1:*", "--profile-pub",
            "tcp://127.0.0.1:*", "--interval", "0.2", "--heartbeat", "0.2",
            "--curve-secret", keys.path("server"), "--curve-allow", keys.allow]
    d = ct.Proc(argv, "perfbusd: ready")
    return d, ct.ready_fields(d, "perfbusd: ready")


def start_sub(keys, *connects, query=None, extra=()):
    argv = [ct.build_path("subscriber", "perfbus-sub"), "--curve-secret", keys.path("client"),
            "--query", query or f"ipc://{keys.dir}/query-{len(os.listdir(keys.dir))}"]
    for ep, key in connects:
        argv += ["--connect", ep] + (["--curve-server-key", key] if key else [])
    s = ct.Proc(argv + list(extra), "perfbus-sub: ready")
    return s, ct.ready_fields(s, "perfbus-sub: ready")["query"]


def check_denied(r, ctx, ep, keys, server_pub):
    """No frame, no control reply and no profile reply for the two outsiders."""
    other = keys.pair("other")
    socks = {
        "SUB without CURVE": ct.sub_socket(ctx, ep["pub"]),
        "SUB with a key not allowed": ct.sub_socket(ctx, ep["pub"], other, server_pub),
        "control REQ without CURVE": ct.req_socket(ctx, ep["control"]),
        "control REQ with a key not allowed": ct.req_socket(ctx, ep["control"], other,
                                                            server_pub),
        "profile REQ without CURVE": ct.req_socket(ctx, ep["profile"], op="targets"),
        "profile REQ with a key not allowed": ct.req_socket(ctx, ep["profile"], other,
                                                            server_pub, op="targets"),
        "profile PUB, SUB without CURVE": ct.sub_socket(ctx, ep["profile-pub"]),
    }
    got = ct.first_message(list(socks.values()), DENY_WAIT_S)
    for what, s in socks.items():
        r.check(got[s] is None, f"{what}: nothing within {DENY_WAIT_S:g} s",
                f"got {str(got[s])[:120]}")
        s.close()


def check_counted(r, ctx, ep, keys, server_pub):
    own = keys.pair("client")
    h = ct.wait_for(lambda: (lambda x: x if x and x.get("handshakes_denied", 0) >= 2 and
                             x.get("handshakes_failed", 0) >= 2 else None)(
        ct.request(ctx, ep["control"], own, server_pub)), 10)
    h = h or ct.request(ctx, ep["control"], own, server_pub) or {}
    r.check(h.get("ok") is True, "the allowed key gets perfbusd's health reply", str(h)[:200])
    r.check(h.get("handshakes_denied", 0) >= 2,
            "perfbusd health counts the denied keys (SUB and control)", str(h)[:300])
    r.check(h.get("handshakes_failed", 0) >= 2,
            "perfbusd health counts the handshakes without CURVE (SUB and control)",
            str(h)[:300])
    a = ct.request(ctx, ep["profile"], own, server_pub) or {}
    r.check(a.get("ok") is True, "the allowed key gets the agent's health reply", str(a)[:200])
    r.check(a.get("handshakes_denied", 0) >= 1 and a.get("handshakes_failed", 0) >= 1,
            "the agent's health counts the denied key and the handshake without CURVE",
            str(a)[:300])


def check_frames(r, ctx, ep, keys, server_pub):
    s = ct.sub_socket(ctx, ep["pub"], keys.pair("client"), server_pub)
    got = ct.first_message([s], 10)[s]
    r.check(got is not None and got[0].startswith(b"sys."),
            "a pyzmq SUB with the allowed key receives frames", str(got)[:120])
    s.close()


def check_late_key(r, ctx, ep, keys, server_pub):
    keys.keygen("late")
    late = keys.pair("late")
    before = ct.request(ctx, ep["control"], late, server_pub, timeout=1.0)
    r.check(before is None, "a key not yet in the allow dir gets no reply", str(before))
    keys.allow_key("late")
    after = ct.wait_for(lambda: ct.request(ctx, ep["control"], late, server_pub, timeout=1.0), 10)
    r.check(after is not None and after.get("ok") is True,
            "a key added to the allow dir later gets replies without a restart", str(after))
    s = ct.sub_socket(ctx, ep["pub"], late, server_pub)
    got = ct.first_message([s], 10)[s]
    r.check(got is not None, "... and frames", "no frame within 10 s")
    s.close()


def check_sub(r, bench, ctx, keys, ep):
    sub, query = start_sub(keys, (ep["pub"], keys.path("server")))
    bench.append(sub)
    stats = ct.wait_for(lambda: (lambda s: s if s and s.get("frames", 0) > 0 else None)(
        pbtest_request(ctx, query, "stats")), 10)
    r.check(bool(stats), "perfbus-sub with the publisher's key receives its frames",
            str(stats)[:200])


def pbtest_request(ctx, endpoint, op):
    return ct.request(ctx, endpoint, None, None, op=op, timeout=2.0)


def squatters(ctx, keys):
    """A plain PUB and a CURVE PUB with another key, each sending frames to whoever joins."""
    plain = ctx.socket(zmq.PUB)
    plain.bind("tcp://127.0.0.1:*")
    wrong = ctx.socket(zmq.PUB)
    wrong.curve_server = True
    wrong.curve_publickey, wrong.curve_secretkey = keys.pair("other")
    wrong.bind("tcp://127.0.0.1:*")
    return plain, wrong


def check_squatters(r, bench, ctx, keys):
    plain, wrong = squatters(ctx, keys)
    eps = [s.getsockopt_string(zmq.LAST_ENDPOINT) for s in (plain, wrong)]
    server = keys.path("server")
    keyed, q_keyed = start_sub(keys, (eps[0], server), (eps[1], server))
    open_sub, q_open = start_sub(keys, (eps[0], None))
    bench += [keyed, open_sub]
    end = time.monotonic() + 3.0
    fed = None
    while time.monotonic() < end or not fed:
        for s in (plain, wrong):
            s.send_multipart([b"sys.squat", b"\x81\xa1v\x01" * 64])
        fed = fed or (lambda s: s and s.get("frames", 0) > 0)(pbtest_request(ctx, q_open, "stats"))
        if time.monotonic() > end + 10:
            break
        time.sleep(0.01)
    r.check(bool(fed), "control: the plain squatter feeds a subscriber without the key")
    stats = pbtest_request(ctx, q_keyed, "stats") or {}
    r.check(stats.get("frames", -1) == 0,
            "perfbus-sub with the publisher's key takes zero frames from a plain PUB and a PUB "
            "with another key on its endpoints", str(stats)[:200])
    plain.close()
    wrong.close()


def check_query(r, bench, ctx, keys):
    sub, query = start_sub(keys, query="tcp://127.0.0.1:*", extra=("--curve-allow", keys.allow))
    bench.append(sub)
    client_pub = keys.public("client")
    socks = {"query REQ without CURVE": ct.req_socket(ctx, query, op="stats"),
             "query REQ with a key not allowed": ct.req_socket(ctx, query, keys.pair("other"),
                                                               client_pub, op="stats")}
    got = ct.first_message(list(socks.values()), DENY_WAIT_S)
    for what, s in socks.items():
        r.check(got[s] is None, f"{what}: no reply within {DENY_WAIT_S:g} s", str(got[s]))
        s.close()
    own = keys.pair("client")
    stats = ct.request(ctx, query, own, client_pub, op="stats") or {}
    conn = stats.get("connections", {})
    r.check(conn.get("denied", 0) >= 1 and conn.get("failed", 0) >= 1,
            "perfbus-sub stats count the denied key and the handshake without CURVE",
            str(conn))
    health = ct.request(ctx, query, own, client_pub, op="health") or {}
    r.check(health.get("handshakes_denied", 0) >= 1 and health.get("handshakes_failed", 0) >= 1,
            "perfbus-sub health counts them too", str(health)[:300])


def main():
    ct.require_curve()
    r = pbtest.Results("security.curve_bus")
    keys = ct.Keys("server", "client", "other")
    keys.allow_key("client")
    ctx = zmq.Context()
    bench = []
    try:
        d, ep = start_daemon(keys)
        bench.append(d)
        server_pub = keys.public("server")
        check_frames(r, ctx, ep, keys, server_pub)
        check_sub(r, bench, ctx, keys, ep)
        check_denied(r, ctx, ep, keys, server_pub)
        check_counted(r, ctx, ep, keys, server_pub)
        check_late_key(r, ctx, ep, keys, server_pub)
        check_squatters(r, bench, ctx, keys)
        check_query(r, bench, ctx, keys)
        r.check(d.alive(), "perfbusd still serves", d.stderr())
        r.check(any("denied" in line and "127.0.0.1" in line for line in d.log),
                "perfbusd logs a denied key with the peer address", d.stderr())
        r.check(any("handshake(s) failed" in line and "127.0.0.1" in line for line in d.log),
                "perfbusd logs a failed handshake with the peer address", d.stderr())
    finally:
        for p in bench:
            p.stop()
        ctx.destroy(linger=0)
        keys.close()
    r.finish()


if __name__ == "__main__":
    main()
