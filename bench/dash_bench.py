#!/usr/bin/python3
"""dash_bench: what the dashboard's event streams cost perfbus-sub.

    dash_bench.py PERFBUSD PERFBUS_SUB SECONDS TMPDIR

perfbusd at 0.1 s with --top 20 (about 210 sys + proc frames/s) feeds perfbus-sub --http on a
free loopback port. Over SECONDS each: perfbus-sub's CPU with no stream, then with 64 streams of
/events read by one select loop here (--http-clients 64). Prints one line of key=value:
cpu_pct_0 and cpu_pct_64 (% of one core), cpu_us_per_client_s (the difference per client per
second of wall time), events_per_client_s, rss_mib_0 and rss_mib_64.
"""

import os
import re
import select
import socket
import subprocess
import sys
import time

CLIENTS = 64


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wait_line(proc, pattern, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = proc.stderr.readline()
        m = re.search(pattern, line)
        if m:
            return m
    sys.exit(f"dash_bench: no '{pattern}' from {proc.args[0]}")


def stream(addr):
    host, port = addr.split(":")
    s = socket.create_connection((host, int(port)))
    s.sendall(b"GET /events HTTP/1.0\r\nHost: x\r\n\r\n")
    s.setblocking(False)
    return s


def read_for(socks, seconds):
    """Reads every socket for seconds; returns the events received (id: lines)."""
    end, events, tails = time.monotonic() + seconds, 0, {s: b"" for s in socks}
    while time.monotonic() < end:
        ready, _, _ = select.select(socks, [], [], 0.2)
        for s in ready:
            data = s.recv(1 << 16)
            buf = tails[s] + data
            events += buf.count(b"\nid: ") + buf.startswith(b"id: ")
            tails[s] = buf[-8:]
    return events


def main():
    perfbusd, sub_bin, seconds, tmp = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    pub = f"ipc://{tmp}/dash-pub"
    d = subprocess.Popen([perfbusd, "--pub", pub, "--control", f"ipc://{tmp}/dash-ctl",
                          "--interval", "0.1", "--top", "20"], stderr=subprocess.PIPE, text=True)
    s = subprocess.Popen([sub_bin, "--connect", pub, "--query", f"ipc://{tmp}/dash-q", "--store",
                          f"{tmp}/dash-store", "--http", "127.0.0.1:0", "--http-clients",
                          str(CLIENTS)], stderr=subprocess.PIPE, text=True)
    try:
        wait_line(d, "perfbusd: ready")
        addr = wait_line(s, r"http listening on (127\.0\.0\.1:\d+)").group(1)
        time.sleep(2)
        c0, t0 = cpu_s(s.pid), time.monotonic()
        time.sleep(seconds)
        cpu0 = (cpu_s(s.pid) - c0) / (time.monotonic() - t0)
        rss0 = rss_mib(s.pid)
        socks = [stream(addr) for _ in range(CLIENTS)]
        read_for(socks, 1.0)
        c1, t1 = cpu_s(s.pid), time.monotonic()
        events = read_for(socks, seconds)
        wall = time.monotonic() - t1
        cpu64 = (cpu_s(s.pid) - c1) / wall
        rss64 = rss_mib(s.pid)
        for sock in socks:
            sock.close()
    finally:
        for p in (s, d):
            p.kill()
            p.wait()
    print(f"cpu_pct_0={cpu0 * 100:.2f} cpu_pct_64={cpu64 * 100:.2f} "
          f"cpu_us_per_client_s={(cpu64 - cpu0) / CLIENTS * 1e6:.0f} "
          f"events_per_client_s={events / CLIENTS / wall:.0f} rss_mib_0={rss0:.1f} "
          f"rss_mib_64={rss64:.1f}")


if __name__ == "__main__":
    main()
