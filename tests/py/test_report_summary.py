#!/usr/bin/env python3
"""The PDF's summary table holds the numbers perfbus-sub's `summary` op returns for the
same run: the run is replayed onto a PUB socket that a real perfbus-sub subscribes to,
the op is asked, and every min/max/mean/p50/p95/p99 is looked up in pdftotext's output."""

import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbsub  # noqa: E402
import pbtest  # noqa: E402
import read_run  # noqa: E402
import test_report_lib as lib  # noqa: E402

import zmq  # noqa: E402

SAMPLES, PROCS = 400, 3


def replay(r, bench, records):
    """Publishes the run's records to perfbus-sub; returns when it counted them all."""
    pub = bench.ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.SNDHWM, 0)
    endpoint = f"ipc://{bench.dir}/replay"
    pub.bind(endpoint)
    bench.sub(connect=endpoint)
    hb = next((t, p) for _, t, p in records if t.startswith("hb."))
    warm = bench.wait_for(lambda rep: pub.send_multipart([hb[0].encode(), hb[1]]) or
                          rep.get("frames", 0) > 0, timeout=10)
    base = warm.get("frames", 0)
    if not r.check(base > 0, "perfbus-sub receives the replay", str(warm)):
        return False
    for i, (_, topic, payload) in enumerate(records):
        pub.send_multipart([topic.encode(), payload])
        if i % 200 == 199:
            time.sleep(0.01)
    done = bench.wait_for(lambda rep: rep.get("frames", 0) >= base + len(records), timeout=20)
    return r.check(done.get("frames", 0) >= base + len(records), "every frame arrived",
                   f"{done.get('frames')} of {base + len(records)}")


def table_rows(text):
    """{row title: [cells]} from pdftotext -layout lines of the summary table."""
    rows = {}
    for line in text.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == 8:
            rows[cells[0]] = cells[1:]
    return rows


def main():
    r = pbtest.Results("report.summary")
    lib.need_tool("pdftotext")
    tmp = lib.tempdir("pbrep-sum-")
    try:
        run = lib.synth(os.path.join(tmp, "store"), "--samples", SAMPLES, "--procs", PROCS,
                        "--spike-at", 123)
        _, records, _ = read_run.read_run(run)
        with pbsub.Bench() as bench:
            if not replay(r, bench, records):
                r.finish()
            reply = bench.request({"op": "summary", "host": "synth"})
        r.check(reply.get("ok") is True, "summary op answers", str(reply)[:300])
        summary = reply.get("summary", {})
        pdf = os.path.join(tmp, "r.pdf")
        out = lib.report(run, "--format", "pdf", "--out", pdf)
        r.check(out.returncode == 0, "perfbus-report exits 0", out.stderr)
        text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True,
                              text=True).stdout
        rows = table_rows(text)
        for title, key, unit in lib.METRICS:
            want = summary.get(key)
            if not r.check(want is not None, f"the op summarises {key}"):
                continue
            expect = [str(want["count"])] + [lib.fmt(want[k], unit) for k in
                                              ("min", "max", "mean", "p50", "p95", "p99")]
            got = [c.replace(" ", "") for c in rows.get(title, [])]
            r.check(got == [e.replace(" ", "") for e in expect],
                    f"PDF row '{title}' = summary op", f"pdf {rows.get(title)} op {expect}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r.finish()


if __name__ == "__main__":
    main()
