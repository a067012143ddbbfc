#!/usr/bin/python3
"""hardening.daemon_abuse: one client must never stall or bloat perfbusd (issue 9, defects 1, 2, 6, 7).

perfbusd at --interval 0.2 gets, one after the other: a `watch` with a
back-referencing pattern, one with a nested counted repetition, a 1 MiB map of 160 k keys,
a 64 MiB message, one message of 2,000,000 empty frames, 10,000 queued `watch`
requests, 10,000 queued `process` requests and two bursts of 3,000 connections. Meanwhile a SUB socket collects
`sys` frames: no gap between two frames' `ts` may exceed 2 intervals, not counting the
time perfbusd's main thread spent runnable but waiting for a CPU (its schedstat run delay:
the machine's load, which a client cannot cause; a stall of perfbusd's own making is time on
a CPU or blocked, and counts whole). After each
burst `health` must be answered within 1 s, and perfbusd's RSS (VmRSS) must come
back under 64 MiB (in a release build: under ASan the sanitizer's allocator holds
the memory, and the figure is printed, not asserted). The figures measured are
printed for the record.
"""

import os
import threading
import time

import msgpack
import zmq

import pbtest

INTERVAL = 0.2
MAX_GAP_S = 2 * INTERVAL
RSS_LIMIT_MB = 64
HEALTH_S = 1.0
STORM = 3000


def rss_mb(pid):
    return pbtest.rss_kib(pid) / 1024


def wait_rss(pid, limit_mb, timeout):
    """RSS once it is under limit_mb (memory is returned by a trim), or after timeout."""
    end = time.monotonic() + timeout
    while (rss := rss_mb(pid)) >= limit_mb and time.monotonic() < end:
        time.sleep(0.05)
    return rss


def run_delay_ns(pid):
    """Time the thread pid has spent runnable, waiting for a CPU (schedstat's second field)."""
    with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
        return int(f.read().split()[1])


