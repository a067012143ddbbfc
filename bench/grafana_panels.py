#!/usr/bin/python3
"""grafana_panels: a Grafana dashboard's panels evaluated on two Prometheus servers, side by side.

    grafana_panels.py DASHBOARD.json PERFBUS_PROM_URL NODE_PROM_URL [--rows 3] [--scrape-s 1]
                      [--range-s 120] [--max-points 1000] [--job-a JOB] [--job-b JOB]

Made for Grafana's "Node Exporter Full" (grafana.com 1860, github rfmoz/grafana-dashboards,
prometheus/node-exporter-full.json; not shipped here): one Prometheus scraping perfbus-sub's
/metrics (A), one scraping prometheus-node-exporter (B), same machine, same time.
Takes the panels of the first --rows rows (a row is a panel of type "row"; an expanded row's
panels follow it in the top-level list, a collapsed row holds them in its own "panels").
The dashboard variables are resolved on each server as Grafana would: job, nodename and node
from label_values(node_uname_info...); when that finds nothing (Grafana's drop-downs would be
empty), job and instance come from up{job=...} and the report says so. Grafana's interval
variables, for a data source whose scrape interval is --scrape-s: $__interval = the range over
--max-points, at least the scrape interval; $__rate_interval = max($__interval + scrape,
4 x scrape). Every target's expr is evaluated as an instant query at the end of the range and
as a range query over --range-s with step $__interval. Prints a markdown table: per panel,
whether each server has data (both queries return samples), each target's instant value(s) on
A and B, and for a panel without data on A, the metric names A lacks or the selectors that
select nothing although the metric exists (a label mismatch).
"""

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

IGNORED_LABELS = {"__name__", "instance", "job", "host"}
# a series selector: a metric name and its braces (the dashboard always writes braces)
SELECTOR_RE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})")


class Prom:
    """The HTTP API of one Prometheus server."""

    def __init__(self, url):
        self.url = url.rstrip("/")

    def api(self, path, **args):
        q = urllib.parse.urlencode(args)
        try:
            with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{q}", timeout=30) as r:
                reply = json.loads(r.read())
        except urllib.error.HTTPError as e:
            reply = json.loads(e.read() or b"{}")
        if reply.get("status") != "success":
            return None, reply.get("error", "no reply")
        return reply["data"], None

    def instant(self, expr, at):
        return self.api("query", query=expr, time=f"{at:.3f}")

    def range(self, expr, start, end, step):
        return self.api("query_range", query=expr, start=f"{start:.3f}", end=f"{end:.3f}",
                        step=f"{step:g}s")

    def label_values(self, label, match):
        data, _ = self.api("series", **{"match[]": match, "start": f"{time.time() - 300:.0f}"})
        return sorted({s[label] for s in data or [] if label in s})


def rows_of(dashboard, nrows):
    """[(row title, panel)] of the first nrows rows."""
    out, seen = [], 0
    for p in dashboard.get("panels", []):
        if p.get("type") == "row":
            seen += 1
            if seen > nrows:
                break
            title = p.get("title", "")
            out += [(title, q) for q in p.get("panels", [])]
        elif seen:
            out.append((title, p))
    return out


def resolve_vars(prom, job_hint):
    """{variable: value} as Grafana's drop-downs would pick them, and where they came from."""
    jobs = prom.label_values("job", "node_uname_info")
    if jobs:
        job = job_hint if job_hint in jobs else jobs[0]
        names = prom.label_values("nodename", f'node_uname_info{{job="{job}"}}')
        nodename = names[0] if names else ""
        nodes = prom.label_values(
            "instance", f'node_uname_info{{job="{job}",nodename="{nodename}"}}')
        if nodes:
            return {"job": job, "nodename": nodename, "node": nodes[0]}, "node_uname_info"
    job = job_hint or (prom.label_values("job", "up") or [""])[0]
    inst = prom.label_values("instance", f'up{{job="{job}"}}')
    return {"job": job, "nodename": "", "node": inst[0] if inst else ""}, "up (no node_uname_info)"


def interval_vars(scrape_s, range_s, max_points):
    interval = max(scrape_s, range_s / max_points)
    rate = max(interval + scrape_s, 4 * scrape_s)
    return {"__rate_interval": f"{rate:g}s", "__interval": f"{interval:g}s",
            "__interval_ms": f"{interval * 1000:g}", "__range": f"{range_s:g}s",
            "__range_s": f"{range_s:g}", "__range_ms": f"{range_s * 1000:g}"}, interval


def substitute(expr, variables):
    """Grafana's three variable syntaxes, ${name}, [[name]] and $name, longest names first."""
    for name in sorted(variables, key=len, reverse=True):
        v = variables[name]
        expr = expr.replace("${" + name + "}", v).replace("[[" + name + "]]", v)
        expr = re.sub(r"\$" + re.escape(name) + r"(?![A-Za-z0-9_])", lambda _m: v, expr)
    return expr


