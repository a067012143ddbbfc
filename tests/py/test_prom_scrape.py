#!/usr/bin/python3
"""prom.scrape: perfbusd (0.5 s, --pid of a child) + perfbus-sub --http 127.0.0.1:0, GET /metrics.

Both formats are checked by real parsers: promtool (the Prometheus text format) and
python3-prometheus-client's strict OpenMetrics parser. Values are compared with the frames a
Python subscriber receives: the scrape must equal one sys frame exactly (node_cpu_seconds_total
of cpu 0 idle = cores[0].idle_ticks_total / clk_tck, and node_memory_MemAvailable_bytes =
mem.available_bytes of the same frame). The watched process's perfbus_process_cpu_seconds_total
exists with its pid and disappears after it exits; ?host= unknown is 404, POST 405; a 1 MiB header
and half-sent requests are refused or timed out while frames keep being received.
"""

import http.client
import os
import re
import socket
import subprocess
import sys
import time

import pbsub
import pbtest
import gen_schemas

from prometheus_client.openmetrics import parser as om_parser

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
# node_exporter's own names that promtool's lint calls camelCase (it says so of node_exporter too)
CAMEL = {f.prom for f in gen_schemas.FIELDS if getattr(f, "prom", "") and
         any(c.isupper() for c in f.prom)}


def get(addr, path="/metrics", method="GET", headers=None):
    host, port = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read().decode("utf-8")
    finally:
        conn.close()


