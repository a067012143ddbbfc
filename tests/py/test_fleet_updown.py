#!/usr/bin/python3
"""fleet.updown: perfbus-sub marks a stopped publisher's host down after 3 missed heartbeats.

Two perfbusd with different --host (heartbeat 0.5 s) and one recording perfbus-sub with its
HTTP face. One perfbusd is stopped with SIGSTOP for 3.5 s (7 heartbeats), then continued:
- its host is `down` in `stats` no sooner than 3 heartbeat periods after the last frame heard
  and at most 3 periods (plus the subscriber's 100 ms check and scheduling) after the stop;
  `health`, /metrics (perfbus_sub_host_up, perfbus_sub_host_down_total) and `perfbus stats`
  say the same; the other host stays up throughout;
- it is `up` again once frames come, with one down period from its last frame before the stop
  to its first after; nothing is lost on either host (a stopped daemon sends nothing: the
  pause is no seq gap);
- the report of the recorded run (PDF and HTML) shows that period for that host, and "up the
  whole run" for the other.
"""

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request

import pbsub
import pbtest
import test_report_lib as lib

HB = 0.5
DOWN_AFTER = 3
STOPPED_S = 3.5
SLACK_S = 1.0  # the 100 ms check, the poll interval and a loaded machine's scheduling


def daemon(bench, host, tag):
    argv = [pbsub.build_path("publisher", "perfbusd"), "--pub", f"ipc://{bench.dir}/pub-{tag}",
            "--control", f"ipc://{bench.dir}/ctl-{tag}", "--interval", 0.25, "--heartbeat", HB,
            "--host", host, "--pid", os.getpid()]
    p = pbsub.Proc(argv, "perfbusd: ready")
    bench.procs.append(p)
    return p


def host_of(reply, name):
    return next((h for h in reply.get("hosts", []) if h.get("host") == name), {})


def scrape(address):
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as resp:
        return resp.read().decode()


def poll_until_down(r, bench, a, b, t_stop):
    """Polls stats until a is down; checks b stays up and a is never down too early."""
    end = time.monotonic() + DOWN_AFTER * HB + 10
    reply, answered = {}, 0.0
    while time.monotonic() < end:
        reply = bench.request({"op": "stats"})
        answered = time.time()
        r.check(host_of(reply, b).get("state") == "up", f"{b} stays up while {a} is stopped",
                str(host_of(reply, b))) or r.finish()
        if host_of(reply, a).get("state") == "down":
            break
        time.sleep(0.05)
    ha = host_of(reply, a)
    r.check(ha.get("state") == "down", f"{a} is marked down", str(ha)) or r.finish()
    period = (ha.get("down") or [{}])[-1]
    last_heard = period.get("from_ns", 0) / 1e9
    print(f"down seen {answered - t_stop:.3f} s after SIGSTOP, {answered - last_heard:.3f} s "
          f"after the last frame heard", flush=True)
    r.check(answered - last_heard >= DOWN_AFTER * HB, "not before 3 missed heartbeats",
            f"{answered - last_heard:.3f} s after the last frame")
    r.check(answered - t_stop <= DOWN_AFTER * HB + SLACK_S, "within 3 heartbeats of the stop",
            f"{answered - t_stop:.3f} s")
    r.check(t_stop - HB - SLACK_S <= last_heard <= t_stop + 0.1,
            "the down period starts at the last frame before the stop",
            f"{last_heard - t_stop:.3f} s from the stop")
    r.check("to_ns" not in period and ha.get("down_total") == 1, "one open down period", str(ha))
    return reply


def check_views_down(r, bench, a, b):
    health = bench.request({"op": "health"})
    r.check(host_of(health, a).get("state") == "down" and
            host_of(health, b).get("state") == "up", "health shows the same states",
            str(health.get("hosts"))[:300])
    text = scrape(health.get("http", "?"))
    r.check(f'perfbus_sub_host_up{{host="{a}"}} 0\n' in text, "/metrics: host_up 0 while down")
    r.check(f'perfbus_sub_host_up{{host="{b}"}} 1\n' in text, "/metrics: the other host is up")
    r.check(re.search(rf'perfbus_sub_up{{host="{a}",src="[^"]+"}} 0\n', text) is not None,
            "/metrics: its publisher (src) is down too")
    return health.get("http")


