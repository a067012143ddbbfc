#!/usr/bin/python3
"""subscriber.record_summary: perfbusd at 100 ms + perfbus-sub --record for 5 s.

The subscriber's `summary` (system series and one process) must equal the
summary this script computes from the recorded run, read with read_run.py
(python3-msgpack and schemas/STORAGE.md only). The run must hold every frame
verbatim (byte-identical to what a Python subscriber received), no frame may
be lost, and `history`, `processes`, `stats`, `health` must agree with it.
"""

import os
import time

import pbsub
import pbtest
import read_run


def compare(r, label, ours, theirs):
    r.check(set(ours) == set(theirs), f"{label}: same fields",
            f"only in sub: {sorted(set(theirs) - set(ours))[:5]}, "
            f"only in run: {sorted(set(ours) - set(theirs))[:5]}")
    bad = []
    for field, want in ours.items():
        got = theirs.get(field, {})
        for key, value in want.items():
            if not pbsub.close_enough(value, got.get(key, float("nan"))):
                bad.append(f"{field}.{key}: run {value!r} sub {got.get(key)!r}")
    r.check(not bad, f"{label}: every statistic equals the Python summary of the run",
            "; ".join(bad[:6]) + f" ({len(bad)} differences)")


def main():
    r = pbtest.Results("subscriber.record_summary")
    with pbsub.Bench() as bench:
        daemon = bench.daemon(0.1, "--pid", os.getpid())
        sub = bench.sub("--record", "--flush-ms", "200", "--segment-mb", "0.02")  # ~20 KiB
        raw = bench.ctx.socket(pbtest.zmq.SUB)
        raw.setsockopt(pbtest.zmq.RCVHWM, 0)
        raw.setsockopt_string(pbtest.zmq.SUBSCRIBE, "")
        raw.connect(bench.pub)
        time.sleep(5.0)
        r.check(daemon.stop() == 0, "perfbusd exits 0 on SIGTERM", daemon.stderr())
        time.sleep(0.5)  # the last frames reach the subscriber
        seen = []
        while raw.poll(100):
            seen.append(raw.recv_multipart())
        raw.close()

        summary = bench.request({"op": "summary"})
        proc = bench.request({"op": "summary", "pid": os.getpid()})
        history = bench.request({"op": "history", "fields": ["cpu.total.busy_pct"]})
        processes = bench.request({"op": "processes"})
        stats = bench.request({"op": "stats"})
        health = bench.request({"op": "health"})
        r.check(sub.stop() == 0, "perfbus-sub exits 0 on SIGTERM", sub.stderr())

        runs = bench.run_dirs()
        if not r.check(len(runs) == 1, "one run directory in the store", str(runs)):
            r.finish()
        meta, records, problems = read_run.read_run(runs[0])
        r.check(not problems, "the run reads without damage", "; ".join(problems[:3]))
        r.check(meta.get("complete") is True, "run.meta says complete after SIGTERM", str(meta))
        nseg = len(read_run.segment_names(runs[0]))  # .pbl or .pbz, not the rollups (.pbr)
        r.check(nseg >= 5 and meta.get("segments") == nseg, "segments rotate at --segment-mb",
                f"{nseg} segment files, meta says {meta.get('segments')}")
        r.check(meta.get("records") == len(records), "run.meta counts every record",
                f"{meta.get('records')} vs {len(records)}")
        frames = [pbtest.unpack(p) for _, _, p in records]
        r.check(len(frames) >= 45, "about 50 sys frames + proc + hb frames in 5 s",
                f"{len(frames)} records")

        # verbatim: every recorded (topic, payload) is exactly a message seen on the wire
        wire = {(bytes(t), bytes(p)) for t, p in seen}
        stored = [(t.encode(), p) for _, t, p in records]
        missing = [s for s in stored if s not in wire]
        r.check(not missing, "records are byte-identical to the frames on the wire",
                f"{len(missing)} of {len(stored)} records not seen by a Python subscriber")
        r.check(meta.get("hosts") == [frames[0]["host"]], "run.meta lists the host",
                str(meta.get("hosts")))

        sys_frames = [f for f in frames if f["type"] == "sys"]
        proc_frames = [f for f in frames if f["type"] == "proc" and f.get("pid") == os.getpid()
                       and not f.get("gone")]
        r.check(summary.get("ok") is True, "summary ok", str(summary)[:200])
        compare(r, "system summary", pbsub.summaries(sys_frames), summary.get("summary", {}))
        r.check(proc.get("ok") is True, "summary with pid ok", str(proc)[:200])
        compare(r, "process summary", pbsub.summaries(proc_frames), proc.get("summary", {}))

        r.check(history.get("ts") == [f["ts"] for f in sys_frames],
                "history timestamps are the sys frames' ts", str(history.get("ts"))[:100])
        want = [pbsub.leaves(f).get("cpu.total.busy_pct") for f in sys_frames]
        got = history.get("fields", {}).get("cpu.total.busy_pct")
        r.check(got == want, "history values equal the recorded busy_pct at float precision "
                "(nil when first)",
                f"{str(got)[:80]} vs {str(want)[:80]}")
        r.check(list(history.get("fields", {})) == ["cpu.total.busy_pct"],
                "history honours fields", str(list(history.get("fields", {}))))
        pids = [p.get("pid") for p in processes.get("processes", [])]
        r.check(os.getpid() in pids, "processes lists the watched pid", str(pids))

        r.check(stats.get("frames") == len(records), "stats.frames == recorded records",
                f"{stats.get('frames')} vs {len(records)}")
        r.check(stats.get("lost") == 0, "no frame lost at 100 ms", str(stats.get("lost")))
        r.check(stats.get("decode_errors") == 0 and stats.get("envelope_errors") == 0,
                "no decode errors", str(stats)[:200])
        pubs = stats.get("publishers", [])
        r.check(len(pubs) == 1 and pubs[0].get("frames") == len(records),
                "one publisher with every frame", str(pubs)[:200])
        r.check(health.get("status") == "ok" and health.get("recording") is True,
                "health reports recording", str(health)[:200])
    r.finish()


if __name__ == "__main__":
    main()
