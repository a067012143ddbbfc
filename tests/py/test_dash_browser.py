#!/usr/bin/python3
"""dash.browser: the dashboard in Debian's chromium (playwright-core from npm), against two live
perfbusd (hosts alpha and beta, 0.5 s) feeding one perfbus-sub --http.

The page's CPU chart must show each new sys frame of the host picked within 2 s of the frame's
arrival at a plain SUB socket of the test, and its busy value must equal that frame's
cpu.total.busy_pct (to 0.1); switching the host picker to beta must show beta's frames; hovering
the CPU chart must put a time and the hovered busy value in its legend; pause must stop redraws
and resume restart them; at 390 px the page must not scroll sideways. Screenshots at 1280 and
390 px are kept in $PB_BUILD/test-output/dash.browser/. Also /, /app.js, /uplot.js come from
perfbus-sub itself; /api/history (and its errors: 400, 404, unknown op 404) answers exactly
what the ZeroMQ query socket answers to the same request; and the event stream's client is
gone from stats once the browser is.
"""

import json
import os
import subprocess
import sys

import dashtest
import pbtest

import msgpack
import zmq

HOSTS = ["alpha", "beta"]


def node_run(setup, out):
    modules = os.path.join(os.environ["PB_BUILD"], "web-deps", "node_modules", "playwright-core")
    script = os.path.join(pbtest.SOURCE, "tests", "js", "dash_browser.js")
    env = dict(os.environ, PB_PLAYWRIGHT=modules, PB_DASH_URL=setup.url, PB_DASH_OUT=out,
               PB_DASH_HOSTS=",".join(HOSTS))
    p = subprocess.run(["node", script], env=env, capture_output=True, text=True, timeout=180)
    lines = [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]
    return p.returncode, lines, p.stderr[-2000:]


def check_seen(r, setup, lines, host):
    seen = [x for x in lines if x["kind"] == "seen" and x["host"] == host]
    r.check(len(seen) >= 3, f"{host}: the CPU chart got >= 3 new frames", f"{len(seen)}")
    for x in seen:
        sent = setup.frames[host].get(x["seq"])
        if not r.check(sent is not None and sent[0] == "sys",
                       f"{host}: the chart's seq {x['seq']} is a sys frame {host} sent"):
            continue
        busy = sent[1]["cpu"]["total"]["busy_pct"]
        lag = x["t"] - sent[2]
        r.check(abs(x["busy"] - busy) <= 0.1, f"{host} seq {x['seq']}: chart busy == frame busy_pct",
                f"chart {x['busy']}, frame {busy}")
        r.check(lag <= 2.0, f"{host} seq {x['seq']}: on the chart within 2 s of the frame",
                f"{lag:.3f} s")
        r.check(x["drawn"] and x["page_host"] == host, f"{host} seq {x['seq']}: drawn, for {host}")


def check_hover(r, lines):
    h = next((x for x in lines if x["kind"] == "hover"), None)
    if not r.check(h is not None and h["idx"] is not None, "hovering the CPU chart picks a point",
                   str(h)):
        return
    legend = {x["label"]: x["value"] for x in h["labels"]}
    r.check(legend.get("Time", "--") not in ("", "--") and ":" in legend.get("Time", ""),
            "the legend shows the hovered time", str(legend))
    want = f"{h['busy']:.1f} %"
    r.check(legend.get("busy") == want, "the legend shows the hovered busy value",
            f"legend {legend.get('busy')!r}, point {want!r}")


