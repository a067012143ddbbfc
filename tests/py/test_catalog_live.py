#!/usr/bin/python3
"""contract.catalog_live: a live perfbusd against the metric catalogue (schemas/pb_catalog.def).

Runs `perfbusd --all --pid CHILD --interval 0.2` on this machine, kills CHILD once it has a
later frame (so a gone frame comes too), and walks every leaf of every sys, proc and hb frame
(nested maps by '.', array items as '[]'): each must be in the catalogue with a kind (and a
unit, for counters, gauges and rates), its value of the catalogue's JSON type and within its
bounds. Then the reverse: every catalogue field of those frame types that is not optional
must have been seen; the optional ones never seen are listed. First, the C table as compiled
(test_pb_catalog --dump) must read pb_catalog.def exactly as gen_schemas.py does.
"""

import math
import os
import subprocess
import time

import gen_schemas
import pbtest

INTERVAL = 0.2
TIMEOUT = 30.0  # for the conditions below; under load they take longer, never less
FRAMES = ("sys", "proc", "hb")
METRICS = ("counter", "gauge", "rate")


def catalogue():
    """{(frame, path): Field} of the frame types checked here and of the envelope."""
    return {(f.frame, f.path): f for f in gen_schemas.FIELDS
            if f.frame in FRAMES + ("envelope",)}


def type_ok(field, value):
    if isinstance(value, bool):
        return field.json == "boolean"
    if isinstance(value, int):
        return field.json in ("integer", "number")
    return {float: "number", str: "string", bytes: "bin", dict: "object",
            list: "array"}.get(type(value)) == field.json


