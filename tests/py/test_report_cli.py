#!/usr/bin/env python3
"""perfbus-report CLI: bad runs (zero frames, one frame, truncated, missing directory,
corrupt payload) give a clear message and never an empty or half-written file; CSV and
JSON exports hold what the run holds; --from/--to/--pid/--host select."""

import csv
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbsub  # noqa: E402
import pbtest  # noqa: E402
import read_run  # noqa: E402
import test_report_lib as lib  # noqa: E402


def refused(r, what, out, message, path):
    r.check(out.returncode == 1, f"{what}: exit status 1", f"{out.returncode} {out.stderr}")
    r.check(message in out.stderr, f"{what}: says {message!r}", out.stderr.strip())
    r.check("Segmentation" not in out.stderr and out.returncode >= 0, f"{what}: no crash")
    with open(path) as f:
        r.check(f.read() == "OLD", f"{what}: the existing output file is untouched")
    leftovers = [n for n in os.listdir(os.path.dirname(path)) if ".tmp-" in n]
    r.check(not leftovers, f"{what}: no temporary file is left", str(leftovers))


def bad_runs(r, tmp):
    store = os.path.join(tmp, "hand")
    out_path = os.path.join(tmp, "keep.pdf")
    with open(out_path, "w") as f:
        f.write("OLD")
    empty = lib.write_run(store, "empty", [])
    refused(r, "zero frames", lib.report(empty, "--out", out_path), "holds no frames", out_path)
    one = lib.write_run(store, "one", [lib.frame("sys", 0, lib.JAN1, first=True)])
    refused(r, "one frame", lib.report(one, "--out", out_path),
            "holds 1 frame(s) and 1 sample(s)", out_path)
    refused(r, "missing directory", lib.report(os.path.join(tmp, "nope", "run"), "--out",
                                                out_path), "no such run directory", out_path)
    refused(r, "missing store", lib.report("--store", os.path.join(tmp, "nostore"), "--out",
                                           out_path), "no such store directory", out_path)
    refused(r, "empty window", lib.report(empty, "--out", out_path, "--host", "x"),
            "holds no frames", out_path)
    out = lib.report(empty, "--format", "pdf,docx")
    r.check(out.returncode == 2 and "unknown format 'docx'" in out.stderr, "bad --format: usage")
    out = lib.report("--from", "yesterday", empty)
    r.check(out.returncode == 2 and "bad --from 'yesterday'" in out.stderr, "bad --from: usage")


def damaged_runs(r, tmp):
    run = lib.synth(os.path.join(tmp, "store"), "--samples", 120, "--procs", 2, "--format", 1)
    seg = os.path.join(run, "segment-000001.pbl")  # the open segment's format, torn by a crash
    os.truncate(seg, os.path.getsize(seg) - 9)
    pdf = os.path.join(tmp, "torn.pdf")
    out = lib.report(run, "--out", pdf)
    r.check(out.returncode == 0, "truncated run: the intact part is reported", out.stderr)
    r.check("torn" in out.stderr and "damaged" in out.stderr, "truncated run: says so",
            out.stderr.strip())
    q = subprocess.run(["qpdf", "--check", pdf], capture_output=True)
    r.check(q.returncode == 0, "truncated run: the PDF is valid")
    good = [lib.frame("sys", i, lib.JAN1 + i, interval_s=1.0, mem={"used_bytes": 1000 + i})
            for i in range(5)]
    store = os.path.join(tmp, "hand2")
    bad = lib.write_run(store, "bad", good)
    with open(os.path.join(bad, "segment-000001.pbl"), "ab") as f:
        body = struct.pack("<QH", good[-1]["ts"], 8) + b"sys.hand" + b"\xc1\xc1 not msgpack"
        f.write(struct.pack("<II", len(body), zlib.crc32(body)) + body)
    out = lib.report(bad, "--format", "csv", "--out", os.path.join(tmp, "bad.csv"))
    r.check(out.returncode == 0, "an undecodable payload is skipped", out.stderr)
    r.check("skipped" in out.stderr, "and named in a warning", out.stderr.strip())


