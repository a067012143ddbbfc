#!/usr/bin/python3
"""scrape: GET /metrics N times from a server that is not this process, and what each cost it.

    scrape.py --url URL --pid PID [--n 200] [--gzip yes|no] [--expect-pids K] [--timeout S]

One keep-alive connection (as Prometheus scrapes), the Accept header of Prometheus 2.42
asking for the text format (both servers speak it) and, with --gzip yes, the Accept-Encoding
Prometheus sends. Before the timed scrapes it waits (up to --timeout) for the page to answer
200 and, with --expect-pids, to carry K distinct pid="..." label values; then 5 warm-up
scrapes. Wall time per scrape: request sent to last body byte read. Server CPU: utime + stime
of /proc/PID/stat (every thread, live or exited) over the N scrapes, divided by N; the same
delta over an idle window just after them (as long as the scrapes, at least 5 s, scaled to
their span), is printed as idle_cpu_us_per_scrape: what the server spends meanwhile without
being scraped (perfbus-sub's frame intake), included in cpu_us_per_scrape.
Prints one line: n= p50_ms= p99_ms= max_ms= cpu_us_per_scrape= idle_cpu_us_per_scrape=
bytes= wire_bytes= series= families= pids=
"""

import argparse
import gzip
import http.client
import os
import re
import sys
import time
import urllib.parse

ACCEPT = "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
CLK = os.sysconf("SC_CLK_TCK")
IDLE_MIN_S = 5.0  # the idle window: several of perfbusd's 1 s frame bursts
PID_RE = re.compile(rb'pid="(\d+)"')


def cpu_us(pid):
    """utime + stime of a process in µs; the fields after the parenthesised comm."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        fields = f.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1e6 / CLK


class Client:
    """One persistent HTTP/1.1 connection; reconnects once if the server closed it."""

    def __init__(self, url, want_gzip):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = u.hostname, u.port, u.path or "/metrics"
        self.headers = {"Accept": ACCEPT, "User-Agent": "perfbus-bench-scrape"}
        if want_gzip:
            self.headers["Accept-Encoding"] = "gzip"
        self.conn = None

    def get(self):
        """(status, body bytes as served, decoded body)."""
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.conn.request("GET", self.path, headers=self.headers)
                resp = self.conn.getresponse()
                wire = resp.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        body = gzip.decompress(wire) if resp.getheader("Content-Encoding") == "gzip" else wire
        return resp.status, wire, body


def describe(body):
    lines = body.splitlines()
    series = sum(1 for ln in lines if ln and not ln.startswith(b"#"))
    families = sum(1 for ln in lines if ln.startswith(b"# TYPE "))
    return series, families, len(set(PID_RE.findall(body)))


def wait_ready(client, expect_pids, timeout):
    end = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < end:
        try:
            status, _, body = client.get()
            pids = describe(body)[2] if status == 200 else 0
            if status == 200 and pids >= expect_pids:
                return
            last = f"status {status}, {pids} pids"
        except OSError as e:
            last = str(e)
        time.sleep(0.2)
    sys.exit(f"scrape: {client.host}:{client.port} not ready in {timeout} s ({last})")


def timed(client, n):
    """Wall times (s) of n scrapes and the last page."""
    walls = []
    for _ in range(n):
        t0 = time.perf_counter()
        status, wire, body = client.get()
        walls.append(time.perf_counter() - t0)
        if status != 200:
            sys.exit(f"scrape: status {status}: {body[:200]!r}")
    return walls, wire, body


def pct(sorted_walls, p):
    return sorted_walls[min(len(sorted_walls) - 1, int(p / 100 * len(sorted_walls)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--gzip", choices=("yes", "no"), default="no")
    ap.add_argument("--expect-pids", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    client = Client(a.url, a.gzip == "yes")
    wait_ready(client, a.expect_pids, a.timeout)
    timed(client, 5)
    t0, c0 = time.perf_counter(), cpu_us(a.pid)
    walls, wire, body = timed(client, a.n)
    span, c1 = time.perf_counter() - t0, cpu_us(a.pid)
    quiet = max(span, IDLE_MIN_S)
    i0 = cpu_us(a.pid)
    time.sleep(quiet)
    idle = (cpu_us(a.pid) - i0) * span / quiet
    walls.sort()
    series, families, pids = describe(body)
    print(f"n={a.n} p50_ms={pct(walls, 50) * 1e3:.2f} p99_ms={pct(walls, 99) * 1e3:.2f} "
          f"max_ms={walls[-1] * 1e3:.2f} cpu_us_per_scrape={(c1 - c0) / a.n:.0f} "
          f"idle_cpu_us_per_scrape={idle / a.n:.0f} bytes={len(body)} wire_bytes={len(wire)} "
          f"series={series} families={families} pids={pids} span_s={span:.2f}")


if __name__ == "__main__":
    main()
