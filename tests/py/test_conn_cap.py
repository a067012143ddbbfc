#!/usr/bin/python3
"""hardening.conn_cap: perfbusd admits at most --max-connections per socket (issue 9, defect 6).

perfbusd at --interval 0.2 with --max-connections 64 on a tcp loopback control
endpoint. One REQ client connects first and stays. Then 2,000 raw TCP
connections open at once, each doing a ZMTP 3.0 NULL handshake by hand (so none
reconnects): the server answers each with READY (admitted) or ERROR (refused
by the ZAP handler). Every one gets an answer, at most 63 are admitted,
`health` over the first client is answered within 1 s, sys frames keep flowing,
`health` counts every refusal, and the refused connections that the client
keeps open are dropped by perfbusd (handshake timer, 5 s). Then 2,000 libzmq
DEALERs connect at once, each sending `health`: at most 63 are answered, the
rest refused (a libzmq peer closes on ERROR), and perfbusd's RSS while all of
them are connected stays under 40 MiB (uncapped, 3,000 open took 88.8 MiB).
After each burst a new connection is admitted again. Last, a second perfbusd
(default cap) takes 2,000 DEALERs on its built-in agent's ROUTER: all are
answered and, once closed, the agent's storm trim brings RSS back under 20 MiB.
"""

import re
import selectors
import socket
import time

import msgpack
import zmq

import pbtest
from test_daemon_abuse import SysFrames, dealer, rss_mb, wait_rss

INTERVAL = 0.2
MAX_GAP_S = 2 * INTERVAL
CAP = 64
BURST = 2000
RSS_OPEN_LIMIT_MB = 40  # uncapped, 3,000 open connections took 88.8 MiB
HEALTH_S = 1.0
AGENT_RSS_AFTER_MB = 20

# ZMTP 3.0 greeting (signature, version 3.0, mechanism NULL, as-server 0, filler),
# then a READY command announcing a DEALER.
GREETING = b"\xff" + b"\x00" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\x00") + \
    b"\x00" + b"\x00" * 31
READY_BODY = b"\x05READY" + b"\x0bSocket-Type" + (6).to_bytes(4, "big") + b"DEALER"
HELLO = GREETING + bytes([0x04, len(READY_BODY)]) + READY_BODY


class Handshake:
    """One raw connection; `outcome` becomes 'READY', 'ERROR' or 'closed'."""

    def __init__(self, port, sel):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.sock.connect_ex(("127.0.0.1", port))
        self.buf, self.sent, self.outcome = b"", False, None
        sel.register(self.sock, selectors.EVENT_WRITE, self)

    def on_event(self, sel, mask):
        if mask & selectors.EVENT_WRITE and not self.sent:
            try:
                self.sock.send(HELLO)  # 94 bytes: fits any fresh socket's buffer
            except OSError:
                return self.finish(sel, "closed")
            self.sent = True
            sel.modify(self.sock, selectors.EVENT_READ, self)
            return None
        try:
            data = self.sock.recv(4096)
        except OSError:
            data = b""
        if not data:
            return self.finish(sel, "closed")
        self.buf += data
        if len(self.buf) >= 64 + 7:  # greeting, then a command's flags, size, name
            name = self.buf[64 + 3:64 + 8]
            return self.finish(sel, name.decode("ascii", "replace"))
        return None

    def finish(self, sel, outcome):
        self.outcome = outcome
        sel.unregister(self.sock)

    def close(self):
        self.sock.close()


def burst(port, n, timeout=60.0):
    """Opens n handshakes at once; returns them once every one has an outcome."""
    sel = selectors.DefaultSelector()
    conns = [Handshake(port, sel) for _ in range(n)]
    end = time.monotonic() + timeout
    while any(c.outcome is None for c in conns) and time.monotonic() < end:
        for key, mask in sel.select(0.1):
            key.data.on_event(sel, mask)
    sel.close()
    return conns


def ask(sock, timeout_ms=5000):
    """health over an open REQ socket; {} when no reply came."""
    sock.send(msgpack.packb({"op": "health"}))
    return msgpack.unpackb(sock.recv()) if sock.poll(timeout_ms) else {}


