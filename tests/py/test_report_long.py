#!/usr/bin/env python3
"""perfbus-report over long windows: a synthetic month in two runs, `--from now-30d`.

The report of a month reads the sealed segments' rollups (1 h buckets), of a
week 1 min buckets; the checks: a valid PDF (qpdf --check, pdftotext) and HTML,
summaries whose count, min and max equal those over every sample (the same
store with PERFBUS_REPORT_RESOLUTION=raw), means within 1e-9, percentiles
inside the brackets the JSON gives; the same numbers when the rollups are gone
(every segment read raw into the same buckets); and a report after retention
removed the oldest segments (as perfbus-sub --keep-days does: the .pbz with its
.pbr)."""

import glob
import json
import os
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbtest  # noqa: E402
import test_report_lib as lib  # noqa: E402

DAY = 86400
HALF = 15 * DAY  # each of the two runs
INTERVAL = 60  # seconds between samples: a month stays small


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def load_json(r, args, env=None, what=""):
    out = lib.report(*args, "--format", "json", timeout=300) if env is None else \
        subprocess.run([lib.build_path("reporter", "perfbus-report"), *map(str, args),
                        "--format", "json"], capture_output=True, text=True, timeout=300,
                       env={**os.environ, **env})
    r.check(out.returncode == 0, f"perfbus-report --format json exits 0 ({what})", out.stderr)
    path = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else None
    if not path:
        pbtest.fail_now(f"no JSON report ({what}): {out.stderr}")
    with open(path) as f:
        return json.load(f)


def summaries(doc):
    host = doc["hosts"][0]
    out = {k: v for k, v in host["summary"].items() if v}
    for p in host["processes"]:
        for k, v in p["summary"].items():
            if v:
                out[f"{p['pid']}.{k}"] = v
    return out


def check_against_exact(r, long, exact, what):
    """count/min/max equal, mean within 1e-9, exact percentiles inside the brackets; returns
    the largest |estimate - exact| relative to the metric's range, and to the bracket."""
    worst, worst_bracket = 0.0, 0.0
    r.check(long.keys() == exact.keys(), f"{what}: the same series as the exact report",
            f"{sorted(long.keys() ^ exact.keys())}")
    bad = []
    for k, e in exact.items():
        g = long.get(k)
        if not g:
            continue
        if g["count"] != e["count"] or g["min"] != e["min"] or g["max"] != e["max"]:
            bad.append(f"{k}: count/min/max {g['count']}/{g['min']}/{g['max']} != "
                       f"{e['count']}/{e['min']}/{e['max']}")
        if abs(g["mean"] - e["mean"]) > 1e-9 * max(1.0, abs(e["mean"])):
            bad.append(f"{k}: mean {g['mean']} != {e['mean']}")
        span = (e["max"] - e["min"]) or 1.0
        for p in ("p50", "p95", "p99"):
            lo, hi = g[p + "_lo"], g[p + "_hi"]
            if not (lo <= e[p] <= hi and lo <= g[p] <= hi):
                bad.append(f"{k}: {p} exact {e[p]} / estimate {g[p]} outside [{lo}, {hi}]")
            worst = max(worst, abs(g[p] - e[p]) / span)
            worst_bracket = max(worst_bracket, (hi - lo) / span)
    r.check(not bad, f"{what}: count, min, max, mean exact; percentiles within the brackets",
            "; ".join(bad[:5]))
    return worst, worst_bracket


def check_same(r, a, b, what):
    bad = [k for k in a if k not in b or any(
        abs(a[k][f] - b[k][f]) > 1e-9 * max(1.0, abs(a[k][f])) for f in a[k])]
    r.check(not bad and a.keys() == b.keys(), f"{what}: the same numbers", str(bad[:5]))


def check_documents(r, tmp, store):
    pdf = os.path.join(tmp, "month.pdf")
    out = lib.report("--store", store, "--from", "now-30d", "--format", "pdf,html", "--out", pdf,
                     timeout=300)
    r.check(out.returncode == 0, "--from now-30d: perfbus-report exits 0", out.stderr)
    q = subprocess.run(["qpdf", "--check", pdf], capture_output=True, text=True)
    r.check(q.returncode == 0, "the month's PDF passes qpdf --check", q.stdout[-400:] + q.stderr)
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True,
                          text=True).stdout
    r.check("3600 s buckets" in text, "the PDF's cover says it was made from 1 h buckets",
            text[:800])
    r.check("CPU user" in text and "Top processes" in text, "the PDF holds the summary and "
            "the process table", text[:800])
    html = os.path.join(tmp, "month.html")
    with open(html, encoding="utf-8") as f:
        page = f.read()
    tags = Tags()
    tags.feed(page)
    r.check("svg" in tags.tags and "table" in tags.tags and "3600 s buckets" in page,
            "the month's HTML has charts, tables and the resolution", page[:400])


def write_month(store):
    """Two runs of 15 days each, ending now: a month is several runs."""
    start = int(time.time()) - 2 * HALF + 300
    runs = []
    for k in range(2):
        runs.append(lib.synth(store, "--start", f"@{start + k * HALF}", "--samples",
                              HALF // INTERVAL, "--interval", INTERVAL, "--procs", 3,
                              "--spike-at", 3000))
    return runs


def main():
    r = pbtest.Results("report.long")
    for tool in ("qpdf", "pdftotext"):
        lib.need_tool(tool)
    tmp = lib.tempdir("pbrep-long-")
    try:
        store = os.path.join(tmp, "store")
        runs = write_month(store)
        check_documents(r, tmp, store)
        for window, width in (("now-30d", 3600), ("now-7d", 60)):
            args = ["--store", store, "--from", window, "--out", os.path.join(tmp, "m.json")]
            long = load_json(r, args, what=window)
            r.check(all(v.get("bucket_s") == width for v in summaries(long).values()),
                    f"--from {window}: summaries from {width} s buckets")
            exact = load_json(r, args, {"PERFBUS_REPORT_RESOLUTION": "raw"}, f"{window}, raw")
            worst, bracket = check_against_exact(r, summaries(long), summaries(exact), window)
            print(f"report.long: {window}: largest percentile error {worst:.4%} of the range, "
                  f"largest bracket {bracket:.4%}")
            bare = os.path.join(tmp, "bare")
            shutil.copytree(store, bare)
            for p in glob.glob(os.path.join(bare, "*", "*.pbr")):
                os.unlink(p)
            args[1] = bare
            check_same(r, summaries(long), summaries(load_json(r, args, what="no rollups")),
                       f"--from {window} without rollups (every segment raw)")
            shutil.rmtree(bare)
        # retention by age removes a run's oldest sealed segments with their rollups
        first = sorted(glob.glob(os.path.join(runs[0], "segment-*.pbz")))[:48]
        for p in first:
            os.unlink(p)
            os.unlink(p[:-4] + ".pbr")
        after = load_json(r, ["--store", store, "--from", "now-30d", "--out",
                              os.path.join(tmp, "kept.json")], what="after retention")
        before = load_json(r, ["--store", store, "--from", "now-40d", "--out",
                               os.path.join(tmp, "all.json")], what="after retention, 40 d")
        r.check(after["info"]["first_ns"] >= before["info"]["first_ns"] and
                after["info"]["first_ns"] - (int(time.time()) - 2 * HALF) * 10**9 > DAY * 10**9,
                "after retention the report starts two days later", str(after["info"]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return r.finish()


if __name__ == "__main__":
    sys.exit(main())
