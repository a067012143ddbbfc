#!/usr/bin/python3
"""rw_bench: remote-write samples/s perfbus-sub sustains against the frames/s it receives.

    rw_bench.py PB_BENCH PERFBUS_SUB TEMPLATES SECONDS TMPDIR

`pb-bench blast` publishes the captured frames (1 sys + 10 proc) as fast as it can; perfbus-sub
takes them in with --remote-write to a minimal sink on a free loopback port (an HTTP server here
that reads each request and answers 204 without decoding it: the figure is perfbus-sub's, not a
receiver's). Over SECONDS (after 1 s of warm-up), from perfbus-sub's `stats`: frames received/s,
samples sent/s (acknowledged), samples dropped/s (queue overflow), requests/s, and perfbus-sub's
CPU (all threads) per frame. Then the same without --remote-write, for the cost of encoding.
Prints one line of key=value.
"""

import http.server
import os
import subprocess
import sys
import threading
import time

import msgpack
import zmq


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    bytes_in = 0

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        Sink.bytes_in += len(self.rfile.read(n))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def stats(ctx, query):
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.LINGER, 0)
    s.connect(query)
    s.send(msgpack.packb({"op": "stats"}))
    if not s.poll(5000):
        raise RuntimeError("perfbus-sub did not answer stats")
    r = msgpack.unpackb(s.recv(), raw=False)
    s.close()
    return r


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(pb, sub_bin, templates, seconds, tmp, url, tag):
    ep_file = os.path.join(tmp, f"rw-ep-{tag}")
    blast = subprocess.Popen([pb, "blast", "--templates", templates, "--bind",
                              f"ipc://{tmp}/rw-blast-{tag}", "--endpoint-file", ep_file,
                              "--seconds", str(seconds + 4)], stdout=subprocess.DEVNULL)
    while not os.path.exists(ep_file) or not os.path.getsize(ep_file):
        time.sleep(0.05)
    query = f"ipc://{tmp}/rw-q-{tag}"
    argv = [sub_bin, "--connect", open(ep_file).read().strip(), "--query", query]
    if url:
        argv += ["--remote-write", url]
    log = open(os.path.join(tmp, f"rw-sub-{tag}.log"), "w")
    sub = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log)
    ctx = zmq.Context()
    try:
        time.sleep(1.5)
        s0, c0, t0 = stats(ctx, query), cpu_s(sub.pid), time.monotonic()
        time.sleep(seconds)
        s1, c1, t1 = stats(ctx, query), cpu_s(sub.pid), time.monotonic()
    finally:
        sub.terminate()
        sub.wait()
        blast.wait()
        ctx.destroy(linger=0)
    dt = t1 - t0
    frames = s1["frames"] - s0["frames"]
    out = {"fps": frames / dt, "cpu_us_per_frame": (c1 - c0) * 1e6 / max(frames, 1)}
    if url:
        w0, w1 = s0["remote_write"][0], s1["remote_write"][0]
        for k in ("samples_sent", "dropped", "requests", "failed", "retried"):
            out[k + "_per_s"] = (w1[k] - w0[k]) / dt
        out["queue_depth"] = w1["queue_depth"]
    return out


def main():
    pb, sub_bin, templates, seconds, tmp = sys.argv[1:6]
    seconds = float(seconds)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/write"
    rw = run(pb, sub_bin, templates, seconds, tmp, url, "rw")
    plain = run(pb, sub_bin, templates, seconds, tmp, None, "plain")
    server.shutdown()
    line = {f"rw_{k}": v for k, v in rw.items()}
    line.update({f"plain_{k}": v for k, v in plain.items()})
    line["samples_per_frame"] = rw["samples_sent_per_s"] / rw["fps"] if rw["fps"] else 0
    print(" ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                   for k, v in line.items()))


if __name__ == "__main__":
    main()
