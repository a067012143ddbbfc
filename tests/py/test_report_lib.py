"""Helpers shared by the test_report_*.py integration tests (not a test itself).

Runs the real perfbus-synth and perfbus-report binaries of $PB_BUILD, writes
hand-made runs (zero frames, one frame) following schemas/STORAGE.md, and
formats numbers exactly as the reporter's tables do (reporter/pb_chart.c).
A missing tool is a failure, never a skip.
"""

import os
import shutil
import struct
import subprocess
import tempfile
import zlib

import msgpack

import pbtest

JAN1 = 1767225600  # 2026-01-01T00:00:00Z

# The reporter's metric table (reporter/pb_model.c): title, frame path, unit.
METRICS = [
    ("CPU user", "cpu.total.user_pct", "pct"), ("CPU nice", "cpu.total.nice_pct", "pct"),
    ("CPU system", "cpu.total.system_pct", "pct"), ("CPU iowait", "cpu.total.iowait_pct", "pct"),
    ("CPU irq", "cpu.total.irq_pct", "pct"), ("CPU softirq", "cpu.total.softirq_pct", "pct"),
    ("CPU steal", "cpu.total.steal_pct", "pct"), ("CPU busy", "cpu.total.busy_pct", "pct"),
    ("Memory used", "mem.used_bytes", "bytes"), ("Memory cached", "mem.cached_bytes", "bytes"),
    ("Memory free", "mem.free_bytes", "bytes"), ("Swap used", "mem.swap_used_bytes", "bytes"),
    ("Disk read", "disk.total.read_bytes_per_s", "rate"),
    ("Disk write", "disk.total.write_bytes_per_s", "rate"),
    ("Network rx", "net.total.rx_bytes_per_s", "rate"),
    ("Network tx", "net.total.tx_bytes_per_s", "rate"),
]


def fmt(value, unit):
    """pb_chart_format: %.2f with the unit; bytes scaled by 1024 until below 1024."""
    if unit == "pct":
        return f"{value:.2f} %"
    if unit == "plain":
        return f"{value:.2f}"
    names = ["B", "KiB", "MiB", "GiB", "TiB"] if unit == "bytes" else \
        ["B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"]
    k, scale = 0, 1.0
    while k < 4 and abs(value) / scale >= 1024:
        scale *= 1024
        k += 1
    return f"{value / scale:.2f} {names[k]}"


def build_path(*parts):
    build = os.environ.get("PB_BUILD")
    if not build:
        pbtest.fail_now("PB_BUILD is not set (run through ctest, or export PB_BUILD=<build dir>)")
    path = os.path.join(build, *parts)
    if not os.access(path, os.X_OK):
        pbtest.fail_now(f"{path} does not exist or is not executable: build it first")
    return path


def need_tool(name):
    path = shutil.which(name)
    if not path:
        pbtest.fail_now(f"{name} is not installed (scripts/deps.sh installs it)")
    return path


def tempdir(prefix):
    return tempfile.mkdtemp(prefix=prefix)


def synth(store, *flags):
    """Writes a synthetic run into store; returns its directory."""
    out = subprocess.run([build_path("reporter", "perfbus-synth"), "--store", store,
                          *[str(f) for f in flags]], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        pbtest.fail_now(f"perfbus-synth failed: {out.stderr}")
    return out.stdout.strip()


def report(*args, timeout=120):
    """Runs perfbus-report; returns the CompletedProcess (text)."""
    return subprocess.run([build_path("reporter", "perfbus-report"), *[str(a) for a in args]],
                          capture_output=True, text=True, timeout=timeout)


def frame(ftype, seq, ts_s, **fields):
    out = {"v": 1, "type": ftype, "host": "hand", "src": "hand-1", "seq": seq,
           "ts": int(ts_s * 1e9)}
    out.update(fields)
    return out


def write_run(store, name, frames):
    """A run directory as STORAGE.md describes it, holding the given frames."""
    run = os.path.join(store, name)
    os.makedirs(run)
    meta = {"format": 1, "run_id": name, "hosts": ["hand"], "start_ns": JAN1 * 10**9,
            "end_ns": JAN1 * 10**9, "complete": True, "segments": 1, "records": len(frames)}
    with open(os.path.join(run, "run.meta"), "wb") as f:
        f.write(msgpack.packb(meta))
    with open(os.path.join(run, "segment-000001.pbl"), "wb") as f:
        f.write(b"PBSEGMNT" + struct.pack("<II", 1, 0))
        for fr in frames:
            topic = f"{fr['type']}.hand".encode()
            payload = fr if isinstance(fr, bytes) else msgpack.packb(fr)
            body = struct.pack("<QH", fr["ts"], len(topic)) + topic + payload
            f.write(struct.pack("<II", len(body), zlib.crc32(body)) + body)
    return run
