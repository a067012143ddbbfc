#!/usr/bin/python3
"""Regenerates the seed corpora of tests/fuzz/corpus/ from real data: frames captured from a
running perfbusd, the request/reply examples of schemas/, segments and run.meta written the
way the recorder writes them, config files, and the /proc fixtures. Usage:
    tests/fuzz/make_corpus.py BUILD_DIR
Seeds are named by content hash, so a rerun adds new ones without duplicating old ones."""
import glob
import hashlib
import json
import os
import struct
import subprocess
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "py"))
os.environ.setdefault("PB_SOURCE", SOURCE)

import msgpack  # noqa: E402

CORPUS = os.path.join(HERE, "corpus")
FIXTURES = os.path.join(SOURCE, "tests", "fixtures")


def put(harness, data):
    folder = os.path.join(CORPUS, harness)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def capture_frames(build):
    """A few seconds of a perfbusd at 0.1 s with --top 3: sys, proc and hb frames."""
    os.environ["PB_BUILD"] = build
    import pbtest
    with pbtest.Daemon("--top", "3", interval=0.1) as d:
        msgs = d.collect(1.5)
        replies = [d.request(m) for m in requests()]
        raw_replies = [msgpack.packb(r, use_bin_type=True) for r in replies]
    by_type = {}
    for topic, payload in msgs:
        kind = topic.split(b".")[0]
        by_type.setdefault(kind, []).append((topic, payload))
    return by_type, raw_replies


def requests():
    out = []
    for path in sorted(glob.glob(os.path.join(SOURCE, "tests", "py", "examples", "request.*.json"))):
        with open(path) as f:
            out.append(json.load(f))
    return out


def example_payloads():
    out = []
    for path in sorted(glob.glob(os.path.join(SOURCE, "tests", "py", "examples", "*.json"))):
        with open(path) as f:
            out.append(msgpack.packb(json.load(f), use_bin_type=True))
    return out


def parts(payloads):
    return b"".join(struct.pack("<H", len(p)) + p for p in payloads)


def record(recv_ts, topic, payload):
    body = struct.pack("<QH", recv_ts, len(topic)) + topic + payload
    return struct.pack("<II", len(body), zlib.crc32(body)) + body


def segment(frames):
    head = b"PBSEGMNT" + struct.pack("<II", 1, 0)
    return head + b"".join(record(1700000000000000000 + i * 10**8, t, p)
                           for i, (t, p) in enumerate(frames))


def sealed(frames, per_block=2, index=True):
    """A format-2 sealed segment (schemas/STORAGE.md) of frames, per_block records a block."""
    import zstandard
    out = bytearray(b"PBSEGZST" + struct.pack("<II", 2, 0))
    entries, raw_total = [], 0
    recs = [(1700000000000000000 + i * 10**8, t, p) for i, (t, p) in enumerate(frames)]
    for k in range(0, len(recs), per_block):
        chunk = recs[k:k + per_block]
        raw = b"".join(record(*r) for r in chunk)
        comp = zstandard.ZstdCompressor(level=1, write_content_size=True).compress(raw)
        first, last = chunk[0][0], chunk[-1][0]
        head = b"PBZB" + struct.pack("<IIIQQI", len(comp), len(raw), len(chunk), first, last,
                                     zlib.crc32(comp))
        entries.append((len(out), first, last))
        out += head + struct.pack("<I", zlib.crc32(head)) + comp
        raw_total += len(raw)
    if not index:
        return bytes(out)
    at = len(out)
    idx = b"PBZI" + struct.pack("<IQQQQ", len(entries), len(recs), raw_total, recs[0][0],
                                recs[-1][0])
    idx += b"".join(struct.pack("<QQQ", *e) for e in entries)
    return bytes(out + idx + struct.pack("<QI", at, zlib.crc32(idx)) + b"PBZE")


def sealed_seeds(small):
    """Seeds of fuzz_sealed: [u8 mode][u64 window start][file]; of fuzz_segment: the files.
    (Its rollup seeds are segment-000001.pbr of `perfbus-synth --samples 30 --procs 1`
    with mode 0 and 1, added by hand: of version 1, of version 2 with sections 1-5, and of
    version 2 with all seven, `--profiles` added.)"""
    whole = sealed(small[:6])
    flipped = bytearray(whole)
    flipped[16 + 40 + 3] ^= 0xFF  # the first block's compressed data
    files = [whole, sealed(small[:6], index=False), bytes(flipped), sealed(small[:1], 1)]
    for f in files:
        put("segment", f)
        for mode in (0, 1, 3):
            put("sealed", bytes([mode]) + struct.pack("<Q", 1700000000000000000) + f)