def series_of(data):
    """{label key: value} of an instant result (vector or scalar)."""
    if not data:
        return {}
    if data["resultType"] == "scalar":
        return {"": float(data["result"][1])}
    out = {}
    for s in data["result"]:
        key = ",".join(f"{k}={v}" for k, v in sorted(s["metric"].items())
                       if k not in IGNORED_LABELS)
        out[key] = float(s["value"][1])
    return out


def has_points(data):
    return bool(data) and any(s.get("values") for s in data.get("result", []))


def fmt(series):
    if not series:
        return "—"
    vals = [series[k] for k in sorted(series)]
    if len(vals) == 1:
        return f"{vals[0]:.4g}"
    if len(vals) <= 3:
        return " ".join(f"{v:.3g}" for v in vals)
    return f"{len(vals)} series, sum {sum(vals):.4g}"


class Side:
    """One server with its resolved variables."""

    def __init__(self, url, job_hint, ivars):
        self.prom = Prom(url)
        found, self.source = resolve_vars(self.prom, job_hint)
        self.vars = {**found, **ivars}

    def evaluate(self, expr, end, range_s, step):
        """(instant series, has data, error) of one target's expr."""
        q = substitute(expr, self.vars)
        inst, err = self.prom.instant(q, end)
        rng, err2 = self.prom.range(q, end - range_s, end, step)
        series = series_of(inst)
        return series, bool(series) and has_points(rng), err or err2

    def lacking(self, expr):
        """Metric names absent here, and selectors that select nothing although the name exists."""
        out = []
        for name, braces in SELECTOR_RE.findall(substitute(expr, self.vars)):
            if not self.exists(f'{name}{{job="{self.vars["job"]}"}}'):
                miss = name
            elif not self.exists(name + braces):
                miss = f"{name}{braces} (labels)"
            else:
                continue
            out += [miss] if miss not in out else []
        return out

    def exists(self, selector):
        data, _ = self.prom.instant(f"count(last_over_time({selector}[5m]))", time.time())
        return bool(series_of(data))


def target_cells(panel, a, b, window):
    """[(label, A series, A has data, B series, B has data, error)] of a panel's visible targets."""
    out = []
    for t in panel.get("targets", []):
        expr = t.get("expr")
        if not expr or t.get("hide"):
            continue
        sa, da, ea = a.evaluate(expr, *window)
        sb, db, eb = b.evaluate(expr, *window)
        name = (t.get("legendFormat") or t.get("refId") or "").split(" - ")[0].split(" – ")[0]
        out.append((name.strip()[:24], sa, da, sb, db, ea or eb, expr))
    return out


def coverage(flags):
    """yes / no / k of n: the targets with data, out of those with data on either side."""
    k, n = sum(flags), len(flags)
    return "yes" if n and k == n else "no" if not k else f"{k} of {n}"


def panel_row(row, panel, a, b, window):
    """One markdown line for a panel."""
    cells = target_cells(panel, a, b, window)
    seen = [c for c in cells if c[2] or c[4]]  # a target empty on both sides says nothing
    lacking = []
    for c in seen:
        if not c[2]:
            lacking += [m for m in a.lacking(c[6]) if m not in lacking]
    values = "; ".join(f"{c[0]}: {fmt(c[1])} / {fmt(c[3])}" + (f" (error: {c[5]})" if c[5] else "")
                       for c in cells)
    return (f"| {row} | {panel.get('title', '')} | {coverage([c[2] for c in seen])} | "
            f"{coverage([c[4] for c in seen])} | {values} | {', '.join(lacking) or '—'} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dashboard")
    ap.add_argument("perfbus_url")
    ap.add_argument("node_url")
    ap.add_argument("--rows", type=int, default=3)
    ap.add_argument("--scrape-s", type=float, default=1.0)
    ap.add_argument("--range-s", type=float, default=120.0)
    ap.add_argument("--max-points", type=int, default=1000)
    ap.add_argument("--job-a", default="")
    ap.add_argument("--job-b", default="")
    o = ap.parse_args()
    with open(o.dashboard, encoding="utf-8") as f:
        panels = rows_of(json.load(f), o.rows)
    if not panels:
        sys.exit(f"grafana_panels: no panels in the first {o.rows} rows of {o.dashboard}")
    ivars, step = interval_vars(o.scrape_s, o.range_s, o.max_points)
    a, b = Side(o.perfbus_url, o.job_a, ivars), Side(o.node_url, o.job_b, ivars)
    window = (time.time(), o.range_s, step)
    print(f"A (perfbus-sub): variables from {a.source}: {a.vars}")
    print(f"B (node_exporter): variables from {b.source}: {b.vars}\n")
    print("| row | panel | perfbus has data | node_exporter has data | "
          "target: perfbus / node_exporter (instant) | missing on perfbus |")
    print("|---|---|---|---|---|---|")
    for row, panel in panels:
        if panel.get("targets"):
            print(panel_row(row, panel, a, b, window), flush=True)


if __name__ == "__main__":
    main()
