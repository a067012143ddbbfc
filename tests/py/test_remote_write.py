#!/usr/bin/python3
"""prom.remote_write: perfbus-sub pushes every sample it receives to a real Prometheus
(--web.enable-remote-write-receiver), to a receiver that answers 400 and to a closed port.

perfbusd (1 s, --pid of a child that burns some CPU) -> perfbus-sub --remote-write x3. The test
also subscribes to perfbusd itself and keeps every sys and proc frame: the reference.
a) after >= 30 s at a frame's time T: 100*(1-avg(rate(node_cpu_seconds_total{mode="idle"}[30s])))
   from Prometheus within 1 % of the same expression computed from the frames (Prometheus'
   extrapolated rate, written out here); node_memory_MemAvailable_bytes at T equals the frame's,
   and every sample of the last 30 s equals its frame's; the child's
   perfbus_process_cpu_seconds_total (both modes summed) within 1 % of its latest proc frame's.
b) the receiver stopped (SIGTERM) for 30 s and started on the same TSDB: meanwhile
   `perfbus stats --json` shows its queue depth > 0 and retries rising; afterwards every sys frame
   perfbus-sub's history holds from that window is in Prometheus, with its value
   (count_over_time agrees too).
c) the 400 receiver: counted as failed (requests == failed, nothing retried), its body is the
   last error (and in the log), and no sample reached it twice; the requests carry the spec's
   headers, and decode (python3-protobuf, a hand-written prompb descriptor) into series whose
   labels are sorted by name with __name__.
d) the closed port: intake goes on (stats.frames rises), its retries rise.
e) a bad URL, http:// beyond loopback, a missing or empty key file: perfbus-sub refuses to start
   with a message naming what is wrong.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time

import pbsub
import pbtest
import promtest
import zmq

WINDOW_S = 30
OUTAGE_S = 30
BURN = ("import time\nwhile True:\n    t = time.monotonic()\n"
        "    while time.monotonic() - t < 0.02: pass\n    time.sleep(0.08)\n")


class Frames:
    """Every sys and proc frame perfbusd publishes, kept by a SUB socket of the test's own."""

    def __init__(self, ctx, endpoint):
        self.sock = ctx.socket(zmq.SUB)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SUBSCRIBE, b"")
        self.sock.connect(endpoint)
        self.sys, self.proc = [], []
        self.lock = threading.Lock()
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done:
            if not self.sock.poll(100):
                continue
            parts = self.sock.recv_multipart()
            frame = pbtest.unpack(parts[-1])
            with self.lock:
                if frame.get("type") == "sys":
                    self.sys.append(frame)
                elif frame.get("type") == "proc":
                    self.proc.append(frame)

    def snapshot(self):
        with self.lock:
            return list(self.sys), list(self.proc)

    def close(self):
        self.done = True
        self.thread.join(2)
        self.sock.close()


def ms(frame):
    return frame["ts"] // 1_000_000


def extrapolated_rate(points, start, end):
    """Prometheus 2.42's rate() of counter samples [(t s, v)] in a range [start, end] (s)."""
    if len(points) < 2:
        return None
    delta, prev = 0.0, points[0][1]
    for _, v in points[1:]:
        delta += v - prev if v >= prev else v  # a reset
        prev = v
    sampled = points[-1][0] - points[0][0]
    avg = sampled / (len(points) - 1)
    to_start, to_end = points[0][0] - start, end - points[-1][0]
    if delta > 0 and points[0][1] >= 0:
        to_start = min(to_start, sampled * (points[0][1] / delta))
    extra = (to_start if to_start < avg * 1.1 else avg / 2) + (to_end if to_end < avg * 1.1
                                                              else avg / 2)
    return delta * (sampled + extra) / sampled / (end - start)


def busy_from_frames(frames, at_ms):
    """100 * (1 - avg over cores of rate(idle seconds)[30s]) at at_ms, from the frames."""
    start, end = (at_ms - WINDOW_S * 1000) / 1000, at_ms / 1000
    cores = {}
    for f in frames:
        if start <= ms(f) / 1000 <= end:
            clk = f["cpu"]["clk_tck"]
            for c in f["cpu"].get("cores", []):
                cores.setdefault(c["id"], []).append((ms(f) / 1000, c["idle_ticks_total"] / clk))
    rates = [extrapolated_rate(p, start, end) for p in cores.values()]
    if not rates or None in rates:
        return None
    return 100 * (1 - sum(rates) / len(rates))