def bounds_ok(field, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return True
    return ((field.lo is None or value >= field.lo) and
            (field.hi is None or value <= field.hi))


class Walk:
    """Checks frames against the catalogue and remembers every path seen."""

    def __init__(self, r, cat):
        self.r, self.cat = r, cat
        self.seen, self.items = set(), set()  # (frame, path); lists that had an item
        self.unknown, self.bad = set(), set()

    def frame(self, frame):
        ftype = frame.get("type")
        for key, value in frame.items():
            where = "envelope" if ("envelope", key) in self.cat else ftype
            self.value(where, key, value)

    def value(self, ftype, path, value):
        field = self.cat.get((ftype, path))
        if field is None:
            if (ftype, path) not in self.unknown:  # one failure per path, not per frame
                self.unknown.add((ftype, path))
                self.r.check(False, f"{ftype} field {path} is in the catalogue",
                             f"value {value!r:.80}")
            return
        first = (ftype, path) not in self.seen
        self.seen.add((ftype, path))
        if first:
            self.check_entry(field)
        ok = type_ok(field, value) and bounds_ok(field, value)
        if first or (not ok and (ftype, path) not in self.bad):
            if not ok:
                self.bad.add((ftype, path))  # one failure per path, not per frame
            self.r.check(ok, f"{ftype} {path}: value is {field.json} within its bounds",
                         f"{value!r:.80} ({type(value).__name__}), bounds {field.lo}..{field.hi}")
        if isinstance(value, dict) and field.kind == "map":
            for key, sub in value.items():
                self.value(ftype, f"{path}.{key}", sub)
        elif isinstance(value, list) and field.kind == "list":
            for item in value:
                self.items.add((ftype, path))
                for key, sub in (item.items() if isinstance(item, dict) else []):
                    self.value(ftype, f"{path}[].{key}", sub)

    def check_entry(self, field):
        where = f"{field.frame} {field.path}"
        self.r.check(field.kind in ("counter", "gauge", "rate", "attr", "flag", "map", "list"),
                     f"{where}: has a kind", field.kind)
        if field.kind in METRICS:
            self.r.check(field.unit != "", f"{where}: a {field.kind} has a unit")


def conditional(field, cat):
    """Why field may be missing from every frame of a run, or None if it may not."""
    if field.has("o") or field.has("v"):
        return "optional"
    parent = cat.get((field.frame, field.parent()))
    while parent is not None:
        if parent.kind == "list" and parent.min_items == 0:
            return f"an item field of {parent.path}, which may be empty"
        parent = cat.get((parent.frame, parent.parent()))
    return None


def check_reverse(r, walk, cat):
    never = []
    for (ftype, path), field in cat.items():
        if (ftype, path) in walk.seen:
            continue
        why = conditional(field, cat)
        if why is None:
            r.check(False, f"catalogue field {ftype} {path} is published", "never seen")
            continue
        parent = cat.get((ftype, field.parent()))
        if why != "optional" and parent is not None and (ftype, parent.path) in walk.items:
            r.check(False, f"catalogue field {ftype} {path} is in every item", "never seen")
            continue
        never.append(f"{ftype} {path} ({why})")
    print("catalogue fields not seen in this run: " + (", ".join(never) or "none"))
    r.check(len(walk.seen) > 150, "most of the catalogue was seen", str(len(walk.seen)))


def run_daemon(r, child):
    """Frames of a --all daemon, until the child's gone frame and enough of every type."""
    frames, killed = [], False
    counts = {"sys": 0, "hb": 0, "gone": 0}
    with pbtest.Daemon("--all", "--pid", child.pid, interval=INTERVAL) as d:
        sub = d.subscribe("")
        end = time.monotonic() + TIMEOUT
        while (left := end - time.monotonic()) > 0 and not (
                counts["gone"] and counts["sys"] >= 3 and counts["hb"] >= 1):
            if not sub.poll(int(left * 1000) + 1):
                continue
            parts = sub.recv_multipart()
            f = pbtest.unpack(parts[-1])
            frames.append(f)
            if f.get("type") == "sys" and f.get("first") is False:
                counts["sys"] += 1
            counts["hb"] += f.get("type") == "hb"
            mine = f.get("type") == "proc" and f.get("pid") == child.pid
            counts["gone"] += mine and f.get("gone") is True
            if mine and f.get("first") is False and not killed:
                child.kill()
                child.wait()  # reaped: a zombie still has its /proc entry
                killed = True
        sub.close()
        d.check_alive(r)
        pbtest.stop_and_check(d, r)
    r.check(counts["gone"] == 1 and counts["sys"] >= 3 and counts["hb"] >= 1,
            f"within {TIMEOUT:.0f} s: 3 later sys frames, an hb and the child's gone frame",
            str(counts))
    return frames


def _c_number(text):
    value = float(text)
    return None if math.isnan(value) else value


def check_c_table(r):
    """The C compiler and gen_schemas.py read pb_catalog.def alike (test_pb_catalog --dump)."""
    tool = os.path.join(os.environ.get("PB_BUILD", "build"), "tests", "test_pb_catalog")
    out = subprocess.run([tool, "--dump"], capture_output=True, text=True, check=False)
    if not r.check(out.returncode == 0, f"{tool} --dump runs", out.stderr[-300:]):
        return
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    r.check(len(rows) == len(gen_schemas.FIELDS), "the C table has every catalogue row",
            f"C {len(rows)}, Python {len(gen_schemas.FIELDS)}")
    for row, f in zip(rows, gen_schemas.FIELDS):
        lo, hi = (None if b is None else float(b) for b in (f.lo, f.hi))  # C has doubles
        want = [f.frame, f.path, f.kind, f.unit, f.json, lo, hi, f.flags, f.group, f.prom,
                f.labels, f.scale, f.counter, f.schema, f.min_items, f.help]
        got = row[:5] + [_c_number(row[5]), _c_number(row[6])] + row[7:11] + [
            float(row[11])] + row[12:14] + [int(row[14])] + row[15:]
        r.check(got == want, f"C and Python read {f.frame} {f.path} alike", f"{got} vs {want}")


def main():
    r = pbtest.Results("contract.catalog_live")
    pbtest.perfbusd_path()
    check_c_table(r)
    cat = catalogue()
    child = subprocess.Popen(["sleep", "60"])
    try:
        frames = run_daemon(r, child)
    finally:
        child.kill()
        child.wait()
    walk = Walk(r, cat)
    for f in frames:
        if r.check(isinstance(f, dict) and f.get("type") in FRAMES + ("prof",),
                   "a frame of a known type", repr(f)[:80]) and f["type"] != "prof":
            walk.frame(f)
    check_reverse(r, walk, cat)
    r.finish()


if __name__ == "__main__":
    main()