def check_back_up(r, bench, a, b, t_cont, http):
    reply = bench.wait_for(lambda s: host_of(s, a).get("state") == "up", timeout=10)
    seen = time.time()
    ha = host_of(reply, a)
    r.check(ha.get("state") == "up", f"{a} is up again after SIGCONT", str(ha)) or r.finish()
    p = (ha.get("down") or [{}])[-1]
    back = p.get("to_ns", 0) / 1e9
    r.check(t_cont - 0.1 <= back <= seen, "the period ends at the first frame after SIGCONT",
            f"{back - t_cont:.3f} s from SIGCONT")
    length = back - p.get("from_ns", 0) / 1e9
    print(f"down period {length:.3f} s (stopped {STOPPED_S} s)", flush=True)
    r.check(STOPPED_S - 0.2 <= length <= STOPPED_S + HB + SLACK_S,
            "the period spans the stop", f"{length:.3f} s")
    r.check(ha.get("down_total") == 1 and host_of(reply, b).get("down_total") == 0,
            "one down transition, none for the other host", str(reply.get("hosts"))[:300])
    time.sleep(4 * HB)  # frames after the pause, from both
    stats = bench.request({"op": "stats"})
    pubs = stats.get("publishers", [])
    r.check(stats.get("lost") == 0 and all(p.get("lost") == 0 for p in pubs),
            "nothing lost: a stopped daemon sends nothing, the other lost nothing",
            str([(p.get("host"), p.get("lost")) for p in pubs]))
    r.check(all(p.get("state") == "up" for p in pubs), "every publisher up",
            str([(p.get("host"), p.get("state")) for p in pubs]))
    text = scrape(http)
    r.check(f'perfbus_sub_host_up{{host="{a}"}} 1\n' in text and
            f'perfbus_sub_host_down_total{{host="{a}"}} 1\n' in text,
            "/metrics: up again, one transition counted")
    cli = subprocess.run([pbsub.build_path("cli", "perfbus"), "stats", "--endpoint", bench.query],
                         capture_output=True, text=True, timeout=20)
    r.check(cli.returncode == 0 and re.search(rf"host {a}: up .*down 1 time\(s\)", cli.stdout),
            "perfbus stats prints the host's down period", cli.stdout[-600:] + cli.stderr)
    return length


def check_report(r, bench, a, b, length):
    runs = bench.run_dirs()
    r.check(len(runs) == 1, "one run recorded", str(runs)) or r.finish()
    tmp = lib.tempdir("pbfleet-")
    try:
        pdf = os.path.join(tmp, "fleet.pdf")
        out = lib.report(runs[0], "--format", "pdf,html", "--out", pdf)
        r.check(out.returncode == 0, "perfbus-report exits 0", out.stderr[-500:]) or r.finish()
        with open(pdf[:-3] + "html", encoding="utf-8") as f:
            html = f.read()
        text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True,
                              text=True).stdout
        for name, doc in (("HTML", html), ("PDF", re.sub(r"[ \t]+", " ", text))):
            r.check(f"Publisher up/down - {a}" in doc and f"Publisher up/down - {b}" in doc,
                    f"{name}: an up/down section per host")
            got = re.search(r"Down 1 time\(s\), ([0-9.]+) s in all", doc)
            r.check(got is not None and abs(float(got.group(1)) - length) <= 0.15,
                    f"{name}: {a} down once, as long as perfbus-sub saw it",
                    f"{got.group(0) if got else None} vs {length:.3f} s")
            r.check(doc.count("Up the whole run") == 1, f"{name}: {b} up the whole run")
            r.check(re.search(r"down \d{4}-\d\d-\d\d [0-9:.]+ to [0-9:.]+ UTC", doc) is not None,
                    f"{name}: the period's times")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    r = pbtest.Results("fleet.updown")
    lib.need_tool("pdftotext")
    a, b = f"fleet-a-{os.getpid()}", f"fleet-b-{os.getpid()}"
    with pbsub.Bench() as bench:
        pa, pb = daemon(bench, a, "a"), daemon(bench, b, "b")
        sub = bench.sub("--record", "--flush-ms", 200, "--http", "127.0.0.1:0",
                        "--connect", f"ipc://{bench.dir}/pub-b",
                        connect=f"ipc://{bench.dir}/pub-a")
        up = bench.wait_for(lambda s: all(host_of(s, h).get("state") == "up" and
                                          host_of(s, h).get("hb_period_s") == HB for h in (a, b)))
        r.check(all(host_of(up, h).get("state") == "up" for h in (a, b)),
                "both hosts up, judged by their 0.5 s heartbeat", str(up.get("hosts"))[:400])
        r.check(up.get("down_after") == DOWN_AFTER, "down after 3 by default", str(up)[:200])
        t_stop = time.time()
        os.kill(pa.proc.pid, signal.SIGSTOP)
        try:
            poll_until_down(r, bench, a, b, t_stop)
            http = check_views_down(r, bench, a, b)
            time.sleep(max(0.0, t_stop + STOPPED_S - time.time()))
        finally:
            t_cont = time.time()
            os.kill(pa.proc.pid, signal.SIGCONT)
        length = check_back_up(r, bench, a, b, t_cont, http)
        r.check(sub.stop() == 0, "perfbus-sub exits 0", sub.stderr())
        r.check(any(f"host {a} is down" in line for line in sub.log) and
                any(f"host {a} is up again" in line for line in sub.log),
                "perfbus-sub logs both transitions", sub.stderr())
        check_report(r, bench, a, b, length)
        r.check(pa.stop() == 0 and pb.stop() == 0, "both perfbusd exit 0")
    r.finish()


if __name__ == "__main__":
    main()