def exports(r, tmp):
    run = lib.synth(os.path.join(tmp, "store2"), "--samples", 300, "--procs", 4)
    base = os.path.join(tmp, "exp.csv")
    out = lib.report(run, "--format", "csv,json", "--out", base)
    r.check(out.returncode == 0, "csv,json export", out.stderr)
    r.check(out.stdout.split() == [base, base[:-3] + "json"], "one file per format",
            out.stdout)
    with open(base, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    r.check(len(rows) == 1 + 300 + 4 * 300, "CSV: one row per sample", str(len(rows)))
    r.check("mem.used_bytes [bytes]" in header and "cpu.total.user_pct [%]" in header and
            "net.total.rx_bytes_per_s [bytes/s]" in header, "CSV header names units")
    col = header.index("cpu.total.user_pct [%]")
    r.check(rows[1][col] == "" and rows[2][col] != "", "CSV: absent first rate is empty")
    with open(base[:-3] + "json") as f:
        doc = json.load(f)
    r.check(doc["info"]["frames"] == 300 * 6, "JSON: frame count", str(doc["info"]))
    host = doc["hosts"][0]
    _, records, _ = read_run.read_run(run)
    sys_frames = [pbtest.unpack(p) for _, t, p in records if t.startswith("sys.")]
    want = pbsub.summaries(sys_frames, exact=True)
    for _, key, _ in lib.METRICS:
        got = host["summary"][key]
        r.check(all(pbsub.close_enough(got[k], want[key][k]) for k in want[key]),
                f"JSON summary of {key} matches an independent computation",
                f"{got} vs {want[key]}")
    r.check(len(host["series"]["ts_ns"]) == 300 and len(host["processes"]) == 4,
            "JSON: series and processes")


def filters(r, tmp):
    run = lib.synth(os.path.join(tmp, "store3"), "--samples", 600, "--procs", 3)
    path = os.path.join(tmp, "f.csv")
    out = lib.report(run, "--format", "csv", "--out", path, "--from", "2026-01-01T00:02:00Z",
                     "--to", "2026-01-01T00:04:59Z", "--pid", 1001)
    r.check(out.returncode == 0, "--from/--to/--pid", out.stderr)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    kinds = [(row[3], row[4]) for row in rows]
    r.check(kinds.count(("sys", "")) == 180, "window keeps 3 minutes of sys rows",
            str(kinds.count(("sys", ""))))
    r.check(set(k for k in kinds if k[0] == "proc") == {("proc", "1001")}, "--pid keeps one")


def format_1_fixture(r, tmp):
    """A run recorded before format 2 (tests/data/run-v1, checked in) still reports."""
    fixtures = os.path.join(pbtest.SOURCE, "tests", "data", "run-v1")
    run = os.path.join(fixtures, sorted(os.listdir(fixtures))[0])
    _, records, problems = read_run.read_run(run)
    csv_out = os.path.join(tmp, "v1.csv")
    out = lib.report(run, "--format", "csv", "--out", csv_out)
    r.check(out.returncode == 0 and not problems, "a format-1 run reports", out.stderr)
    with open(csv_out, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    sys_frames = sum(1 for _, t, _ in records if t.startswith("sys."))
    r.check(sys_frames == 60 and any(len(row) > 1 for row in rows),
            "its CSV holds the run's samples", f"{sys_frames} sys frames, {len(rows)} rows")


def rollup_v1_fixture(r, tmp):
    """A run of the first sealed format, whose rollups are of version 1 (tests/data/
    run-v2-rollup1, checked in: perfbus-synth --samples 600 --procs 2), reports from its
    rollups what its records give."""
    fixtures = os.path.join(pbtest.SOURCE, "tests", "data", "run-v2-rollup1")
    run = os.path.join(fixtures, sorted(os.listdir(fixtures))[0])
    bare = os.path.join(tmp, "rollup1-bare")
    shutil.copytree(run, bare)
    os.remove(os.path.join(bare, "segment-000001.pbr"))
    outs = []
    os.environ["PERFBUS_REPORT_RESOLUTION"] = "60"
    try:
        for name, path in (("rolled", run), ("bare", bare)):
            out = lib.report(path, "-v", "--format", "csv", "--out",
                             os.path.join(tmp, name + ".csv"))
            with open(os.path.join(tmp, name + ".csv"), encoding="utf-8") as f:
                outs.append((out, f.read()))
    finally:
        del os.environ["PERFBUS_REPORT_RESOLUTION"]
    (rolled, rolled_csv), (bare_out, bare_csv) = outs
    r.check(rolled.returncode == 0 and "1 sealed segment(s)" in rolled.stderr,
            "a version-1 rollup is read", rolled.stderr.strip()[-300:])
    r.check(bare_out.returncode == 0 and rolled_csv == bare_csv and rolled_csv.count("\n") > 20,
            "its buckets are what the records give", f"{len(rolled_csv)} vs {len(bare_csv)} bytes")


def sealed_damage(r, tmp):
    """A flipped byte in a sealed segment's compressed block: named, the rest reported."""
    run = lib.synth(os.path.join(tmp, "sealed"), "--samples", 7200, "--procs", 20,
                    "--segment-seconds", 3600)
    seg = os.path.join(run, "segment-000001.pbz")
    with open(seg, "r+b") as f:
        f.seek(200)
        b = f.read(1)
        f.seek(200)
        f.write(bytes([b[0] ^ 0xff]))
    out = lib.report(run, "--format", "csv", "--out", os.path.join(tmp, "sealed.csv"))
    r.check(out.returncode == 0, "a damaged sealed run: the rest is reported", out.stderr)
    r.check("segment-000001.pbz: offset 16:" in out.stderr and "damaged compressed block"
            in out.stderr, "the damaged block is named by segment and offset",
            out.stderr.strip()[:400])


def main():
    r = pbtest.Results("report.cli")
    lib.need_tool("qpdf")
    tmp = lib.tempdir("pbrep-cli-")
    try:
        bad_runs(r, tmp)
        damaged_runs(r, tmp)
        rollup_v1_fixture(r, tmp)
        exports(r, tmp)
        filters(r, tmp)
        format_1_fixture(r, tmp)
        sealed_damage(r, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r.finish()


if __name__ == "__main__":
    main()
