#!/usr/bin/env python3
"""perfbus-report scheduled mode: one report per period named after it, empty periods
skipped with a log line, --keep, the long-running loop, and the systemd unit pair."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pbtest  # noqa: E402
import test_report_lib as lib  # noqa: E402


def backfill(r, tmp):
    store = os.path.join(tmp, "store")
    for hour in (0, 1, 3):
        lib.synth(store, "--start", f"2026-01-01T0{hour}:00:00Z", "--samples", 900, "--procs", 2)
    out_dir = os.path.join(tmp, "reports")
    args = ["--store", store, "--every", "1h", "--window", "1h", "--keep", 2, "--format",
            "pdf,html", "--out-dir", out_dir, "--since", "2026-01-01T00:00:00Z", "--until",
            "2026-01-01T05:00:00Z"]
    out = lib.report(*args)
    r.check(out.returncode == 0, "backfill exits 0", out.stderr)
    names = sorted(os.listdir(out_dir))
    want = [f"perfbus-20260101T0{h}0000Z-20260101T0{h + 1}0000Z.{ext}"
            for h in (1, 3) for ext in ("html", "pdf")]
    r.check(names == sorted(want), "the two newest periods are kept, named by period",
            str(names))
    skipped = re.findall(r"skipping period: .*(\d\d:00:00 UTC to .*) holds no frames",
                         out.stderr)
    r.check(len(skipped) == 2, "empty hours 2 and 4 are skipped with a log line", out.stderr)
    r.check("removed" in out.stderr and "--keep 2" in out.stderr, "--keep is logged")
    q = subprocess.run(["qpdf", "--check", os.path.join(out_dir, want[1])], capture_output=True)
    r.check(q.returncode == 0, "scheduled PDF is valid")
    again = lib.report(*args)
    r.check(again.returncode == 0 and "wrote" not in again.stderr,
            "a second pass renders nothing again (done or beyond --keep)", again.stderr)


def loop(r, tmp):
    store = os.path.join(tmp, "live")
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 40))
    lib.synth(store, "--start", start, "--samples", 40, "--procs", 1)
    out_dir = os.path.join(tmp, "live-reports")
    proc = subprocess.Popen([lib.build_path("reporter", "perfbus-report"), "--store", store,
                             "--every", "5s", "--window", "60s", "--format", "json",
                             "--out-dir", out_dir], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        found = []
        while time.monotonic() < deadline and not found:
            time.sleep(0.2)
            found = os.listdir(out_dir) if os.path.isdir(out_dir) else []
        r.check(bool(found) and found[0].endswith(".json"), "the loop renders the last period",
                str(found))
        r.check(proc.poll() is None, "and keeps running")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            status = proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = None
    r.check(status == 0, "SIGTERM stops it cleanly", str(status))


def units(r, tmp):
    analyze = lib.need_tool("systemd-analyze")
    src = os.path.join(os.environ.get("PB_SOURCE", "."), "systemd")
    unit_dir = os.path.join(tmp, "units")
    os.makedirs(unit_dir)
    binary = lib.build_path("reporter", "perfbus-report")
    for name, source in (("perfbus-report.service", "perfbus-report.service.in"),
                         ("perfbus-report.timer", "perfbus-report.timer")):
        with open(os.path.join(src, source)) as f:
            text = f.read().replace("@PB_BINDIR@/perfbus-report", binary)
        with open(os.path.join(unit_dir, name), "w") as f:
            f.write(text)
    r.check("--once" in open(os.path.join(src, "perfbus-report.service.in")).read(),
            "the service renders one period and exits")
    # --man=no: Documentation= names man pages not installed here (install.prefix checks them)
    out = subprocess.run([analyze, "verify", "--man=no", os.path.join(unit_dir, "perfbus-report.service"),
                          os.path.join(unit_dir, "perfbus-report.timer")],
                         capture_output=True, text=True)
    r.check(out.returncode == 0, "systemd-analyze verify accepts the units", out.stderr)


def main():
    r = pbtest.Results("report.schedule")
    lib.need_tool("qpdf")
    tmp = lib.tempdir("pbrep-sched-")
    try:
        backfill(r, tmp)
        loop(r, tmp)
        units(r, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r.finish()


if __name__ == "__main__":
    main()
