#!/usr/bin/env python3
"""perfbus-report on a real recording: perfbusd and perfbus-demo (profiled over
request/reply) publish, perfbus-sub records; the report of the store holds the
profiles, and its summary table equals perfbus-sub's `summary` op for that run."""

import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbsub  # noqa: E402
import pbtest  # noqa: E402
import test_report_lib as lib  # noqa: E402
from profdemo import Demo  # noqa: E402
from test_report_summary import table_rows  # noqa: E402


def record(r, bench, demo):
    daemon = bench.daemon(0.2, "--top", "3")
    sub = bench.sub("--record", "--connect", demo.pub, "--flush-ms", "100")
    time.sleep(0.5)
    for target, mode in (("split", "sampling"), ("fib", "tracing")):
        rep = demo.profile(target, mode, runs=1)
        r.check(rep.get("ok") is True, f"{target} profiled ({mode})", str(rep)[:200])
    time.sleep(2.0)
    daemon.stop()
    time.sleep(0.5)  # the last frames reach the subscriber
    reply = bench.request({"op": "summary"})
    r.check(reply.get("ok") is True, "summary op answers", str(reply)[:200])
    r.check(sub.stop() == 0, "perfbus-sub stops cleanly")
    return reply.get("summary", {}), reply.get("host")


def agrees(cell, value, unit):
    """A PDF cell (the reporter: exact values, 2 decimals) against a statistic of perfbus-sub's
    summary. perfbus-sub keeps rates and percentages as 32-bit floats (README: about 7
    significant digits), so its statistic may sit across a rounding edge from the reporter's:
    the cell must then be within half a display unit plus that float error of it."""
    want = lib.fmt(value, unit).replace(" ", "")
    if cell == want:
        return True
    number = re.match(r"-?[0-9.]+", cell)
    suffix = cell[number.end():] if number else None
    if not number or suffix != re.sub(r"^-?[0-9.]+", "", want):
        return False
    scaled = value
    for _ in range(4):  # the 1024 scaling lib.fmt applies to bytes and bytes/s
        if unit in ("pct", "plain") or abs(scaled) < 1024:
            break
        scaled /= 1024
    return abs(float(number.group(0)) - scaled) <= 0.005 + 1e-6 * abs(scaled)


def main():
    r = pbtest.Results("report.live")
    lib.need_tool("qpdf")
    lib.need_tool("pdftotext")
    tmp = lib.tempdir("pbrep-live-")
    try:
        with pbsub.Bench() as bench, Demo() as demo:
            summary, host = record(r, bench, demo)
            pdf = os.path.join(tmp, "report.pdf")
            out = lib.report("--store", bench.store, "--format", "pdf,html", "--out", pdf)
        r.check(out.returncode == 0, "perfbus-report on the store exits 0", out.stderr)
        r.check(out.stdout.split() == [pdf, pdf[:-3] + "html"], "prints both paths", out.stdout)
        q = subprocess.run(["qpdf", "--check", pdf], capture_output=True, text=True)
        r.check(q.returncode == 0, "qpdf --check passes", q.stdout[-300:])
        text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True,
                              text=True).stdout
        flat = re.sub(r"[ \t]+", " ", text)
        r.check(f"Summary - {host}" in flat, "summary of the recorded host", str(host))
        for want in ("split (sampling)", "split_a", "Flame graph", "fib (tracing)", "demo_fib"):
            r.check(want in flat, f"PDF holds {want!r}")
        rows = table_rows(text)
        for title, key, unit in lib.METRICS:
            want = summary.get(key)
            if want is None:
                continue
            stats = ("min", "max", "mean", "p50", "p95", "p99")
            expect = [str(want["count"])] + [lib.fmt(want[k], unit) for k in stats]
            got = [c.replace(" ", "") for c in rows.get(title, [])]
            same = len(got) == len(expect) and got[0] == expect[0] and all(
                agrees(g, want[k], unit) for g, k in zip(got[1:], stats))
            r.check(same, f"PDF row '{title}' = summary op on the live run",
                    f"pdf {rows.get(title)} op {expect}")
        with open(pdf[:-3] + "html", encoding="utf-8") as f:
            html = f.read()
        r.check(html.count("<svg ") >= 7 and "split_a - " in html,
                "HTML has the charts and a hoverable flame graph")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r.finish()


if __name__ == "__main__":
    main()
