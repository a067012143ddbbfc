#!/usr/bin/python3
"""subscriber.kill9: kill -9 of a recording perfbus-sub loses at most one flush interval.

perfbusd publishes every 50 ms (sys + one watched process + heartbeats); the
recorder flushes every 500 ms. A Python subscriber receives the same frames.
After ~3 s the recorder is killed with SIGKILL. Reading the run must succeed
(a torn last record is skipped and reported), and every frame the recorder
missed must be one that arrived within the last flush interval before the kill.
"""

import os
import signal
import time

import pbsub
import pbtest
import read_run

FLUSH_MS = 500


def main():
    r = pbtest.Results("subscriber.kill9")
    with pbsub.Bench() as bench:
        daemon = bench.daemon(0.05, "--pid", os.getpid())
        raw = bench.ctx.socket(pbtest.zmq.SUB)
        raw.setsockopt(pbtest.zmq.RCVHWM, 0)
        raw.setsockopt_string(pbtest.zmq.SUBSCRIBE, "")
        raw.connect(bench.pub)
        sub = bench.sub("--record", "--flush-ms", FLUSH_MS)
        bench.wait_for(lambda s: s.get("frames", 0) > 0)
        seen = []  # (local receive time, topic, payload)
        end = time.monotonic() + 3.0
        while time.monotonic() < end:
            if raw.poll(20):
                t, p = raw.recv_multipart()
                seen.append((time.monotonic(), t, p))
        t_kill = time.monotonic()
        os.kill(sub.proc.pid, signal.SIGKILL)
        sub.proc.wait()
        while raw.poll(50):  # what was queued before the kill
            t, p = raw.recv_multipart()
            seen.append((time.monotonic(), t, p))
        raw.close()
        r.check(daemon.stop() == 0, "perfbusd exits 0", daemon.stderr())

        runs = bench.run_dirs()
        if not r.check(len(runs) == 1, "one run directory", str(runs)):
            r.finish()
        meta, records, problems = read_run.read_run(runs[0])
        print(f"records {len(records)}, problems {problems}", flush=True)
        r.check(meta.get("complete") is False, "run.meta is not complete after kill -9",
                str(meta)[:200])
        r.check(all("torn" in p for p in problems), "only a torn tail, if anything, is damaged",
                "; ".join(problems))
        r.check(len(records) > 50, "the run holds the flushed frames", f"{len(records)}")
        stored = {p for _, _, p in records}
        first_seq = min(pbtest.unpack(p)["seq"] for _, _, p in records)
        before_kill = [(t, p) for t, _, p in seen
                       if t <= t_kill and pbtest.unpack(p)["seq"] >= first_seq]
        missing = [(t, p) for t, p in before_kill if p not in stored]
        window = FLUSH_MS / 1000.0 + 0.1  # one flush interval plus scheduling slack
        old = [t_kill - t for t, _ in missing if t_kill - t > window]
        per_interval = sum(1 for t, _ in before_kill if t_kill - t <= FLUSH_MS / 1000.0)
        print(f"frames before the kill {len(before_kill)}, not recorded {len(missing)}, "
              f"frames per flush interval {per_interval}", flush=True)
        r.check(not old, "every lost frame arrived within one flush interval of the kill",
                f"{len(old)} older losses, ages {sorted(old)[-3:]} s")
        r.check(len(missing) <= per_interval + 3, "lost at most one flush interval of frames",
                f"{len(missing)} lost, {per_interval} per interval")
        r.check(len(before_kill) - len(missing) > 0, "frames before the kill were kept", "")
    r.finish()


if __name__ == "__main__":
    main()