def samples(text):
    """{(name, frozenset(labels)): value} of a text exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            raise ValueError(f"not a sample line: {line!r}")
        labels = frozenset(LABEL.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def find(smp, name, **labels):
    want = set((k, str(v)) for k, v in labels.items())
    return {k: v for k, v in smp.items() if k[0] == name and want <= set(k[1])}


def promtool(text):
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    return p.returncode, (p.stdout + p.stderr).strip()


def check_promtool(r, text):
    rc, out = promtool(text)
    lines = [l for l in out.splitlines() if l]
    other = [l for l in lines if not (l.split(" ")[0] in CAMEL and "camelCase" in l)]
    r.check(not other and rc in (0, 3) and (rc == 0) == (not lines),
            "promtool check metrics: nothing but the camelCase lint of node_exporter's own "
            "node_memory_* names", f"exit {rc}: {other[:5]}")
    kept = "\n".join(l for l in text.splitlines()
                     if not any(re.match(rf"(# (HELP|TYPE) )?{n}[ {{]", l) for n in CAMEL))
    rc, out = promtool(kept + "\n")
    r.check(rc == 0 and out == "", "promtool check metrics: empty output and exit 0 without "
            "the node_memory_*camelCase* families", f"exit {rc}: {out[:300]}")


def check_openmetrics(r, addr):
    st, hdr, text = get(addr, headers={"Accept": "application/openmetrics-text;version=1.0.0,"
                                                 "text/plain;version=0.0.4;q=0.5"})
    r.check(st == 200 and hdr.get("Content-Type") ==
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            "OpenMetrics when Accept asks for it", f"{st} {hdr.get('Content-Type')}")
    r.check(text.endswith("# EOF\n"), "OpenMetrics ends in # EOF", text[-40:])
    try:
        fams = list(om_parser.text_string_to_metric_families(text))
        names = {f.name: f.type for f in fams}
        r.check(names.get("node_cpu_seconds") == "counter",
                "the strict OpenMetrics parser reads every family; node_cpu_seconds is a counter",
                str(list(names.items())[:5]))
    except Exception as e:  # the parser raises ValueError on any violation
        r.check(False, "the strict OpenMetrics parser reads the exposition", repr(e)[:300])


def sys_frames(raw, seen):
    while raw.poll(0):
        t, p = raw.recv_multipart()
        f = pbtest.unpack(p)
        if f.get("type") in ("sys", "proc"):
            seen.append(f)
    return seen


def check_values(r, addr, raw, seen, child):
    st, hdr, text = get(addr)
    r.check(st == 200 and hdr.get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8",
            "GET /metrics: 200, text format 0.0.4", f"{st} {hdr}")
    smp = samples(text)
    time.sleep(0.2)
    sys_frames(raw, seen)
    idle = find(smp, "node_cpu_seconds_total", cpu=0, mode="idle")
    mem = find(smp, "node_memory_MemAvailable_bytes")
    match = [f for f in seen if f["type"] == "sys" and list(idle.values()) ==
             [f["cpu"]["cores"][0]["idle_ticks_total"] / f["cpu"]["clk_tck"]]]
    r.check(len(idle) == 1 and match, "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} equals a "
            "sys frame's cores[0].idle_ticks_total / clk_tck",
            f"{idle} vs {[f['cpu']['cores'][0]['idle_ticks_total'] for f in seen[-4:] if f['type'] == 'sys']}")
    r.check(match and list(mem.values()) == [float(match[-1]["mem"]["available_bytes"])],
            "node_memory_MemAvailable_bytes equals that frame's mem.available_bytes", str(mem))
    r.check(all(any(k == "host" for k, _ in key[1]) for key in smp), "every series has host", "")
    cpu = find(smp, "perfbus_process_cpu_seconds_total", pid=child.pid)
    modes = sorted(dict(k[1])["mode"] for k in cpu)
    r.check(modes == ["system", "user"], "the watched process has perfbus_process_cpu_seconds_"
            "total{pid,comm,mode}", str(cpu))
    procs = [f for f in seen if f["type"] == "proc" and f.get("pid") == child.pid and
             "utime_ticks_total" in f]
    clk = match[-1]["cpu"]["clk_tck"] if match else 100
    user = [v for k, v in cpu.items() if dict(k[1])["mode"] == "user"]
    r.check(user and any(p["utime_ticks_total"] / clk == user[0] for p in procs),
            "its user seconds equal a proc frame's utime_ticks_total / clk_tck", str(user))
    return text, smp


def check_refusals(r, bench, addr, host):
    st, _, body = get(addr, f"/metrics?host={host}")
    r.check(st == 200 and f'host="{host}"' in body and "perfbus_sub_frames_total" not in body,
            "?host=<known> serves that host only", body[:100])
    st, _, body = get(addr, "/metrics?host=no-such-host")
    r.check(st == 404 and "no-such-host" in body, "?host=<unknown>: 404 naming it", body)
    st, hdr, body = get(addr, method="POST")
    r.check(st == 405 and hdr.get("Allow") == "GET, HEAD" and "GET" in body, "POST: 405", body)
    st, _, body = get(addr, "/nope")
    r.check(st == 404 and "/nope" in body, "unknown path: 404 naming it", body)
    st, _, body = get(addr, method="HEAD")
    r.check(st == 200 and body == "", "HEAD: 200 without a body", body[:40])


def frames_now(bench):
    return bench.request({"op": "stats"}).get("frames", 0)


def check_abuse(r, bench, addr):
    host, port = addr.rsplit(":", 1)
    slow = []
    for _ in range(5):  # half requests: the headers never end
        s = socket.create_connection((host, int(port)), timeout=30)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        slow.append(s)
    big = socket.create_connection((host, int(port)), timeout=30)
    before, t0 = frames_now(bench), time.monotonic()
    try:
        big.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
    except OSError:
        pass  # the server may close before the whole header is sent: a refusal too
    answer = b""
    try:
        answer = big.recv(200)
    except OSError:
        pass
    r.check(answer == b"" or re.match(rb"HTTP/1\.[01] 4(13|14|31)", answer),
            "a 1 MiB header is refused (431/413/414 or closed)", repr(answer[:80]))
    st, _, _ = get(addr)
    r.check(st == 200, "a scrape is served while half requests are open", str(st))
    bench.wait_for(lambda s: s.get("frames", 0) >= before + 6, timeout=10)
    r.check(frames_now(bench) >= before + 6, "frames keep being received meanwhile",
            f"{before} -> {frames_now(bench)}")
    closed = 0
    for s in slow:
        try:
            data = s.recv(100)
            closed += data == b"" or data.startswith(b"HTTP/1.1 408")
        except OSError:  # reset by the server: closed too
            closed += 1
    r.check(closed == 5 and time.monotonic() - t0 < 25, "half requests are timed out (10 s)",
            f"{closed} closed after {time.monotonic() - t0:.1f} s")
    for s in slow + [big]:
        s.close()


def check_address_rules(r):
    argv = [pbtest.build_path("subscriber", "perfbus-sub"), "--http", "0.0.0.0:0", "--query",
            "inproc://q", "--connect", "ipc:///nonexistent/pub"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    r.check(p.returncode != 0 and "--insecure" in p.stderr and "loopback" in p.stderr,
            "a non-loopback --http is refused, naming --insecure", p.stderr[-300:])
    p = subprocess.run(argv[:3] + ["--query", "inproc://q", "--http", "127.0.0.1:x"],
                       capture_output=True, text=True, timeout=20)
    r.check(p.returncode != 0 and "ADDR:PORT" in p.stderr, "a bad --http is refused", p.stderr)


def main():
    r = pbtest.Results("prom.scrape")
    check_address_rules(r)
    child = subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(0.01)"])
    try:
        with pbsub.Bench() as bench:
            raw = bench.ctx.socket(pbtest.zmq.SUB)
            raw.setsockopt(pbtest.zmq.RCVHWM, 0)
            raw.setsockopt_string(pbtest.zmq.SUBSCRIBE, "")
            raw.connect(bench.pub)
            bench.daemon(0.5, "--pid", child.pid)
            sub = bench.sub("--http", "127.0.0.1:0")
            addr = next((l.split("http listening on ")[1].split()[0] for l in sub.log
                         if "http listening on" in l), None)
            if not r.check(addr and not addr.endswith(":0"), "the bound address is logged",
                           sub.stderr()):
                r.finish()
            health = bench.request({"op": "health"})
            r.check(health.get("http") == addr, "health reports the address", str(health)[:200])
            end = time.monotonic() + 15
            while time.monotonic() < end and f'pid="{child.pid}"' not in get(addr)[2]:
                time.sleep(0.2)
            seen = sys_frames(raw, [])
            text, smp = check_values(r, addr, raw, seen, child)
            check_promtool(r, text)
            check_openmetrics(r, addr)
            host = next(dict(k[1])["host"] for k in find(smp, "node_load1"))
            check_refusals(r, bench, addr, host)
            check_abuse(r, bench, addr)
            child.kill()
            child.wait()
            end = time.monotonic() + 15
            while time.monotonic() < end and f'pid="{child.pid}"' in get(addr)[2]:
                time.sleep(0.2)
            r.check(f'pid="{child.pid}"' not in get(addr)[2],
                    "the process's series disappear after it exits", "")
            http = bench.request({"op": "stats"}).get("http", {})
            r.check(http.get("address") == addr and http.get("scrapes", 0) >= 8 and
                    http.get("bad_method") == 1 and http.get("errors", 0) >= 3,
                    "stats.http counts requests, scrapes and errors", str(http))
            r.check(sub.stop() == 0, "perfbus-sub exits 0 on SIGTERM", sub.stderr())
    finally:
        if child.poll() is None:
            child.kill()
    r.finish()


if __name__ == "__main__":
    main()