def check_page(r, lines, out):
    sw = next((x for x in lines if x["kind"] == "switched"), {})
    r.check(sorted(sw.get("options", [])) == HOSTS and "host=beta" in sw.get("url", ""),
            "the host picker lists both hosts and switches to beta", str(sw))
    t = next((x for x in lines if x["kind"] == "table"), {})
    rss = [v for v in t.get("rss", []) if v is not None]
    r.check(t.get("rows", 0) > 0 and t.get("sort", {}).get("k") == "rss_bytes" and
            rss == sorted(rss, reverse=True), "the process table has rows and sorts by RSS", str(t))
    p = next((x for x in lines if x["kind"] == "pause"), None)
    r.check(p is not None and p["during"] == p["before"] and p["after"] > p["during"],
            "pause stops redraws, resume restarts them", str(p))
    n = next((x for x in lines if x["kind"] == "narrow"), {})
    r.check(n.get("scroll_width", 9999) <= 390, "at 390 px nothing scrolls sideways", str(n))
    errors = [x for x in lines if x["kind"] == "pageerror"]
    r.check(not errors, "no script errors in the page", str(errors[:3]))
    for name in ("dash-1280.png", "dash-390.png"):
        path = os.path.join(out, name)
        ok = os.path.exists(path) and os.path.getsize(path) > 10000
        r.check(ok, f"screenshot {path}")


def check_served(r, setup):
    for path, kind in (("/", b"<!doctype html>"), ("/app.js", b"__perfbus"),
                       ("/uplot.js", b"uPlot")):
        st, body = setup.get(path)
        r.check(st == 200 and kind in body[:20000], f"GET {path} is served by perfbus-sub")


def zmq_request(setup, msg):
    sock = setup.ctx.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(f"ipc://{setup.dir}/q")
    try:
        sock.send(msgpack.packb(msg, use_bin_type=True))
        if not sock.poll(5000):
            pbtest.fail_now(f"no reply from the query socket to {msg}")
        return msgpack.unpackb(sock.recv(), raw=False)
    finally:
        sock.close()


def check_api(r, setup):
    """/api/OP answers what the ZeroMQ query socket answers, errors included."""
    st, h = setup.api("history", "?host=alpha&fields=cpu.total.busy_pct&last_s=300")
    r.check(st == 200 and h["ok"] and len(h["fields"]["cpu.total.busy_pct"]) == len(h["ts"]) > 0,
            "/api/history?host&fields&last_s: the busy series", str(h)[:300])
    to = h["ts"][-1] if h.get("ts") else 0
    st, http = setup.api("history", f"?host=alpha&fields=cpu.total.busy_pct,load&to={to}")
    z = zmq_request(setup, {"op": "history", "host": "alpha", "to": to,
                            "fields": ["cpu.total.busy_pct", "load"]})
    r.check(st == 200 and json.loads(json.dumps(z)) == http,
            "/api/history equals the query socket's reply to the same request",
            f"{str(http)[:200]} vs {str(z)[:200]}")
    for query, msg, status in (("history?pid=abc", {"op": "history", "pid": "abc"}, 400),
                               ("history?host=nohost", {"op": "history", "host": "nohost"}, 404),
                               ("nope", {"op": "nope"}, 404)):
        op, _, args = query.partition("?")
        st, http = setup.api(op, "?" + args if args else "")
        z = zmq_request(setup, msg)
        r.check(st == status and http == json.loads(json.dumps(z)) and not http["ok"],
                f"/api/{query}: {status} with the query socket's error", f"{st} {http} vs {z}")


def main():
    r = pbtest.Results("dash.browser")
    out = dashtest.out_dir("dash.browser")
    with dashtest.Setup(HOSTS, daemon_flags=["--top", 5]) as setup:
        setup.wait(setup.hosts_up, what="both hosts in stats")
        check_served(r, setup)
        check_api(r, setup)
        rc, lines, err = node_run(setup, out)
        fatal = [x for x in lines if x["kind"] == "fatal"]
        if rc != 0 or fatal or not any(x["kind"] == "done" for x in lines):
            r.fatal(f"the browser driver failed (exit {rc}): {fatal} {err}")
        for host in HOSTS:
            check_seen(r, setup, lines, host)
        check_hover(r, lines)
        check_page(r, lines, out)
        gone = setup.wait(lambda: setup.api("stats")[1]["http"]["events"]["clients"] == 0,
                          what="the browser's stream to be detached")
        r.check(gone, "the stream's client is detached when the browser closes")
        print(f"dash.browser: screenshots in {out}")
    r.finish()


if __name__ == "__main__":
    main()