def close(a, b, rel=0.01):
    return a is not None and b is not None and abs(a - b) <= rel * max(abs(a), abs(b), 1e-9)


def rw_stats(bench, url):
    for w in bench.request({"op": "stats"}).get("remote_write", []):
        if w.get("url") == url:
            return w
    return {}


def cli_stats(bench):
    out = subprocess.run([pbtest.build_path("cli", "perfbus"), "stats", "--json", "--endpoint",
                          bench.query], capture_output=True, text=True, timeout=10)
    return json.loads(out.stdout) if out.returncode == 0 else {}


def wait_until(predicate, timeout, step=0.5):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = predicate()
        if got:
            return got
        time.sleep(step)
    return predicate()


def frame_in_prom(prom, frame):
    """True when Prometheus holds frame's MemAvailable sample."""
    pts = prom.raw("node_memory_MemAvailable_bytes[10s]", ms(frame) / 1000 + 5)
    return any(round(t * 1000) == ms(frame) for t, _ in pts)


def check_a(r, prom, frames, child):
    sys_frames, procs = frames.snapshot()
    # T: a frame some seconds old, whose samples Prometheus surely has (waited for below)
    cand = [f for f in sys_frames if ms(f) <= time.time() * 1000 - 3000]
    at_frame = cand[-1] if cand else sys_frames[-1]
    r.check(wait_until(lambda: frame_in_prom(prom, at_frame), 15), "the frame at T is in "
            "Prometheus", prom.stderr())
    at = ms(at_frame)
    expr = '100 * (1 - avg(rate(node_cpu_seconds_total{mode="idle"}[30s])))'
    got, want = prom.scalar(expr, at / 1000), busy_from_frames(sys_frames, at)
    r.check(close(got, want), "a) the issue's CPU busy expression agrees within 1 % with the "
            "same computed from the frames", f"{got} vs {want}")
    print(f"prom.remote_write: busy at T {got} % (Prometheus) vs {want} % (frames)", flush=True)
    mem = prom.scalar("node_memory_MemAvailable_bytes", at / 1000)
    r.check(mem == float(at_frame["mem"]["available_bytes"]), "a) node_memory_MemAvailable_bytes "
            "at T equals the frame's", f"{mem} vs {at_frame['mem']['available_bytes']}")
    pts = prom.raw(f"node_memory_MemAvailable_bytes[{WINDOW_S}s]", at / 1000)
    want_pts = [(ms(f), float(f["mem"]["available_bytes"])) for f in sys_frames
                if at - WINDOW_S * 1000 <= ms(f) <= at]
    got_pts = [(round(t * 1000), v) for t, v in pts]
    r.check(got_pts == want_pts and len(got_pts) >= WINDOW_S - 2, "a) every MemAvailable sample "
            "of the 30 s equals its frame's, at its timestamp", f"{got_pts[:3]} vs {want_pts[:3]} "
            f"({len(got_pts)} vs {len(want_pts)})")
    mine = [p for p in procs if p.get("pid") == child.pid and ms(p) <= at and
            "utime_ticks_total" in p]
    clk = at_frame["cpu"]["clk_tck"]
    want_cpu = (mine[-1]["utime_ticks_total"] + mine[-1]["stime_ticks_total"]) / clk if mine else None
    got_cpu = prom.scalar(f'sum(perfbus_process_cpu_seconds_total{{pid="{child.pid}"}})', at / 1000)
    r.check(close(got_cpu, want_cpu), "a) the child's perfbus_process_cpu_seconds_total agrees "
            "within 1 % with its latest proc frame", f"{got_cpu} vs {want_cpu}")


