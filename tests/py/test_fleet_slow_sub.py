#!/usr/bin/python3
"""fleet.slow_sub: a subscriber that stops reading is dropped at the HWM; nobody else notices.

perfbusd samples every process every 50 ms (--all, thousands of frames a second) with
--sndhwm 2000. Three subscribers: a normal perfbus-sub, a Python SUB that reads everything
(the witness of perfbusd's timing), and a recording perfbus-sub with --rcvhwm 100 that is
stopped with SIGSTOP for 4 s, then continued. Then:
- the normal perfbus-sub lost nothing (stats lost 0, every publisher lost 0);
- perfbusd kept its pace: the witness saw as many sys frames per second while the slow one
  was stopped as before (at least 80 %), with no seq gap of its own;
- the slow one lost frames (stats lost > 0), and its lost count is exactly the sum of the seq
  gaps in the frames it recorded.
"""

import os
import signal
import time

import msgpack

import pbsub
import pbtest
import read_run
import zmq

INTERVAL = 0.05
STALL_S = 4.0
# Room for 1 s of frames: the HWM also absorbs perfbusd's own I/O thread falling behind on a
# loaded machine, for every subscriber at once (with 200, all three lost the same 343 frames).
SNDHWM = 2000


def sub_at(bench, tag, *flags):
    argv = [pbsub.build_path("subscriber", "perfbus-sub"), "--connect", bench.pub, "--query",
            f"ipc://{bench.dir}/q-{tag}", "--store", os.path.join(bench.dir, f"store-{tag}"),
            *[str(f) for f in flags]]
    p = pbsub.Proc(argv, pbsub.SUB_READY)
    bench.procs.append(p)
    return p


def ask(bench, tag, op="stats"):
    sock = bench.ctx.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.connect(f"ipc://{bench.dir}/q-{tag}")
    try:
        sock.send(msgpack.packb({"op": op}))
        if not sock.poll(10000):
            raise RuntimeError(f"perfbus-sub {tag}: no reply to {op} within 10 s")
        return pbtest.unpack(sock.recv())
    finally:
        sock.close()


def wait_stats(bench, tag, predicate, timeout=20.0):
    end = time.monotonic() + timeout
    s = ask(bench, tag)
    while not predicate(s) and time.monotonic() < end:
        time.sleep(0.1)
        s = ask(bench, tag)
    return s


def read_for(sock, seconds, seen):
    """Receives for `seconds`; appends (ts_s, type, src, seq) of every frame."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if sock.poll(int(left * 1000) + 1):
            _, payload = sock.recv_multipart()
            f = pbtest.unpack(payload)
            seen.append((f["ts"] / 1e9, f["type"], f["src"], f["seq"]))


def seq_gaps(frames):
    """Frames missing by seq per src, as pb_sources counts them (first frame starts a src)."""
    last, lost = {}, 0
    for src, seq in frames:
        if src in last and seq > last[src] + 1:
            lost += seq - last[src] - 1
        last[src] = max(seq, last.get(src, seq))
    return lost


def sys_rate(seen, t0, t1):
    n = sum(1 for ts, kind, _, _ in seen if kind == "sys" and t0 <= ts < t1)
    return n / (t1 - t0)


def main():
    r = pbtest.Results("fleet.slow_sub")
    with pbsub.Bench() as bench:
        daemon = bench.daemon(INTERVAL, "--all", "--sndhwm", SNDHWM, "--heartbeat", 0.5)
        witness = bench.ctx.socket(zmq.SUB)
        witness.setsockopt(zmq.RCVHWM, 0)
        witness.setsockopt_string(zmq.SUBSCRIBE, "")
        witness.connect(bench.pub)
        sub_at(bench, "normal")
        slow = sub_at(bench, "slow", "--rcvhwm", 100, "--record", "--flush-ms", 200)
        for tag in ("normal", "slow"):
            wait_stats(bench, tag, lambda s: s.get("frames", 0) > 500)
        seen = []
        read_for(witness, STALL_S, seen)
        t_stop = time.time()
        os.kill(slow.proc.pid, signal.SIGSTOP)
        try:
            read_for(witness, STALL_S, seen)
        finally:
            t_cont = time.time()
            os.kill(slow.proc.pid, signal.SIGCONT)
        read_for(witness, 1.0, seen)
        before = sys_rate(seen, t_stop - STALL_S + 0.5, t_stop)
        during = sys_rate(seen, t_stop, t_cont)
        print(f"frames seen by the witness {len(seen)}; sys frames per second before "
              f"{before:.1f}, while the slow one was stopped {during:.1f}", flush=True)
        r.check(during >= 0.8 * before, "perfbusd kept its pace while a subscriber was stopped",
                f"{during:.1f}/s vs {before:.1f}/s")
        r.check(seq_gaps((src, seq) for _, _, src, seq in seen) == 0,
                "the reading witness lost nothing")
        r.check(daemon.stop() == 0, "perfbusd exits 0", daemon.stderr())
        witness.close()
        settled = {}
        for tag in ("normal", "slow"):
            prev = -1
            s = ask(bench, tag)
            while s.get("frames") != prev:  # every frame queued has been taken in
                prev = s.get("frames")
                time.sleep(0.3)
                s = ask(bench, tag)
            settled[tag] = s
        normal, slowst = settled["normal"], settled["slow"]
        print(f"normal: frames {normal.get('frames')} lost {normal.get('lost')}; slow: frames "
              f"{slowst.get('frames')} lost {slowst.get('lost')}", flush=True)
        r.check(normal.get("lost") == 0 and
                all(p.get("lost") == 0 for p in normal.get("publishers", [])),
                "the normal perfbus-sub lost nothing", str(normal.get("publishers"))[:300])
        r.check(slowst.get("lost", 0) > 0, "the stopped perfbus-sub lost frames at the HWM",
                str(slowst.get("publishers"))[:300])
        r.check(slowst.get("recorder", {}).get("errors") == 0, "the slow one recorded all")
        r.check(slow.stop() == 0, "the slow perfbus-sub exits 0", slow.stderr())
        runs = [os.path.join(bench.dir, "store-slow", d)
                for d in os.listdir(os.path.join(bench.dir, "store-slow"))]
        r.check(len(runs) == 1, "one run recorded by the slow one", str(runs)) or r.finish()
        _, records, problems = read_run.read_run(runs[0])
        r.check(not problems, "the run reads cleanly", "; ".join(problems))
        frames = [pbtest.unpack(p) for _, _, p in records]
        gaps = seq_gaps((f["src"], f["seq"]) for f in frames)
        r.check(len(frames) == slowst.get("frames"), "the run holds every frame it took in",
                f"{len(frames)} vs {slowst.get('frames')}")
        r.check(gaps == slowst.get("lost"), "its lost count is the seq gaps of what it got",
                f"gaps {gaps}, stats lost {slowst.get('lost')}")
    r.finish()


if __name__ == "__main__":
    main()
