#!/usr/bin/python3
"""hardening.conn_cap: perfbusd's control socket admits at most --max-connections (issue 9, defect 6).

perfbusd at --interval 0.2 with --max-connections 64 on a tcp loopback control
endpoint. One REQ client connects first and stays. Then 2,000 raw TCP
connections open at once, each doing a ZMTP 3.0 NULL handshake by hand (so none
reconnects): the server answers each with READY (admitted) or ERROR (refused
by the ZAP handler). While they are open: at most 63 more are admitted, every
one gets an answer, perfbusd's RSS stays bounded, `health` over the first
client is answered within 1 s, sys frames keep flowing and `health` counts the
refusals. After they close, a new connection is admitted again.
"""

import re
import selectors
import socket
import time

import msgpack
import zmq

import pbtest
from test_daemon_abuse import SysFrames, rss_mb, sanitized

INTERVAL = 0.2
MAX_GAP_S = 2 * INTERVAL
CAP = 64
BURST = 2000
RSS_OPEN_LIMIT_MB = 40  # uncapped, 3,000 open connections took 88.8 MiB
HEALTH_S = 1.0

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


def main():
    r = pbtest.Results("hardening.conn_cap")
    with pbtest.Daemon("--control", "tcp://127.0.0.1:*", "--max-connections", CAP,
                       interval=INTERVAL) as d:
        found = re.search(r"control=tcp://127\.0\.0\.1:(\d+)", d.stderr())
        if not found:
            r.fatal(f"no tcp control endpoint in perfbusd's ready line: {d.stderr()}")
        port = int(found.group(1))
        d.control = f"tcp://127.0.0.1:{port}"
        frames = SysFrames(d)
        frames.start()
        if not frames.wait_for(3):
            r.fatal("no sys frames from perfbusd")
        first = d.ctx.socket(zmq.REQ)  # admitted before the burst; must keep being answered
        first.setsockopt(zmq.LINGER, 0)
        first.connect(d.control)
        before = ask(first)
        r.check(before.get("ok") is True, "a client connected before the burst is answered",
                str(before))
        r.check(before.get("max_connections") == CAP, "health reports the cap",
                str(before.get("max_connections")))
        print(f"RSS at start: {rss_mb(d.proc.pid):.1f} MiB", flush=True)
        since = len(frames.ts)
        t0 = time.monotonic()
        conns = burst(port, BURST)
        took = time.monotonic() - t0
        outcomes = {k: sum(1 for c in conns if c.outcome == k)
                    for k in {c.outcome for c in conns}}
        rss_open = rss_mb(d.proc.pid)
        t1 = time.monotonic()
        during = ask(first)  # a new connection would be refused: the cap is full
        first_s = time.monotonic() - t1
        d.check_alive(r)
        print(f"{BURST} handshakes in {took:.2f} s: {outcomes}; RSS while open {rss_open:.1f} "
              f"MiB; health over the first client {first_s * 1000:.0f} ms; health says live "
              f"{during.get('connections_live')} refused {during.get('connections_refused')}",
              flush=True)
        r.check(all(c.outcome is not None for c in conns), "every handshake is answered",
                str(outcomes))
        r.check(outcomes.get("READY", 0) <= CAP - 1,
                f"at most {CAP - 1} of the burst admitted beside the first client", str(outcomes))
        r.check(outcomes.get("ERROR", 0) >= BURST - (CAP - 1), "the rest are refused",
                str(outcomes))
        r.check(during.get("ok") is True and first_s < HEALTH_S,
                "health over the first client is answered within 1 s meanwhile",
                f"{first_s:.3f} s, {during}")
        r.check(during.get("connections_refused", 0) >= outcomes.get("ERROR", 0),
                "health counts the refusals", f"{during.get('connections_refused')} vs "
                f"{outcomes.get('ERROR', 0)}")
        r.check(during.get("connections_live", CAP + 1) <= CAP + 1,
                "health's live count stays within the cap", str(during.get("connections_live")))
        if sanitized(d.proc.pid):
            print(f"NOTE: RSS bound not asserted under AddressSanitizer ({rss_open:.1f} MiB)",
                  flush=True)
        else:
            r.check(rss_open < RSS_OPEN_LIMIT_MB,
                    f"RSS under {RSS_OPEN_LIMIT_MB} MiB with {BURST} connections open",
                    f"{rss_open:.1f} MiB")
        frames.wait_for(len(frames.ts) + 2)
        gap = frames.max_gap(max(since - 1, 0))
        r.check(gap <= MAX_GAP_S, f"no sys gap above {MAX_GAP_S} s during the burst",
                f"{gap:.3f} s")
        for c in conns:
            c.close()
        r.check(admitted_again(port), "after the burst closes a new connection is admitted", "")
        r.check(any("refused" in line and "over the cap of 64" in line for line in d.child.log),
                "the refusals are logged", d.stderr())
        first.close()
        frames.stop.set()
        frames.join()
        pbtest.stop_and_check(d, r)
    r.finish()


if __name__ == "__main__":
    main()