def admitted_again(port, timeout=10.0):
    """True once a fresh handshake is answered READY (the closes have been counted)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        conn = burst(port, 1, timeout=5.0)[0]
        conn.close()
        if conn.outcome == "READY":
            return True
        time.sleep(0.1)
    return False


def wait_health(first, cond, timeout):
    """The first `health` reply over `first` for which cond(reply) holds, or the last one."""
    end = time.monotonic() + timeout
    reply = ask(first)
    while not cond(reply) and time.monotonic() < end:
        time.sleep(0.1)
        reply = ask(first)
    return reply


def check_flowing(r, d, frames, first, since, what):
    """health over the first client within 1 s; no sys gap above 2 intervals since `since`."""
    t0 = time.monotonic()
    reply = ask(first)
    took = time.monotonic() - t0
    d.check_alive(r)
    r.check(reply.get("ok") is True and took < HEALTH_S,
            f"health over the first client within 1 s during the {what}", f"{took:.3f} s")
    frames.wait_for(len(frames.ts) + 2)
    gap = frames.max_gap(max(since - 1, 0))
    r.check(gap <= MAX_GAP_S, f"no sys gap above {MAX_GAP_S} s during the {what}", f"{gap:.3f} s")
    return took, gap


def phase_raw(r, d, frames, first, port):
    """2,000 hand-made handshakes that ignore ERROR and stay open."""
    base = ask(first)
    since = len(frames.ts)
    t0 = time.monotonic()
    conns = burst(port, BURST)
    took = time.monotonic() - t0
    outcomes = {k: sum(1 for c in conns if c.outcome == k) for k in {c.outcome for c in conns}}
    rss_open = rss_mb(d.proc.pid)
    during = ask(first)  # a new connection would be refused: the count is over the cap
    latency, gap = check_flowing(r, d, frames, first, since, "raw burst")
    refused = during.get("connections_refused", 0) - base.get("connections_refused", 0)
    r.check(all(c.outcome is not None for c in conns), "every raw handshake is answered",
            str(outcomes))
    r.check(outcomes.get("READY", 0) <= CAP - 1,
            f"at most {CAP - 1} of the raw burst admitted beside the first client", str(outcomes))
    not_admitted = outcomes.get("ERROR", 0) + outcomes.get("closed", 0)
    r.check(not_admitted == BURST - outcomes.get("READY", 0),
            "the rest are refused with ERROR (or dropped by the handshake timer, under load)",
            str(outcomes))
    r.check(refused == outcomes.get("ERROR", 0), "health counts every refusal",
            f"{refused} vs {outcomes.get('ERROR', 0)}")
    t1 = time.monotonic()
    admitted = 1 + outcomes.get("READY", 0)
    after = wait_health(first, lambda h: h.get("connections_live", 1 << 30) <= admitted, 15.0)
    dropped_s = time.monotonic() - t1
    r.check(after.get("connections_live", 1 << 30) <= admitted,
            "perfbusd drops refused connections that stay open (handshake timer)",
            f"live {after.get('connections_live')} after {dropped_s:.1f} s, want <= {admitted}")
    for c in conns:
        c.close()
    print(f"raw burst: {BURST} handshakes in {took:.2f} s: {outcomes}; RSS while open "
          f"{rss_open:.1f} MiB; refused ones dropped by perfbusd after {dropped_s:.1f} s more; "
          f"health {latency * 1000:.0f} ms; max sys gap {gap:.3f} s", flush=True)
    return rss_open


def phase_dealers(r, d, frames, first):
    """2,000 libzmq DEALERs at once, each sending `health`: libzmq peers close on ERROR."""
    base = ask(first)
    since = len(frames.ts)
    ctx = zmq.Context()
    ctx.max_sockets = BURST + 16
    socks = []
    for _ in range(BURST):
        sock = ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(d.control)
        sock.send(msgpack.packb({"op": "health"}))
        socks.append(sock)
    want = BURST - (CAP - 1)
    during = wait_health(first, lambda h: h.get("connections_refused", 0) -
                         base.get("connections_refused", 0) >= want and
                         h.get("connections_live", 1 << 30) <= CAP, 30.0)
    rss_open = rss_mb(d.proc.pid)
    latency, gap = check_flowing(r, d, frames, first, since, "DEALER burst")
    answered = sum(1 for sock in socks if sock.poll(0))
    refused = during.get("connections_refused", 0) - base.get("connections_refused", 0)
    r.check(answered <= CAP - 1, f"at most {CAP - 1} DEALERs of the burst answered",
            str(answered))
    r.check(refused >= want, f"at least {want} DEALER handshakes refused and counted",
            str(refused))
    r.check(during.get("connections_live", 1 << 30) <= CAP,
            "with 2,000 DEALERs connected perfbusd holds at most the cap open",
            str(during.get("connections_live")))
    if pbtest.sanitized_build():
        print(f"NOTE: RSS bound not asserted under AddressSanitizer ({rss_open:.1f} MiB)",
              flush=True)
    else:
        r.check(rss_open < RSS_OPEN_LIMIT_MB,
                f"RSS under {RSS_OPEN_LIMIT_MB} MiB with {BURST} DEALERs connected",
                f"{rss_open:.1f} MiB")
    for sock in socks:
        sock.close()
    ctx.term()
    print(f"DEALER burst: {BURST} connected, {answered} answered, {refused} refused; RSS while "
          f"connected {rss_open:.1f} MiB (live {during.get('connections_live')}); health "
          f"{latency * 1000:.0f} ms; max sys gap {gap:.3f} s", flush=True)


def agent_storm(r):
    """A perfbusd with the default cap (4096): 2,000 DEALERs at once on its built-in agent's
    ROUTER, all answered, then closed. The agent's monitor sees the storm and trims, so RSS
    comes back (before, only the control socket was trimmed)."""
    with pbtest.Daemon(interval=INTERVAL, timing=True) as d:
        found = re.search(r"profile=(tcp://127\.0\.0\.1:\d+)", d.stderr())
        if not found:
            r.fatal(f"no profile endpoint in perfbusd's ready line: {d.stderr()}")
        ctx = zmq.Context()
        ctx.max_sockets = BURST + 16
        socks = [dealer(ctx, found.group(1)) for _ in range(BURST)]
        for sock in socks:
            sock.send(msgpack.packb({"op": "health"}))
        answered = sum(1 for sock in socks if sock.poll(20_000) and sock.recv())
        rss_open = rss_mb(d.proc.pid)
        for sock in socks:
            sock.close()
        ctx.term()
        d.check_alive(r)
        r.check(answered == BURST, f"all {BURST} agent connections answered under the default "
                "cap", str(answered))
        asan = pbtest.sanitized_build()
        rss = rss_mb(d.proc.pid) if asan else wait_rss(d.proc.pid, AGENT_RSS_AFTER_MB, 10.0)
        print(f"agent storm: {BURST} DEALERs answered {answered}; RSS while open {rss_open:.1f} "
              f"MiB, after closing {rss:.1f} MiB", flush=True)
        if not asan:
            r.check(rss < AGENT_RSS_AFTER_MB, f"perfbusd's RSS back under {AGENT_RSS_AFTER_MB} "
                    "MiB after the agent storm (trimmed)", f"{rss:.1f} MiB")
        pbtest.stop_and_check(d, r)


def main():
    r = pbtest.Results("hardening.conn_cap")
    with pbtest.Daemon("--control", "tcp://127.0.0.1:*", "--max-connections", CAP,
                       interval=INTERVAL, timing=True) as d:
        found = re.search(r"control=tcp://127\.0\.0\.1:(\d+)", d.stderr())
        if not found:
            r.fatal(f"no tcp control endpoint in perfbusd's ready line: {d.stderr()}")
        port = int(found.group(1))
        d.control = f"tcp://127.0.0.1:{port}"
        frames = SysFrames(d)
        frames.start()
        if not frames.wait_for(3):
            r.fatal("no sys frames from perfbusd")
        first = d.ctx.socket(zmq.REQ)  # admitted before the bursts; must keep being answered
        first.setsockopt(zmq.LINGER, 0)
        first.connect(d.control)
        before = ask(first)
        r.check(before.get("ok") is True, "a client connected before the bursts is answered",
                str(before))
        r.check(before.get("max_connections") == CAP, "health reports the cap",
                str(before.get("max_connections")))
        print(f"RSS at start: {rss_mb(d.proc.pid):.1f} MiB", flush=True)
        phase_raw(r, d, frames, first, port)
        r.check(admitted_again(port), "after the raw burst a new connection is admitted", "")
        phase_dealers(r, d, frames, first)
        r.check(admitted_again(port), "after the DEALER burst a new connection is admitted", "")
        r.check(any("refused" in line and f"over the cap of {CAP}" in line
                    for line in d.child.log), "the refusals are logged", d.stderr())
        first.close()
        frames.stop.set()
        frames.join()
        pbtest.stop_and_check(d, r)
    agent_storm(r)
    r.finish()


if __name__ == "__main__":
    main()
