#!/usr/bin/env python3
"""Reads a perfbus run directory using only schemas/STORAGE.md, the standard library, msgpack
and (for sealed format-2 segments) Debian's python3-zstandard.

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
import zstandard

MAGIC = b"PBSEGMNT"
SEALED_MAGIC = b"PBSEGZST"
BLOCK_HEAD = 40
TRAILER = 16
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


def _walk(data, pos, path, problems):
    """The records of data from pos (a format-1 file, or a decoded block from 0)."""
    records = []
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


def _block_at(data, at, end):
    """(comp_len, raw_len) of a block header that checks at `at`, else None."""
    if at + BLOCK_HEAD > end or data[at:at + 4] != b"PBZB":
        return None
    comp, raw, _n, first, last, _dcrc, hcrc = struct.unpack_from("<IIIQQII", data, at + 4)
    if zlib.crc32(data[at:at + 36]) != hcrc or comp > end - at - BLOCK_HEAD or first > last:
        return None
    return comp, raw


def _index(data):
    """Block offsets and the end of the blocks from the time index, or None when damaged."""
    if len(data) < HEADER + 40 + TRAILER or data[-4:] != b"PBZE":
        return None
    at, crc = struct.unpack_from("<QI", data, len(data) - TRAILER)
    if at < HEADER or at > len(data) - TRAILER - 40:
        return None
    index = data[at:len(data) - TRAILER]
    if zlib.crc32(index) != crc or index[:4] != b"PBZI":
        return None
    (n,) = struct.unpack_from("<I", index, 4)
    if 40 + 24 * n != len(index):
        return None
    return [struct.unpack_from("<Q", index, 40 + 24 * i)[0] for i in range(n)], at


def _decode(data, at, comp, raw):
    body = data[at + BLOCK_HEAD:at + BLOCK_HEAD + comp]
    if zlib.crc32(body) != struct.unpack_from("<I", data, at + 32)[0]:
        raise ValueError("CRC mismatch in the compressed data")
    out = zstandard.ZstdDecompressor().decompress(body, max_output_size=raw)
    if len(out) != raw:
        raise ValueError(f"decoded {len(out)} bytes, header says {raw}")
    return out


def _sealed_blocks(data, path, problems):
    """Offsets of the blocks: from the index, else by walking from the header."""
    idx = _index(data)
    if idx is not None:
        return idx[0], idx[1]
    problems.append(f"{path}: time index missing or damaged, blocks read in order")
    offsets, at = [], HEADER
    while at < len(data) and data[at:at + 4] != b"PBZI":  # the damaged index ends the blocks
        hit = _block_at(data, at, len(data))
        if hit is None:
            nxt = data.find(b"PBZB", at + 1)
            problems.append(f"{path}: damaged block header at {at}")
            at = len(data) if nxt < 0 else nxt
            continue
        offsets.append(at)
        at += BLOCK_HEAD + hit[0]
    return offsets, len(data)


def read_sealed(data, path, problems):
    offsets, end = _sealed_blocks(data, path, problems)
    records = []
    for at in offsets:
        hit = _block_at(data, at, end)
        if hit is None:
            problems.append(f"{path}: damaged block header at {at}")
            continue
        try:
            block = _decode(data, at, *hit)
        except (ValueError, zstandard.ZstdError) as e:
            problems.append(f"{path}: damaged compressed block at {at}: {e}")
            continue
        records.extend(_walk(block, 0, f"{path} block {at}", problems))
    return records


def read_segment(path, problems):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] == SEALED_MAGIC and struct.unpack_from("<I", data, 8)[0] == 2:
        return read_sealed(data, path, problems)
    if len(data) < HEADER or data[:8] != MAGIC or struct.unpack_from("<I", data, 8)[0] != 1:
        problems.append(f"{path}: bad header")
        return []
    return _walk(data, HEADER, path, problems)


def _rollup_text(body, pos):
    (n,) = struct.unpack_from("<H", body, pos)
    return body[pos + 2:pos + 2 + n].decode("utf-8", "replace"), pos + 2 + n


def _rollup_series(body, pos):
    """One series' description at pos: ((host, type, pid, field), comm, kind name), new pos."""
    host, pos = _rollup_text(body, pos)
    kind_type, pid = struct.unpack_from("<BQ", body, pos)
    comm, pos = _rollup_text(body, pos + 9)
    field, pos = _rollup_text(body, pos)
    kind = ("counter", "gauge", "rate")[body[pos]]
    return (host, ("", "sys", "proc")[kind_type], pid, field), comm, kind, pos + 1


def _rollup_buckets(body, pos):
    (n,) = struct.unpack_from("<I", body, pos)
    pos += 4
    return [struct.unpack_from("<QdddQd", body, pos + 48 * i) for i in range(n)], pos + 48 * n


def _rollup_v1(data):
    _, _, comp, raw, crc, _ = struct.unpack_from("<IIIIII", data, 8)
    body = data[32:]
    if len(body) != comp or zlib.crc32(body) != crc:
        raise ValueError("damaged rollup header or CRC")
    body = zstandard.ZstdDecompressor().decompress(body, max_output_size=raw)
    series, pos = {}, 4
    for _ in range(struct.unpack_from("<I", body, 0)[0]):
        key, comm, kind, pos = _rollup_series(body, pos)
        entry = {"comm": comm, "kind": kind}
        entry["fine"], pos = _rollup_buckets(body, pos)
        entry["coarse"], pos = _rollup_buckets(body, pos)
        series[key] = entry
    if pos != len(body):
        raise ValueError("trailing bytes in a rollup body")
    return series, None, None


