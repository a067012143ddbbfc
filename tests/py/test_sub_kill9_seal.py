#!/usr/bin/python3
"""subscriber.kill9_seal: kill -9 while a closed segment is being sealed loses no sealed data.

The window is made hittable with the sealer's test hook: PERFBUS_TEST_SEAL_STALL=mid stops the
sealer thread for good after the first record of its first block (segment-000001.pbz.tmp is
then half written), =renamed stops it after the rename and before the .pbl is unlinked (both
files exist). The recorder rotates after 5 s of records (--segment-seconds 5), so segment 1 is
closed and handed to the sealer while intake goes on into segment 2; the test waits for the
hook's log line and for a flush of segment 2, then kills perfbus-sub with SIGKILL.

After the kill the run must read with no damage except perhaps a torn tail of the open
segment, hold every frame of segment 1 exactly once (either the old .pbl or the new .pbz is
read, never both, never neither), and every frame received more than one flush interval before
the kill (checked against a Python subscriber of the same bus).

Then a new perfbus-sub recording into the same store seals what the killed one left open
(pb_recover): the killed run ends with only sealed segments and their rollups, no .pbl and no
temp file, and reads the same records as before; a third perfbus-sub started while the second
records leaves the second's open segment alone, and the second goes on recording into it.
"""

import os
import signal
import time

import pbsub
import pbtest
import read_run

FLUSH_MS = 300


def s_wait(predicate, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def s_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def s_scenario(r, point):
    with pbsub.Bench() as bench:
        bench.daemon(0.05, "--pid", os.getpid())
        raw = bench.ctx.socket(pbtest.zmq.SUB)
        raw.setsockopt(pbtest.zmq.RCVHWM, 0)
        raw.setsockopt_string(pbtest.zmq.SUBSCRIBE, "")
        raw.connect(bench.pub)
        os.environ["PERFBUS_TEST_SEAL_STALL"] = point
        try:
            sub = bench.sub("--record", "--flush-ms", FLUSH_MS, "--segment-seconds", 5)
        finally:
            del os.environ["PERFBUS_TEST_SEAL_STALL"]
        seen = []
        stalled = lambda: any("test stall while sealing" in line for line in sub.log)
        end = time.monotonic() + 20
        while time.monotonic() < end and not stalled():
            if raw.poll(20):
                seen.append((time.monotonic(), *raw.recv_multipart()))
        if not r.check(stalled(), f"{point}: the sealer reached the stall point", sub.stderr()):
            return
        run = bench.run_dirs()[0]
        seg2 = os.path.join(run, "segment-000002.pbl")
        base = s_size(seg2)
        end = time.monotonic() + 10  # segment 2 flushed once more: intake went on during the seal
        while time.monotonic() < end and s_size(seg2) <= max(base, 16):
            if raw.poll(20):
                seen.append((time.monotonic(), *raw.recv_multipart()))
        r.check(s_size(seg2) > max(base, 16), f"{point}: intake goes on while sealing",
                f"segment 2 {s_size(seg2)} bytes")
        t_kill = time.monotonic()
        os.kill(sub.proc.pid, signal.SIGKILL)
        sub.proc.wait()
        while raw.poll(50):
            seen.append((time.monotonic(), *raw.recv_multipart()))
        raw.close()
        s_check(r, point, run, seen, t_kill)
        s_recover(r, point, bench, run)


def s_recorder(bench, name):
    argv = [pbtest.build_path("subscriber", "perfbus-sub"), "--connect", bench.pub, "--query",
            f"ipc://{bench.dir}/{name}", "--store", bench.store, "--record", "--flush-ms", FLUSH_MS]
    p = pbtest.Proc(argv, pbsub.SUB_READY)
    bench.procs.append(p)
    return p


def s_recover(r, point, bench, run):
    _, before, _ = read_run.read_run(run)
    second = s_recorder(bench, "q-second")
    names = sorted(os.listdir(run))
    r.check(any("sealed 2 segment(s) that a killed recorder left open" in line
                for line in second.log), f"{point}: the next recorder says it sealed them",
            second.stderr())
    r.check(names == ["run.meta", "segment-000001.pbr", "segment-000001.pbz",
                      "segment-000002.pbr", "segment-000002.pbz"],
            f"{point}: the killed run holds only sealed segments and rollups now", str(names))
    meta, after, problems = read_run.read_run(run)
    r.check(not problems and sorted(p for _, _, p in after) == sorted(p for _, _, p in before),
            f"{point}: the sealed run reads the same {len(before)} records, undamaged",
            f"{len(after)} records; {problems}")
    live = [d for d in bench.run_dirs() if d != run]
    r.check(len(live) == 1, f"{point}: the second recorder has its own run", str(live))
    open_seg = os.path.join(live[0], "segment-000001.pbl")
    if not s_wait(lambda: s_size(open_seg) > 16):
        r.check(False, f"{point}: the second recorder writes its open segment", second.stderr())
        return
    third = s_recorder(bench, "q-third")
    size = s_size(open_seg)
    r.check(os.path.exists(open_seg) and not any("sealed" in line for line in third.log),
            f"{point}: a third recorder leaves the live run's open segment alone", third.stderr())
    r.check(s_wait(lambda: s_size(open_seg) > size),
            f"{point}: the second recorder goes on writing it", second.stderr())
    third.stop()
    second.stop()


def s_check(r, point, run, seen, t_kill):
    names = sorted(os.listdir(run))
    print(f"{point}: {names}", flush=True)
    pbl = "segment-000001.pbl" in names
    pbz = "segment-000001.pbz" in names
    if point == "mid":
        r.check(pbl and not pbz and "segment-000001.pbz.tmp" in names,
                "mid: the old segment and a partial temp file remain", str(names))
    else:
        r.check(pbl and pbz and "segment-000001.pbz.tmp" not in names,
                "renamed: both the old and the sealed segment remain", str(names))
    meta, records, problems = read_run.read_run(run)
    r.check(all("torn" in p and "segment-000002" in p for p in problems),
            f"{point}: no damage but a torn tail of the open segment", "; ".join(problems))
    payloads = [p for _, _, p in records]
    r.check(len(payloads) == len(set(payloads)), f"{point}: every record read once",
            f"{len(payloads) - len(set(payloads))} duplicates")
    seg1 = read_run.read_segment(os.path.join(run, "segment-000001.pbl"), [])
    stored = set(payloads)
    r.check(seg1 and all(p in stored for _, _, p in seg1), f"{point}: segment 1 is read whole",
            f"{len(seg1)} records in segment 1")
    first_seq = min(pbtest.unpack(p)["seq"] for p in payloads)
    before = [(t, p) for t, _, p in seen if t <= t_kill and pbtest.unpack(p)["seq"] >= first_seq]
    window = FLUSH_MS / 1000.0 + 0.1
    old = [t_kill - t for t, p in before if p not in stored and t_kill - t > window]
    r.check(not old, f"{point}: every lost frame arrived within one flush interval of the kill",
            f"{len(old)} older losses of {len(before)}")


def main():
    r = pbtest.Results("subscriber.kill9_seal")
    for point in ("mid", "renamed"):
        s_scenario(r, point)
    r.finish()


if __name__ == "__main__":
    main()
