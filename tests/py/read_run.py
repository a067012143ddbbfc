#!/usr/bin/env python3
"""Reads a perfbus run directory using only schemas/STORAGE.md, the standard library and msgpack.

Usage as a script: read_run.py RUN_DIR  -> prints metadata, record count and damage as JSON.
Usage as a module: meta, records, problems = read_run(RUN_DIR)
  records: list of (recv_ts, topic:str, payload:bytes) in order; problems: list of str.
"""
import json
import os
import re
import struct
import sys
import zlib

import msgpack

MAGIC = b"PBSEGMNT"
HEADER = 16
HEAD = 18  # len + crc + recv_ts + tlen
MAX_RECORD = 64 * 1024 * 1024


def _probe(data, pos):
    """1 valid record (returns its size), 0 corrupt, -1 runs past the end."""
    left = len(data) - pos
    if left < HEAD:
        return -1, 0
    length, crc = struct.unpack_from("<II", data, pos)
    if length < 10 or length > MAX_RECORD:
        return 0, 0
    if length + 8 > left:
        return -1, 0
    (tlen,) = struct.unpack_from("<H", data, pos + 16)
    if tlen + 10 > length:
        return 0, 0
    ok = zlib.crc32(data[pos + 8:pos + 8 + length]) == crc
    return (1 if ok else 0), length + 8


def _scan(data, pos):
    for p in range(pos + 1, len(data) - HEAD + 1):
        if _probe(data, p)[0] == 1:
            return p
    return len(data)


def read_segment(path, problems):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < HEADER or data[:8] != MAGIC or struct.unpack_from("<I", data, 8)[0] != 1:
        problems.append(f"{path}: bad header")
        return []
    records, pos = [], HEADER
    while pos < len(data):
        kind, total = _probe(data, pos)
        if kind == 1:
            recv_ts, tlen = struct.unpack_from("<QH", data, pos + 8)
            topic = data[pos + HEAD:pos + HEAD + tlen].decode("utf-8", "replace")
            records.append((recv_ts, topic, data[pos + HEAD + tlen:pos + total]))
            pos += total
            continue
        nxt = _scan(data, pos)
        if kind < 0 and nxt == len(data):
            problems.append(f"{path}: torn last record at {pos} ({len(data) - pos} bytes)")
            break
        if kind == 0:
            (length,) = struct.unpack_from("<I", data, pos)
            after = pos + 8 + length
            if after <= len(data) and _probe(data, after)[0] == 1:
                nxt = after
        problems.append(f"{path}: corrupt record at {pos}, {nxt - pos} bytes skipped")
        pos = nxt
    return records


def read_run(run_dir):
    problems = []
    try:
        with open(os.path.join(run_dir, "run.meta"), "rb") as f:
            meta = msgpack.unpackb(f.read(), raw=False)
    except (OSError, ValueError, msgpack.exceptions.ExtraData) as e:
        problems.append(f"run.meta: {e}")
        meta = {}
    names = sorted(n for n in os.listdir(run_dir) if re.fullmatch(r"segment-\d+\.pbl", n))
    records = []
    for name in names:
        records.extend(read_segment(os.path.join(run_dir, name), problems))
    return meta, records, problems


def main():
    meta, records, problems = read_run(sys.argv[1])
    topics = {}
    for _, topic, _ in records:
        kind = topic.split(".")[0]
        topics[kind] = topics.get(kind, 0) + 1
    print(json.dumps({"meta": meta, "records": len(records), "topics": topics,
                      "problems": problems}, default=str))


if __name__ == "__main__":
    main()