def check_b(r, bench, prom, frames):
    url = prom.write_url
    t_stop = time.time()
    prom.terminate()
    time.sleep(5)
    first = cli_stats(bench)
    time.sleep(OUTAGE_S - 10)
    second = cli_stats(bench)
    w1 = next((w for w in first.get("remote_write", []) if w.get("url") == url), {})
    w2 = next((w for w in second.get("remote_write", []) if w.get("url") == url), {})
    r.check(w1.get("queue_depth", 0) > 0 and w2.get("queue_depth", 0) > w1.get("queue_depth", 0),
            "b) while the receiver is down, `perfbus stats --json` shows its queue depth > 0 and "
            "growing", f"{w1.get('queue_depth')} then {w2.get('queue_depth')}")
    r.check(w2.get("retried", 0) > w1.get("retried", 0) > 0, "b) and its retries rising",
            f"{w1.get('retried')} then {w2.get('retried')}; last error {w2.get('last_error')}")
    time.sleep(max(0.0, t_stop + OUTAGE_S - time.time()))
    prom.start()
    if not prom.wait_ready():
        r.fatal(f"Prometheus did not come back: {prom.stderr()}")
    t_start = time.time()
    sys_frames, _ = frames.snapshot()
    later = [f for f in sys_frames if ms(f) >= t_start * 1000 + 2000]
    if not later:
        time.sleep(3)
        later = [f for f in frames.snapshot()[0] if ms(f) >= t_start * 1000 + 2000]
    caught = wait_until(lambda: later and frame_in_prom(prom, later[0]), 30)
    r.check(caught, "b) after the restart the sender catches up", str(rw_stats(bench, url)))
    a_ns, b_ns = int((t_stop - 3) * 1e9), int((t_start + 2) * 1e9)
    held = pbsub_history(bench, a_ns, b_ns)
    pts = prom.raw(f"node_memory_MemAvailable_bytes[{int((b_ns - a_ns) / 1e9) + 10}s]",
                   b_ns / 1e9 + 5)
    stored = {round(t * 1000): v for t, v in pts}
    missing = [(ts, v) for ts, v in held if stored.get(ts // 1_000_000) != v]
    r.check(held and not missing, f"b) every one of the {len(held)} sys frames perfbus-sub holds "
            "from the outage window is in Prometheus with its value",
            f"{len(missing)} missing, e.g. {missing[:3]}")
    # in Prometheus' own milliseconds: the first frame's sample 1 ms inside the range's start
    first_ms, last_ms = (held[0][0] // 1_000_000, held[-1][0] // 1_000_000) if held else (0, 0)
    count = prom.scalar(f"count_over_time(node_memory_MemAvailable_bytes[{last_ms - first_ms + 1}ms])",
                        last_ms / 1000)
    r.check(count == len(held), "b) count_over_time over the window equals the frames held",
            f"{count} vs {len(held)}")
    w = rw_stats(bench, url)
    print(f"prom.remote_write: outage {t_start - t_stop:.1f} s, {len(held)} sys frames in the "
          f"window, sender: {w}", flush=True)


def pbsub_history(bench, from_ns, to_ns):
    reply = bench.request({"op": "history", "fields": "mem.available_bytes", "from": from_ns,
                           "to": to_ns})
    return list(zip(reply.get("ts", []), reply.get("fields", {}).get("mem.available_bytes", [])))


def check_c(r, bench, sub, fake):
    taken = fake.taken()
    w = rw_stats(bench, fake.url)
    r.check(taken and w.get("requests") == len(taken) == w.get("failed") and
            w.get("retried") == 0, "c) every request to the 400 receiver is counted as failed, "
            "none retried", f"{len(taken)} requests at the receiver, stats {w}")
    r.check("HTTP 400" in (w.get("last_error") or "") and
            "sample out of bounds" in (w.get("last_error") or ""),
            "c) its last error is the status and the receiver's body", str(w.get("last_error")))
    r.check("sample out of bounds" in sub.stderr(), "c) and the body is logged", sub.stderr())
    seen, dup, unsorted, n = set(), 0, 0, 0
    for headers, body in taken:
        for labels, samples in promtest.decode_write(body):
            names = [k for k, _ in labels]
            unsorted += names != sorted(names) or "__name__" not in names
            for s in samples:
                key = (labels, s[0])
                dup += key in seen
                seen.add(key)
                n += 1
    r.check(n == w.get("failed_samples") and dup == 0, "c) no sample reached it twice",
            f"{dup} repeated of {n}; failed_samples {w.get('failed_samples')}")
    r.check(unsorted == 0, "c) every series' labels are sorted by name and hold __name__",
            f"{unsorted} series")
    h = {k.lower(): v for k, v in taken[0][0].items()} if taken else {}
    r.check(h.get("content-encoding") == "snappy" and
            h.get("content-type") == "application/x-protobuf" and
            h.get("x-prometheus-remote-write-version") == "0.1.0" and
            h.get("user-agent", "").startswith("perfbus-sub/"), "c) the spec's headers", str(h))


def check_d(r, bench, url):
    before = bench.request({"op": "stats"})
    w1 = rw_stats(bench, url)
    time.sleep(3)
    after = bench.request({"op": "stats"})
    w2 = rw_stats(bench, url)
    r.check(after.get("frames", 0) > before.get("frames", 0), "d) intake goes on while a URL is "
            "unreachable", f"{before.get('frames')} then {after.get('frames')}")
    r.check(w2.get("retried", 0) > w1.get("retried", 0) and w2.get("queue_depth", 0) > 0 and
            w2.get("samples_sent") == 0, "d) the closed port's retries rise, its queue holds",
            f"{w1} then {w2}")


def refused(bench_dir, *flags):
    argv = [pbtest.build_path("subscriber", "perfbus-sub"), "--connect", f"ipc://{bench_dir}/none",
            "--query", f"ipc://{bench_dir}/q-bad", *flags]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    return p.returncode, p.stderr


def check_e(r, tmp):
    empty = os.path.join(tmp, "empty-token")
    open(empty, "w").close()
    cases = [
        (["--remote-write", "ftp://127.0.0.1/x"], "only http:// and https://"),
        (["--remote-write", "http://192.0.2.1:9090/api/v1/write"], "use https://"),
        (["--remote-write", "http://u:p@127.0.0.1/w"], "no credentials in the URL"),
        (["--remote-write", "http://127.0.0.1:1/w", "--remote-write-bearer-token-file",
          os.path.join(tmp, "missing")], "missing: No such file"),
        (["--remote-write", "http://127.0.0.1:1/w", "--remote-write-bearer-token-file", empty],
         "empty-token: empty"),
        (["--remote-write", "http://127.0.0.1:1/w", "--remote-write-basic-auth-file", empty],
         "empty-token: empty"),
    ]
    for flags, want in cases:
        rc, err = refused(tmp, *flags)
        r.check(rc != 0 and want in err, f"e) perfbus-sub {' '.join(flags[:2])}... refuses to "
                f"start: '{want}'", f"rc {rc}: {err.strip()[-300:]}")


def scenario(r, bench, child, prom, fake, closed_url):
    frames = Frames(bench.ctx, bench.pub)
    try:
        bench.daemon(1, "--pid", child.pid)
        sub = bench.sub("--remote-write", prom.write_url, "--remote-write", fake.url,
                        "--remote-write", closed_url)
        check_d(r, bench, closed_url)
        n = wait_until(lambda: (prom.scalar(
            f"count_over_time(node_memory_MemAvailable_bytes[{WINDOW_S + 10}s])") or 0)
            >= WINDOW_S + 3, 75, 1)
        if not r.check(n, f"Prometheus holds >= {WINDOW_S + 3} s of remote-written samples",
                       f"{prom.stderr()} {rw_stats(bench, prom.write_url)}"):
            return
        check_a(r, prom, frames, child)
        check_b(r, bench, prom, frames)
        check_c(r, bench, sub, fake)
        r.check(sub.stop() == 0, "perfbus-sub exits 0 on SIGTERM with senders busy", sub.stderr())
    finally:
        frames.close()


def main():
    r = pbtest.Results("prom.remote_write")
    if not os.access(promtest.PROMETHEUS, os.X_OK):
        r.fatal(f"{promtest.PROMETHEUS} is missing: scripts/deps.sh installs Debian's prometheus")
    t0 = time.monotonic()
    child = subprocess.Popen([sys.executable, "-c", BURN])
    prom = promtest.Prometheus()
    fake = promtest.FakeReceiver()
    closed_url = f"http://127.0.0.1:{promtest.free_port()}/api/v1/write"
    try:
        if not prom.wait_ready():
            r.fatal(f"Prometheus did not become ready: {prom.stderr()}")
        with tempfile.TemporaryDirectory(prefix="pbrw-") as tmp:
            check_e(r, tmp)
        with pbsub.Bench() as bench:
            scenario(r, bench, child, prom, fake, closed_url)
    finally:
        child.kill()
        child.wait()
        fake.stop()
        prom.stop()
    print(f"prom.remote_write: {time.monotonic() - t0:.1f} s", flush=True)
    r.finish()


if __name__ == "__main__":
    main()