class SysFrames(threading.Thread):
    """Collects the ts (ns) of every sys frame on its own SUB socket, and with each the run
    delay of perfbusd's main thread when it arrived."""

    def __init__(self, daemon):
        super().__init__(daemon=True)
        self.sock = daemon.subscribe("sys")
        self.pid = daemon.proc.pid
        self.ts, self.delay, self.stop = [], [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            if self.sock.poll(50):
                frame = msgpack.unpackb(self.sock.recv_multipart()[1])
                self.delay.append(run_delay_ns(self.pid))
                self.ts.append(frame["ts"])
        self.sock.close()

    def wait_for(self, n, timeout=10.0):
        end = time.monotonic() + timeout
        while len(self.ts) < n and time.monotonic() < end:
            time.sleep(0.02)
        return len(self.ts) >= n

    def max_gap(self, since=0, less_load=False):
        """The longest gap between two sys frames' ts in s; less_load: less the run delay
        perfbusd's main thread gathered between their arrivals."""
        ts, delay = self.ts[since:], self.delay[since:]
        pairs = zip(zip(ts, delay), zip(ts[1:], delay[1:]))
        return max(((tb - ta - ((db - da) if less_load else 0)) / 1e9
                    for (ta, da), (tb, db) in pairs), default=0.0)


def dealer(ctx, endpoint, unlimited=False):
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    if unlimited:
        sock.setsockopt(zmq.SNDHWM, 0)
        sock.setsockopt(zmq.RCVHWM, 0)
    sock.connect(endpoint)
    return sock


def error_code(payload):
    reply = msgpack.unpackb(payload)
    return reply.get("error", {}).get("code"), reply.get("error", {}).get("message", "")


def health_latency(d):
    t0 = time.monotonic()
    try:
        reply = d.request({"op": "health"}, timeout=5.0)
    except RuntimeError:
        return None
    return time.monotonic() - t0 if reply.get("ok") else None


def big_map_payload():
    """A request of 160,000 four-character keys under 1 MiB."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    keys = ("".join(digits[(i // 36 ** p) % 36] for p in range(4)) for i in range(160000))
    request = {"op": "health"}
    request.update((k, None) for k in keys)
    return msgpack.packb(request)


def phase_pattern(d, r, pattern, accepted):
    """A hostile watch pattern: the back-reference is accepted (its matches are
    bounded), the nested repetition refused at compile time."""
    t0 = time.monotonic()
    reply = d.request({"op": "watch", "match": pattern}, timeout=5.0)
    took = time.monotonic() - t0
    if accepted:
        r.check(reply.get("ok") is True, f"watch {pattern!r} is accepted", str(reply))
    else:
        r.check(reply.get("error", {}).get("code") == "bad_arg",
                f"watch {pattern!r} is refused with bad_arg", str(reply))
    return f"answered in {took * 1000:.1f} ms"


def phase_big_map(d, r):
    payload = big_map_payload()
    r.check(len(payload) <= 1 << 20, "the 160 k-key map fits in 1 MiB", f"{len(payload)} bytes")
    t0 = time.monotonic()
    parts = d.send_raw([payload], timeout=10.0)
    took = time.monotonic() - t0
    code, message = error_code(parts[0]) if parts else (None, "")
    r.check(code == "too_large" and "4096" in message,
            "a 160 k-key map is refused as too_large, naming the object limit",
            f"{code}: {message}")
    return f"reply in {took * 1000:.1f} ms"


def phase_huge_message(d, r):
    sock = dealer(d.ctx, d.control)
    sock.send(b"\x00" * (64 << 20))
    got = sock.poll(1000)
    sock.close()
    r.check(not got, "a 64 MiB message is dropped at the transport (no reply)")
    return "dropped"


def phase_many_frames(d, r):
    sock = dealer(d.ctx, d.control, unlimited=True)
    t0 = time.monotonic()
    sock.send_multipart([b""] * 2_000_000)
    sent = time.monotonic() - t0
    got = sock.poll(60_000)
    code, _ = error_code(sock.recv_multipart()[-1]) if got else (None, "")
    sock.close()
    r.check(code == "multipart", "2,000,000 empty frames are answered `multipart`", str(code))
    return f"sent in {sent:.1f} s, answered {time.monotonic() - t0:.1f} s after the first"


def phase_watch_flood(d, r, op="watch"):
    """10,000 requests sent at once (never waiting for replies), so that they queue.
    `watch` of a pid costs ~15 us to serve; `process` (a one-shot /proc read of a pid
    that is not tracked) ~140 us, so 10,000 of them held sampling for 1.4 s."""
    # perfbusd queues at most ZMQ's SNDHWM (1000) unread replies per client and drops the
    # rest rather than block on a slow reader, so each client keeps fewer outstanding
    socks = [dealer(d.ctx, d.control, unlimited=True) for _ in range(16)]
    request = msgpack.packb({"op": op, "pid": os.getpid()})
    t0 = time.monotonic()
    for i in range(10000):
        socks[i % len(socks)].send(request)
    latency = health_latency(d)  # while thousands wait, another client still gets an answer
    replies, end = 0, time.monotonic() + 60
    poller = zmq.Poller()
    for sock in socks:
        poller.register(sock, zmq.POLLIN)
    while replies < 10000 and time.monotonic() < end:
        for sock, _ in poller.poll(500):
            while sock.poll(0):
                sock.recv()
                replies += 1
    took = time.monotonic() - t0
    for sock in socks:
        sock.close()
    r.check(replies == 10000, f"10,000 queued {op} requests are all answered", str(replies))
    r.check(latency is not None and latency < HEALTH_S,
            f"health is answered within 1 s while 10,000 {op} requests are queued", f"{latency}")
    if op == "watch":
        d.request({"op": "unwatch", "pid": os.getpid()})
    return (f"all answered in {took:.2f} s, health meanwhile "
            f"{latency * 1000 if latency else -1:.0f} ms")


def phase_storm(d, r, peak):
    ctx = zmq.Context()
    ctx.max_sockets = STORM + 16
    socks = [dealer(ctx, d.control) for _ in range(STORM)]
    health = msgpack.packb({"op": "health"})
    for sock in socks:
        sock.send(health)
    answered = sum(1 for sock in socks if sock.poll(20_000) and sock.recv())
    peak.append(rss_mb(d.proc.pid))
    for sock in socks:
        sock.close()
    ctx.term()
    r.check(answered == STORM, f"all {STORM} connections of a burst are answered", str(answered))
    return f"{STORM} connections, RSS while open {peak[-1]:.1f} MiB"


def main():
    r = pbtest.Results("hardening.daemon_abuse")
    with pbtest.Daemon(interval=INTERVAL, timing=True) as d:
        pid = d.proc.pid
        frames = SysFrames(d)
        frames.start()
        if not frames.wait_for(3):
            r.fatal("no sys frames from perfbusd")
        print(f"RSS at start: {rss_mb(pid):.1f} MiB", flush=True)
        asan = pbtest.sanitized_build()
        peak = []
        phases = [("back-reference pattern",
                   lambda d, r: phase_pattern(d, r, pbtest.BACKREF_PATTERN, True)),
                  ("nested-repetition pattern",
                   lambda d, r: phase_pattern(d, r, pbtest.NESTED_PATTERN, False)),
                  ("1 MiB map of 160 k keys", phase_big_map),
                  ("64 MiB message", phase_huge_message),
                  ("2,000,000 empty frames", phase_many_frames),
                  ("10,000 watch requests", phase_watch_flood),
                  ("10,000 process requests", lambda d, r: phase_watch_flood(d, r, "process")),
                  ("connection burst 1", lambda d, r: phase_storm(d, r, peak)),
                  ("connection burst 2", lambda d, r: phase_storm(d, r, peak))]
        for name, phase in phases:
            since = len(frames.ts)
            what = phase(d, r)
            d.check_alive(r)
            latency = health_latency(d)
            r.check(latency is not None and latency < HEALTH_S,
                    f"health answered within 1 s after the {name}", f"{latency}")
            frames.wait_for(len(frames.ts) + 2)
            gap = frames.max_gap(max(since - 1, 0), less_load=True)
            raw = frames.max_gap(max(since - 1, 0))
            r.check(gap <= MAX_GAP_S, f"no sys gap above {MAX_GAP_S} s during the {name} "
                    "(less the machine's run delay)", f"{gap:.3f} s ({raw:.3f} s with it)")
            rss = rss_mb(pid) if asan else wait_rss(pid, RSS_LIMIT_MB, 10.0)
            print(f"{name}: {what}; max sys gap {gap:.3f} s ({raw:.3f} s with the run delay); health {latency * 1000:.0f} ms; "
                  f"RSS after {rss:.1f} MiB", flush=True)
            if asan:
                print(f"NOTE: RSS budget not asserted under AddressSanitizer ({rss:.1f} MiB)",
                      flush=True)
            else:
                r.check(rss < RSS_LIMIT_MB, f"RSS under {RSS_LIMIT_MB} MiB after the {name}",
                        f"{rss:.1f} MiB")
        frames.stop.set()
        frames.join()
        print(f"sys frames: {len(frames.ts)}, max gap over the run {frames.max_gap():.3f} s",
              flush=True)
        pbtest.stop_and_check(d, r)
    r.finish()


if __name__ == "__main__":
    main()
