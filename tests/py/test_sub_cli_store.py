#!/usr/bin/python3
"""subscriber.cli_store: `perfbus history|summary|processes|stats|runs|dump|replay`.

Records ~2 s of perfbusd, then checks the CLI against the query socket and
the Python reader: --json output equals the op's reply, exit codes follow
pb_cli.h, `dump --json` gives exactly the records read_run.py reads (also on
a damaged copy: truncated tail, flipped byte, empty segment — both readers
skip and report the same damage), and `replay` onto a second perfbus-sub
reproduces the run: same frames, no loss, same summary.
"""

import json
import os
import shutil
import struct
import subprocess
import time
import zlib

import pbsub
import pbtest
import read_run


def cli(*args, timeout=30):
    p = subprocess.run([pbsub.build_path("cli", "perfbus"), *map(str, args)],
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def check_query_cli(r, bench):
    ep = ("--endpoint", bench.query)
    for op, args in (("summary", ()), ("history", ("--last", "1")), ("processes", ()),
                     ("stats", ()), ("summary", ("--pid", os.getpid()))):
        rc, out, err = cli(op, *ep, "--json", *args)
        ok = r.check(rc == 0, f"perfbus {op} {' '.join(map(str, args))} exits 0", err)
        if ok:
            reply = json.loads(out)
            r.check(reply.get("ok") is True, f"perfbus {op} --json prints the reply", out[:200])
        rc, out, err = cli(op, *ep, *args)
        r.check(rc == 0 and len(out.splitlines()) >= 2, f"perfbus {op} prints a table",
                f"rc {rc} {err}")
    rc, out, _ = cli("summary", *ep, "--json", "--field", "uptime_s")
    s = json.loads(out) if rc == 0 else {}
    r.check(list(s.get("summary", {})) == ["uptime_s"], "perfbus summary --field", out[:200])
    rc, _, err = cli("summary", *ep, "--pid", 999999)
    r.check(rc == 1 and "not_found" in err, "unknown pid: exit 1 with not_found", err)
    rc, _, err = cli("summary", *ep, "--last", "0")
    r.check(rc == 2, "bad --last: exit 2", err)
    rc, _, err = cli("stats", "--endpoint", f"ipc://{bench.dir}/nobody", "--timeout", "300")
    r.check(rc == 3, "no subscriber: exit 3", err)


def dump_records(run_dir):
    rc, out, err = cli("dump", run_dir, "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    return rc, lines, err


def same_records(lines, records):
    if len(lines) != len(records):
        return f"{len(lines)} dumped vs {len(records)} read"
    for line, (ts, topic, payload) in zip(lines, records):
        if line["recv_ts"] != ts or line["topic"] != topic or line["frame"] != \
                pbtest.unpack(payload):
            return f"record differs at recv_ts {ts}"
    return ""


def check_dump(r, run_dir, records):
    rc, lines, err = dump_records(run_dir)
    r.check(rc == 0, "perfbus dump exits 0", err)
    diff = same_records(lines, records)
    r.check(not diff, "dump --json == the Python reader's records", diff)
    rc, out, _ = cli("dump", run_dir, "--topic", "hb.")
    r.check(rc == 0 and out.count(" hb.") == sum(1 for _, t, _ in records if t.startswith("hb.")),
            "dump --topic filters", out[:200])


def v1_segment(path, records, cut):
    """A format-1 segment of records (STORAGE.md), its last cut bytes torn off."""
    out = bytearray(b"PBSEGMNT" + struct.pack("<II", 1, 0))
    for ts, topic, payload in records:
        body = struct.pack("<QH", ts, len(topic)) + topic.encode() + payload
        out += struct.pack("<II", len(body), zlib.crc32(body)) + body
    with open(path, "wb") as f:
        f.write(out[:len(out) - cut])


def damage(run_dir, dest):
    """The sealed segment gets a flipped byte in its compressed block and loses its trailer;
    an empty segment (bad header) and a format-1 segment with a torn tail follow it."""
    shutil.copytree(run_dir, dest)
    seg = os.path.join(dest, "segment-000001.pbz")
    size = os.path.getsize(seg)
    with open(seg, "r+b") as f:
        f.seek(size // 2)
        b = f.read(1)
        f.seek(size // 2)
        f.write(bytes([b[0] ^ 0x55]))
        f.truncate(size - 7)
    open(os.path.join(dest, "segment-000002.pbl"), "wb").close()
    _, records, _ = read_run.read_run(run_dir)
    v1_segment(os.path.join(dest, "segment-000003.pbl"), records[:4], 5)


def check_rollups(r, run_dir, records):
    """The sealed segment's rollups agree exactly with its sys frames (min, max, count, last;
    sum to rounding), bucket by bucket, for every numeric leaf Python finds."""
    roll, spans, marks = read_run.read_rollup(os.path.join(run_dir, "segment-000001.pbr"),
                                              with_marks=True)
    want, recv, seqs, hbs = {}, {}, {}, {}
    for recv_ts, topic, payload in records:
        frame = pbtest.unpack(payload)
        if frame["type"] == "hb":
            hbs.setdefault(frame["host"], []).append((recv_ts, payload))
        s = seqs.setdefault(frame["src"], [frame["host"], frame["seq"], frame["seq"], 0])
        s[3] += frame["seq"] - s[2] - 1 if frame["seq"] > s[2] + 1 else 0
        s[2] = frame["seq"]
        if frame["type"] in ("sys", "proc"):
            start = frame["ts"] // 10**9 // 60 * 60
            span = recv.setdefault(frame["host"], {}).setdefault(start, [recv_ts, recv_ts])
            span[0], span[1] = min(span[0], recv_ts), max(span[1], recv_ts)
        if frame["type"] != "sys":
            continue
        for path, value in pbsub.leaves(frame, exact=True).items():
            key = (frame["host"], "sys", 0, path)
            if key not in roll:
                continue
            start = frame["ts"] // 10**9 // 60 * 60
            b = want.setdefault(key, {}).setdefault(start, [value, value, 0.0, 0, value])
            b[0], b[1] = min(b[0], value), max(b[1], value)
            b[2] += value
            b[3] += 1
            b[4] = value
    bad = []
    for key, buckets in want.items():
        got = {start: (mn, mx, sm, n, last) for start, mn, mx, sm, n, last in roll[key]["fine"]}
        for start, (mn, mx, sm, n, last) in buckets.items():
            g = got.get(start)
            if not g or g[0] != mn or g[1] != mx or g[3] != n or g[4] != last or \
                    abs(g[2] - sm) > 1e-9 * max(1.0, abs(sm)):
                bad.append(f"{key} @{start}: {g} vs {(mn, mx, sm, n, last)}")
    r.check(len(want) > 10 and not bad, "rollups == the sys frames, bucket by bucket",
            f"{len(want)} series; " + "; ".join(bad[:3]))
    got = {host: {start: [lo, hi] for start, lo, hi in s} for host, s in (spans or {}).items()}
    r.check(recv and got == recv, "receive spans == the frames' recv_ts, minute by minute",
            f"{sum(map(len, got.values()))} spans vs {sum(map(len, recv.values()))}")
    kept = sorted(h[0] for h in hbs.values()) + sorted(h[-1] for h in hbs.values() if len(h) > 1)
    r.check(marks and {k: tuple(v) for k, v in seqs.items()} == marks["seq"] and
            sorted(marks["kept"]) == sorted(kept),
            "marks: each src's seq span and lost frames, each host's first and last hb",
            f"{marks and marks['seq']} vs {seqs}")
    first = min(t for t, _, _ in records)
    last = max(t for t, _, _ in records)
    r.check(marks and all(len(st) >= 1 for st in marks["stretches"].values()) and
            min(st[0][0] for st in marks["stretches"].values()) == first and
            max(st[-1][1] for st in marks["stretches"].values()) == last,
            "marks: the hosts' stretches span the segment", str(marks and marks["stretches"]))


def check_format_1(r):
    """The checked-in run of format 1 (tests/data/run-v1) dumps as the Python reader reads it."""
    fixtures = os.path.join(pbtest.SOURCE, "tests", "data", "run-v1")
    run = os.path.join(fixtures, sorted(os.listdir(fixtures))[0])
    meta, records, problems = read_run.read_run(run)
    rc, lines, err = dump_records(run)
    diff = same_records(lines, records)
    r.check(rc == 0 and not diff and not problems and meta.get("format") == 1 and
            len(records) == 240, "a format-1 run dumps whole", diff or err)


def check_damaged(r, run_dir, tmp):
    dest = os.path.join(tmp, "damaged")
    damage(run_dir, dest)
    _, records, problems = read_run.read_run(dest)
    rc, lines, err = dump_records(dest)
    r.check(rc == 0, "dump of a damaged run exits 0", err)
    diff = same_records(lines, records)
    r.check(not diff and len(records) == 3, "C and Python readers agree on a damaged run",
            diff or f"{len(records)} records")
    kinds = ("damaged compressed block", "time index", "torn", "bad header")
    r.check(all(any(k in p for p in problems) for k in kinds),
            "the Python reader reports the damaged block, index, torn tail and bad header",
            str(problems))
    r.check(all(k.replace("bad header", "bad or missing header") in err for k in kinds),
            "perfbus dump reports the damaged block, index, torn tail and bad header", err)


def check_replay(r, bench, run_dir, records):
    replay_ep = f"ipc://{bench.dir}/replay"
    second = pbsub.Proc([pbsub.build_path("subscriber", "perfbus-sub"), "--connect", replay_ep,
                         "--query", f"ipc://{bench.dir}/q2"], pbsub.SUB_READY)
    bench.procs.append(second)
    rc, _, err = cli("replay", os.path.basename(run_dir), "--store", bench.store, "--bind",
                     replay_ep, "--speed", "0", "--wait-ms", "1000")
    r.check(rc == 0 and f"{len(records)} records published" in err, "replay publishes the run",
            f"rc {rc}: {err}")
    bench.query, saved = f"ipc://{bench.dir}/q2", bench.query
    stats = bench.wait_for(lambda s: s.get("frames", 0) >= len(records), timeout=10)
    r.check(stats.get("frames") == len(records) and stats.get("lost") == 0,
            "the replayed run arrives whole, no loss", str(stats)[:300])
    summary = bench.request({"op": "summary"}).get("summary", {})
    frames = [pbtest.unpack(p) for _, _, p in records]
    want = pbsub.summaries([f for f in frames if f["type"] == "sys"])
    bad = [k for k in want if any(not pbsub.close_enough(v, summary.get(k, {}).get(s, -1))
                                  for s, v in want[k].items())]
    r.check(not bad and set(want) == set(summary), "summary after replay == summary of the run",
            str(bad[:5]))
    bench.query = saved
    r.check(second.stop() == 0, "second perfbus-sub exits 0", second.stderr())
    rc, _, err = cli("replay", "no-such-run", "--store", bench.store, "--bind", replay_ep)
    r.check(rc == 1 and "no run" in err, "replay of a missing run: exit 1", err)
    rc, _, err = cli("replay", os.path.basename(run_dir), "--store", bench.store)
    r.check(rc == 2, "replay without --bind: exit 2", err)


def check_replay_stopped(r, bench, run_dir):
    """SIGTERM while replay waits for subscribers: no record read, exit 0. Its
    status came from an uninitialised variable; memcheck sees that use."""
    if not shutil.which("valgrind"):
        r.fatal("valgrind is not installed (scripts/deps.sh installs it)")
    memcheck = ["valgrind", "-q", "--error-exitcode=97"]
    if pbtest.sanitized_build():
        memcheck = []
        print("note: AddressSanitizer build, valgrind cannot run it: exit status only")
    replay = pbtest.Proc([*memcheck, pbsub.build_path("cli", "perfbus"), "replay",
                          os.path.basename(run_dir), "--store", bench.store, "--bind",
                          f"ipc://{bench.dir}/replay-stopped", "--wait-ms", "60000"],
                         "perfbus replay: ready", timeout=60)
    rc = replay.stop(timeout=30)
    r.check(rc == 0 and any("0 records published" in line for line in replay.log),
            "replay stopped during its wait: exit 0, 0 records, memcheck clean",
            f"rc {rc}: {replay.stderr()}")


def check_retention(r, bench, old_run):
    """A recorder started with --keep-gb below the store's size removes older runs."""
    sub = bench.sub("--record", "--keep-gb", "0.000001")  # ~1 KiB
    rc, out, err = cli("runs", "--store", bench.store, "--json")
    ids = [run["run_id"] for run in json.loads(out)] if rc == 0 else []
    r.check(os.path.basename(old_run) not in ids and len(ids) == 1,
            "--keep-gb removed the old run and kept the one being recorded", f"{ids} {err}")
    r.check(any("retention removed 1 run" in line for line in sub.log), "retention is logged",
            sub.stderr())
    r.check(sub.stop() == 0, "recorder with retention exits 0", sub.stderr())


def main():
    r = pbtest.Results("subscriber.cli_store")
    with pbsub.Bench() as bench:
        daemon = bench.daemon(0.1, "--pid", os.getpid())
        sub = bench.sub("--record", "--flush-ms", "200")
        bench.wait_for(lambda s: s.get("frames", 0) >= 20)
        time.sleep(0.5)
        check_query_cli(r, bench)
        r.check(daemon.stop() == 0, "perfbusd exits 0", daemon.stderr())
        time.sleep(0.3)
        r.check(sub.stop() == 0, "perfbus-sub exits 0", sub.stderr())
        run_dir = bench.run_dirs()[0]
        _, records, problems = read_run.read_run(run_dir)
        rc, out, err = cli("runs", "--store", bench.store, "--json")
        runs = json.loads(out) if rc == 0 else []
        r.check(len(runs) == 1 and runs[0].get("records") == len(records) and
                runs[0].get("complete") is True, "perfbus runs lists the run", out[:300] + err)
        rc, out, _ = cli("runs", "--store", bench.store)
        r.check(rc == 0 and os.path.basename(run_dir) in out, "perfbus runs table", out)
        check_dump(r, run_dir, records)
        check_damaged(r, run_dir, bench.dir)
        check_format_1(r)
        check_rollups(r, run_dir, records)
        check_replay(r, bench, run_dir, records)
        check_replay_stopped(r, bench, run_dir)
        check_retention(r, bench, run_dir)
    r.finish()


if __name__ == "__main__":
    main()