def meta(nframes):
    return msgpack.packb({
        "format": 1, "run_id": "20240101-000000-1", "hosts": ["fuzzhost"],
        "start_ns": 1700000000000000000, "end_ns": 1700000001000000000,
        "complete": True, "perfbus_version": "0.1.0", "config": {"flush_ms": 1000},
        "segments": 1, "records": nframes, "bytes": 4096}, use_bin_type=True)


def wire_seeds(by_type, replies):
    small = []
    for kind, msgs in sorted(by_type.items()):
        small += msgs[:2] + msgs[-1:]
    payloads = [p for _, p in small] + replies + example_payloads()
    payloads += [msgpack.packb(r, use_bin_type=True) for r in requests()]
    for p in payloads:
        for h in ("codec", "json", "frame"):
            put(h, p)
    frames = [p for _, p in small]
    sys_frames = [p for t, p in small if t.startswith(b"sys")]
    proc_frames = [p for t, p in small if t.startswith(b"proc")]
    for seq in (frames, sys_frames, proc_frames, frames[::-1]):
        for h in ("history", "model"):
            put(h, parts(seq))
    return small


def store_seeds(small):
    seg = segment(small[:3])
    put("segment", seg)
    put("segment", segment(small[:1]))
    put("segment", seg[:-7])                        # a torn tail
    bad = bytearray(seg)
    bad[16 + 5] ^= 0xFF                             # the first record's CRC
    put("segment", bytes(bad))
    for s in (seg, bytes(bad)):
        m = meta(3)
        put("run", struct.pack("<H", len(m)) + m + s)
    put("run", struct.pack("<H", 4) + b"\x81\xa1x\x01" + seg)


def text_seeds():
    configs = [
        "# /etc/perfbus/perfbusd.conf\npub = tcp://127.0.0.1:7710\ncontrol = tcp://127.0.0.1:7711\n"
        "interval = 1\ntop = 10\nmatch = ^(nginx|postgres)$\npid = 4242\n",
        'host = "my host"\nheartbeat = 2\nall = true\ncommand = sleeper /bin/sleep 1\n',
        "connect = tcp://127.0.0.1:7710\nconnect = ipc:///tmp/x\nsubscribe = sys.\n"
        "history = 600\nrecord = true\nstore = /tmp/store\nflush-ms = 250\nkeep-days = 7\n",
        "interval = 0.5 # inline\n\n  # indented comment\nbogus line\n",
    ]
    for c in configs:
        put("kvfile", c.encode())
    for rel in ("stat", "status", "io", "cmdline"):
        for path in glob.glob(os.path.join(FIXTURES, "proc-*", "proc", "[0-9]*", rel)):
            put("proc_parse", open(path, "rb").read())
    for rel in ("stat", "meminfo", "loadavg", "uptime", "diskstats", "net/dev"):
        for path in glob.glob(os.path.join(FIXTURES, "proc-*", "proc", rel)):
            put("sys_parse", open(path, "rb").read())


def sampler_seeds():
    """Two cycles of the six files the system sampler reads, from the t0/t1 fixtures."""
    rels = ("stat", "meminfo", "loadavg", "uptime", "diskstats", "net/dev")
    cycles = []
    for case in ("proc-t0", "proc-t1", "proc-old", "proc-garbage"):
        files = []
        for rel in rels:
            path = os.path.join(FIXTURES, case, "proc", rel)
            files.append(open(path, "rb").read() if os.path.exists(path) else b"")
        cycles.append(parts(files))
    put("sys_sampler", cycles[0] + cycles[1])
    put("sys_sampler", cycles[2] + cycles[2])
    put("sys_sampler", cycles[0] + cycles[3])


def control_seeds():
    """Requests to perfbusd: the schema examples and a few ops with arguments."""
    extra = [{"op": "process", "pid": 1234}, {"op": "watch", "pid": 4321},
             {"op": "watch", "match": "^(sleep|busy)$"}, {"op": "unwatch", "match": "^busy$"},
             {"op": "watch", "top": 2}, {"op": "nosuchop"}, {"op": 7}, [1, 2]]
    for r in requests() + extra:
        put("control", msgpack.packb(r, use_bin_type=True))


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(SOURCE, "build"))
    by_type, replies = capture_frames(build)
    small = wire_seeds(by_type, replies)
    store_seeds(small)
    sealed_seeds(small)
    text_seeds()
    sampler_seeds()
    control_seeds()
    for h in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, h))
        print(f"{h}: {len(files)} seeds")


if __name__ == "__main__":
    main()
