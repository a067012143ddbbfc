#!/usr/bin/python3
"""hardening.watch_patterns: no `watch` pattern stalls or bloats perfbusd.

perfbusd at --interval 0.2 gets, over its control socket, a back-referencing
pattern (exponential for a backtracking matcher: POSIX regexec took 10-17 s per
comm), a 19-byte nested counted repetition (regcomp grew to gigabytes), and
10,000 watch requests with distinct patterns (all but the first 32 refused with
`limit`). Meanwhile sys frames must keep coming (by their own send time ts, no
gap above 2 intervals), `health` must be answered within 1 s, and afterwards
perfbusd's CPU must be back near idle and its RSS small.
"""

import os
import threading
import time

import msgpack
import zmq

import pbtest

INTERVAL = 0.2
BACKREF = pbtest.BACKREF_PATTERN
NESTED = pbtest.NESTED_PATTERN
STORM = 10000
HZ = os.sysconf("SC_CLK_TCK")


class Watcher(threading.Thread):
    """Records every sys frame's ts and the latency of a health request every 0.25 s."""

    def __init__(self, daemon):
        super().__init__(daemon=True)
        self.d, self.stop = daemon, threading.Event()
        self.ts, self.health = [], []  # ns; (latency s or None)

    def run(self):
        sub = self.d.subscribe("sys.")
        req = self.d.ctx.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.connect(self.d.control)
        next_health = time.monotonic()
        while not self.stop.is_set():
            if sub.poll(50):
                self.ts.append(pbtest.unpack(sub.recv_multipart()[1])["ts"])
            if time.monotonic() >= next_health:
                req = self.ask_health(req)
                next_health = time.monotonic() + 0.25
        sub.close()
        req.close()

    def ask_health(self, req):
        t0 = time.monotonic()
        req.send(msgpack.packb({"op": "health"}))
        while not req.poll(100):
            if time.monotonic() - t0 > 5 or self.stop.is_set():
                self.health.append(None)
                req.close()  # a REQ socket without its reply cannot send again
                req = self.d.ctx.socket(zmq.REQ)
                req.setsockopt(zmq.LINGER, 0)
                req.connect(self.d.control)
                return req
        ok = pbtest.unpack(req.recv()).get("ok") is True
        self.health.append(time.monotonic() - t0 if ok else None)
        return req


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)


def storm(r, d):
    """STORM watch requests with distinct patterns over one REQ socket."""
    sock = d.ctx.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(d.control)
    codes = {}
    t0 = time.monotonic()
    for i in range(STORM):
        sock.send(msgpack.packb({"op": "watch", "match": f"^storm-{i}$"}))
        if not sock.poll(5000):
            r.check(False, "every watch of the storm is answered", f"none to request {i}")
            break
        reply = pbtest.unpack(sock.recv())
        code = "ok" if reply.get("ok") else reply["error"]["code"]
        codes[code] = codes.get(code, 0) + 1
        if code == "limit" and "limit_message" not in codes:
            codes["limit_message"] = reply["error"]["message"]
    sock.close()
    print(f"storm of {STORM} in {time.monotonic() - t0:.1f} s: {codes}", flush=True)
    return codes


def ask(d, msg):
    """d.request, with no reply within 5 s as a reply the checks below fail on."""
    try:
        return d.request(msg, timeout=5)
    except RuntimeError as e:
        return {"ok": None, "error": {"code": "no reply", "message": str(e)}}


def main():
    r = pbtest.Results("hardening.watch_patterns")
    contract = pbtest.Contract()
    with pbtest.Daemon(interval=INTERVAL, timing=True) as d:
        w = Watcher(d)
        w.start()
        reply = ask(d, {"op": "watch", "match": BACKREF})
        r.check(reply.get("ok") is True, "the back-reference pattern is accepted (its matches "
                "are bounded)", str(reply))
        reply = ask(d, {"op": "watch", "match": NESTED})
        err = reply.get("error", {})
        r.check(err.get("code") == "bad_arg" and "offset" in err.get("message", ""),
                "the nested repetition is refused with bad_arg and a reason", str(reply))
        r.check(not contract.errors("reply.error", reply), "that reply is a valid error reply")
        codes = storm(r, d)
        r.check(codes.get("ok") == 31, "31 more patterns fit beside the first (32 in all)",
                str(codes))
        r.check(codes.get("limit") == STORM - 31, "the rest is refused with code limit",
                str(codes))
        r.check("32" in codes.get("limit_message", ""), "the limit message names the cap",
                codes.get("limit_message", ""))
        watching = ask(d, {"op": "watch", "match": "^storm-0$"}).get("watching", {})
        r.check(len(watching.get("matches", [])) == 32, "32 patterns watched", str(watching))
        r.check(ask(d, {"op": "unwatch", "match": "^storm-1$"}).get("ok") is True and
                ask(d, {"op": "watch", "match": "^again$"}).get("ok") is True,
                "unwatching one makes room for another")
        # the steady state with 32 patterns, one of them hostile: back near idle
        d.check_alive(r)
        t0, c0 = time.monotonic(), cpu_ticks(d.proc.pid)
        while time.monotonic() - t0 < 3:
            w.stop.wait(0.2)
        cpu_pct = (cpu_ticks(d.proc.pid) - c0) / HZ / (time.monotonic() - t0) * 100
        w.stop.set()
        w.join()
        rss = pbtest.rss_kib(d.proc.pid)
        gaps = [(b - a) / 1e9 for a, b in zip(w.ts, w.ts[1:])]
        lat = [x for x in w.health if x is not None]
        print(f"{len(w.ts)} sys frames, max gap {max(gaps, default=0):.3f} s; "
              f"{len(w.health)} health requests, max latency {max(lat, default=0):.3f} s; "
              f"perfbusd {cpu_pct:.1f} % CPU afterwards, RSS {rss} KiB", flush=True)
        r.check(len(w.ts) >= 10, "sys frames kept coming", f"{len(w.ts)}")
        r.check(max(gaps, default=99) <= 2 * INTERVAL, "no gap between sys frames above 2 "
                "intervals", f"max {max(gaps, default=99):.3f} s")
        r.check(w.health and None not in w.health and max(lat) < 1.0,
                "health answered within 1 s throughout",
                f"{w.health.count(None)} unanswered, max {max(lat, default=0):.3f} s")
        r.check(cpu_pct < 10, "perfbusd back near idle with 32 patterns", f"{cpu_pct:.1f} %")
        if pbtest.sanitized_build():  # said, not skipped silently: ASan's quarantine keeps frees
            print(f"perfbusd runs under AddressSanitizer: RSS {rss} KiB not held to 64 MiB",
                  flush=True)
        else:
            r.check(0 < rss < 64 * 1024, "perfbusd RSS under 64 MiB", f"{rss} KiB")
        r.check(any("counted as no match" in line for line in d.child.log),
                "a match stopped by its limit is logged", d.stderr())
        pbtest.stop_and_check(d, r)
    r.finish()


if __name__ == "__main__":
    main()