def _rollup_sections(data):
    """Version 2's sections: id -> decompressed bytes, each CRC checked."""
    nsec, crc = struct.unpack_from("<II", data, 12)
    table = data[32:32 + 24 * nsec]
    if len(table) != 24 * nsec or zlib.crc32(table) != crc:
        raise ValueError("damaged rollup section table")
    sections = {}
    for i in range(nsec):
        sid, comp, raw, scrc, offset = struct.unpack_from("<IIIIQ", table, 24 * i)
        frame = data[offset:offset + comp]
        if len(frame) != comp or zlib.crc32(frame) != scrc:
            raise ValueError(f"damaged rollup section {sid}")
        sections[sid] = zstandard.ZstdDecompressor().decompress(frame, max_output_size=raw)
    return sections


def _rollup_v2(data):
    sec = _rollup_sections(data)
    body, pos, order, series = sec[1], 4, [], {}
    for _ in range(struct.unpack_from("<I", body, 0)[0]):
        key, comm, kind, pos = _rollup_series(body, pos)
        order.append(key)
        series[key] = {"comm": comm, "kind": kind}
    for sid, res, kind_type in ((2, "coarse", None), (3, "fine", "sys"), (4, "fine", "proc")):
        body, pos = sec[sid], 0
        for key in order:
            if kind_type is None or key[1] == kind_type:
                series[key][res], pos = _rollup_buckets(body, pos)
        if pos != len(body):
            raise ValueError(f"trailing bytes in rollup section {sid}")
    spans, body = {}, sec.get(5, b"")
    pos = 4 if body else 0
    for _ in range(struct.unpack_from("<I", body, 0)[0] if body else 0):
        host, pos = _rollup_text(body, pos)
        (n,) = struct.unpack_from("<I", body, pos)
        spans[host] = [struct.unpack_from("<QQQ", body, pos + 4 + 24 * i) for i in range(n)]
        pos += 4 + 24 * n
    return series, spans, _rollup_marks(sec.get(7))


def _rollup_marks(body):
    """Section 7: {"kept": [(recv_ns, payload)], "seq": {src: (host, first, last, lost)},
    "stretches": {host: [(from_ns, to_ns, period_ns)]}}; None when absent."""
    if body is None:
        return None
    marks, pos = {"kept": [], "seq": {}, "stretches": {}}, 4
    for _ in range(struct.unpack_from("<I", body, 0)[0]):
        recv, n = struct.unpack_from("<QI", body, pos)
        marks["kept"].append((recv, body[pos + 12:pos + 12 + n]))
        pos += 12 + n
    (nsrc,) = struct.unpack_from("<I", body, pos)
    pos += 4
    for _ in range(nsrc):
        src, pos = _rollup_text(body, pos)
        host, pos = _rollup_text(body, pos)
        marks["seq"][src] = (host,) + struct.unpack_from("<QQQ", body, pos)
        pos += 24
    (nhosts,) = struct.unpack_from("<I", body, pos)
    pos += 4
    for _ in range(nhosts):
        host, pos = _rollup_text(body, pos)
        (n,) = struct.unpack_from("<I", body, pos)
        marks["stretches"][host] = [struct.unpack_from("<QQQ", body, pos + 4 + 24 * i)
                                    for i in range(n)]
        pos += 4 + 24 * n
    if pos != len(body):
        raise ValueError("trailing bytes in rollup section 7")
    return marks


def read_rollup(path, with_spans=False, with_marks=False):
    """The buckets of a segment-N.pbr (schemas/STORAGE.md, "Rollups"), version 1 or 2: a dict
    (host, type, pid, field) -> {"comm", "kind", "fine": [...], "coarse": [...]}, each bucket
    (start_s, min, max, sum, count, last). with_spans: also each host's fine buckets' receive
    spans, host -> [(start_s, recv_min_ns, recv_max_ns)] (None for version 1); with_marks:
    those and the marks (section 7, _rollup_marks; None when absent). Raises ValueError when
    the file is damaged."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 32 or data[:8] != b"PBROLLUP":
        raise ValueError("not a rollup file")
    version = struct.unpack_from("<I", data, 8)[0]
    if version not in (1, 2):
        raise ValueError(f"rollup version {version}")
    series, spans, marks = (_rollup_v1 if version == 1 else _rollup_v2)(data)
    if with_marks:
        return series, spans, marks
    return (series, spans) if with_spans else series


def segment_names(run_dir):
    """segment-N.pbl and .pbz in order; of a number present as both, the sealed one."""
    names = sorted(n for n in os.listdir(run_dir) if re.fullmatch(r"segment-\d+\.pb[lz]", n))
    return [n for i, n in enumerate(names)
            if not (i + 1 < len(names) and names[i + 1][:-4] == n[:-4])]


def read_run(run_dir):
    problems = []
    try:
        with open(os.path.join(run_dir, "run.meta"), "rb") as f:
            meta = msgpack.unpackb(f.read(), raw=False)
    except (OSError, ValueError, msgpack.exceptions.ExtraData) as e:
        problems.append(f"run.meta: {e}")
        meta = {}
    records = []
    for name in segment_names(run_dir):
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
