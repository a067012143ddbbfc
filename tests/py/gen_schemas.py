#!/usr/bin/python3
"""Generates schemas/*.schema.json (the wire contract) from the field tables below.

The JSON files are checked in and are what consumers read; this script is how
they are kept consistent (every rate optional and tied to `first`, every counter
and gauge required, kinds and units on every field). Edit the tables here, then
run `python3 tests/py/gen_schemas.py` to rewrite schemas/, or `--check` to
verify that the checked-in files match (ctest contract.schema_generated).
"""

import json
import os
import sys

BASE = "https://perfbus.invalid/schemas/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
UINT64_MAX = 2**64 - 1
TS_MIN = 10**18  # 2001-09-09 in ns: catches seconds or ms sent as ns
ERROR_CODES = ["bad_msgpack", "too_deep", "too_large", "not_a_map", "missing_op",
               "unknown_op", "bad_arg", "not_found", "multipart", "internal",
               "busy", "refused", "timeout", "crashed", "limit"]


# ---------------------------------------------------------------- field kinds
def _leaf(kind, unit, text, typ, lo=0, hi=None, **extra):
    spec = {"description": f"{kind}: {unit}; {text}", "type": typ}
    if lo is not None:
        spec["minimum"] = lo
    if hi is None and typ == "integer" and lo is not None and lo >= 0:
        hi = UINT64_MAX
    if hi is not None:
        spec["maximum"] = hi
    spec["x-kind"] = kind
    spec["x-unit"] = unit
    spec.update(extra)
    return spec


def counter(unit, text, **extra):
    """Cumulative since boot or process start: an unsigned integer, always sent."""
    return _leaf("counter", unit, text, "integer", **extra)


def rate(unit, text, hi=None, **extra):
    """Per second (or percent) over the last interval: absent when first is true."""
    return _leaf("rate", unit, text, "number", hi=hi, **extra)


def pct(text, hi=100, **extra):
    return rate("%", text, hi=hi, **extra)


def gauge(unit, text, integer=False, lo=0, hi=None, **extra):
    return _leaf("gauge", unit, text, "integer" if integer else "number", lo=lo, hi=hi, **extra)


def attr(text, typ="integer", **extra):
    """An identifying attribute (pid, name): not a metric, never aggregated."""
    spec = {"description": f"attr: {text}", "type": typ}
    if typ == "integer":
        spec.update({"minimum": 0, "maximum": UINT64_MAX})
    spec["x-kind"] = "attr"
    spec.update(extra)
    return spec


def raw_bytes(of):
    """The bytes of a str field as read, sent as a msgpack bin only when they were not
    valid UTF-8 (the str then carries U+FFFD in their place). A bin has no JSON type:
    Python's msgpack gives bytes, pb_json (perfbus --json) writes {"$bin": base64}."""
    return {"description": f"attr: the bytes of {of} as read (msgpack bin), sent only when "
                           f"they are not valid UTF-8; {of} then has U+FFFD in their place",
            "anyOf": [{"not": {"type": ["string", "number", "boolean", "null", "array",
                                        "object"]}},
                      {"type": "object", "properties": {"$bin": {"type": "string"}},
                       "required": ["$bin"], "additionalProperties": False}],
            "x-kind": "attr", "x-msgpack": "bin", "x-absent-when": "valid UTF-8"}


def plain(text, **schema):
    return dict({"description": text}, **schema)


# ---------------------------------------------------------------- shape nodes
class Obj:
    """An object of fields. `base` names a $def this object extends."""

    def __init__(self, fields, base=None, optional=()):
        self.fields, self.base, self.optional = fields, base, set(optional)


class Arr:
    def __init__(self, item, text, min_items=0):
        self.item, self.text, self.min_items = item, text, min_items


def _is_rate(spec):
    return isinstance(spec, dict) and spec.get("x-kind") == "rate"


def _required(obj):
    out = []
    for name, spec in obj.fields.items():
        if name in obj.optional or _is_rate(spec):
            continue
        if isinstance(spec, dict) and "x-absent-when" in spec:
            continue
        out.append(name)
    return out


def structure(node):
    """The schema for the shape of node; objects are closed."""
    if isinstance(node, Arr):
        s = {"description": node.text, "type": "array", "items": structure(node.item)}
        if node.min_items:
            s["minItems"] = node.min_items
        return s
    if not isinstance(node, Obj):
        return node
    props = {name: structure(spec) for name, spec in node.fields.items()}
    if node.base:
        s = {"$ref": f"#/$defs/{node.base}"}
        if props:
            s["properties"] = props
            s["required"] = _required(node)
        s["unevaluatedProperties"] = False
        return s
    return {"type": "object", "properties": props, "required": _required(node),
            "additionalProperties": False}


def open_structure(obj):
    """A $def meant to be extended: the same, but open (its users close it)."""
    s = structure(obj)
    del s["additionalProperties"]
    return s


def rate_rule(node, first):
    """The schema that says: no rates anywhere (first) or every rate present."""
    if isinstance(node, Arr):
        # A later frame may still hold a rate-less item: a core, disk or interface seen for
        # the first time, or whose counter went backwards, starts its own series over.
        # Such an item carries all of its rates or none of them.
        inner = rate_rule(node.item, first)
        if inner and not first:
            inner = {"anyOf": [rate_rule(node.item, True), inner]}
        return {"items": inner} if inner else None
    if not isinstance(node, Obj):
        return None
    s = {}
    if node.base:
        s["$ref"] = f"#/$defs/{node.base}_{'first' if first else 'later'}"
    rates = [n for n, spec in node.fields.items() if _is_rate(spec)]
    if rates and first:
        s["properties"] = {r: False for r in rates}
    elif rates:
        always = [r for r in rates if "x-absent-when" not in node.fields[r]]
        if always:
            s["required"] = always
        dep = {}
        for r in rates:
            if "x-absent-when" in node.fields[r]:
                dep.setdefault(node.fields[r]["x-counter"], []).append(r)
                dep[r] = [node.fields[r]["x-counter"]]
        if dep:
            s["dependentRequired"] = dep
    props = s.setdefault("properties", {})
    for name, spec in node.fields.items():
        inner = rate_rule(spec, first)
        if inner:
            props[name] = inner
    if not props:
        del s["properties"]
    return s or None


def first_rule():
    return {"if": {"properties": {"first": {"const": True}}, "required": ["first"]},
            "then": {"$ref": "#/$defs/first_sample"},
            "else": {"$ref": "#/$defs/later_sample"}}


def add_rate_defs(defs, named, root):
    """Adds <def>_first/_later for each extendable def and the two root rules."""
    for name, obj in named.items():
        defs[f"{name}_first"] = rate_rule(obj, True) or {}
        defs[f"{name}_later"] = rate_rule(obj, False) or {}
    defs["first_sample"] = dict(
        {"description": "first: true — no rate anywhere (nothing to divide by yet)"},
        **rate_rule(root, True))
    defs["later_sample"] = dict(
        {"description": "first: false — every rate is present (io rates with their counters)"},
        **rate_rule(root, False))


# ---------------------------------------------------------------- envelope
def envelope():
    return {
        "title": "perfbus frame envelope, wire version 1",
        "description": "Keys every frame payload carries. Frame schemas $ref this one "
                       "and close the whole map with unevaluatedProperties.",
        "type": "object",
        "properties": {
            "v": plain("schema version; increments only on an incompatible change",
                       type="integer", const=1),
            "type": plain("frame type; also the first word of the topic",
                          type="string", enum=["sys", "proc", "prof", "hb"]),
            "host": plain("host name as published (dots kept; the topic replaces them by _)",
                          type="string", minLength=1),
            "src": plain("publisher id, new for every daemon start", type="string",
                         minLength=1),
            "seq": plain("frame number per src: starts at 0, +1 per frame of any type",
                         type="integer", minimum=0, maximum=UINT64_MAX),
            "ts": plain("sample time, ns since the Unix epoch", type="integer",
                        minimum=TS_MIN, maximum=UINT64_MAX),
        },
        "required": ["v", "type", "host", "src", "seq", "ts"],
    }


def sample_head(uptime_text=None):
    f = {
        "interval_s": gauge("s", "seconds since the previous sample of this series; 0 when first"),
        "first": plain("true on the first sample of a series: all rates are absent",
                       type="boolean"),
    }
    if uptime_text:
        f["uptime_s"] = gauge("s", uptime_text)
    return f


# ---------------------------------------------------------------- sys
CPU_STATES = [
    ("user", "user mode excluding guest (sar %user)"),
    ("nice", "niced user mode excluding guest_nice (sar %nice)"),
    ("system", "kernel mode excluding irq and softirq (sar -u ALL %sys; "
               "sar -u %system = system + irq + softirq)"),
    ("iowait", "idle with I/O outstanding (sar %iowait)"),
    ("irq", "servicing hardware interrupts (sar %irq)"),
    ("softirq", "servicing softirqs (sar %soft)"),
    ("steal", "stolen by the hypervisor (sar %steal)"),
    ("idle", "idle without I/O outstanding (sar %idle)"),
]
CPU_TICKS = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest",
             "guest_nice"]


def cpu_state():
    f = {f"{s}_pct": pct(t) for s, t in CPU_STATES}
    f["busy_pct"] = pct("100 - idle - iowait")
    within = {"user": " (includes guest)", "nice": " (includes guest_nice)"}
    for s in CPU_TICKS:
        f[f"{s}_ticks_total"] = counter("ticks", f"/proc/stat '{s}' column{within.get(s, '')}, "
                                        "USER_HZ ticks (cpu.clk_tck per second)")
    return Obj(f)


def disk_state():
    return Obj({
        "reads_per_s": rate("count/s", "reads completed per second (iostat r/s)"),
        "writes_per_s": rate("count/s", "writes completed per second (iostat w/s)"),
        "read_bytes_per_s": rate("bytes/s", "bytes read per second (sectors x 512)"),
        "write_bytes_per_s": rate("bytes/s", "bytes written per second (sectors x 512)"),
        "util_pct": pct("share of the interval with I/O in flight (iostat %util); "
                        "for the total, the mean over the counted devices"),
        "reads_total": counter("count", "/proc/diskstats reads completed"),
        "writes_total": counter("count", "/proc/diskstats writes completed"),
        "read_bytes_total": counter("bytes", "/proc/diskstats sectors read x 512"),
        "write_bytes_total": counter("bytes", "/proc/diskstats sectors written x 512"),
        "io_ms_total": counter("ms", "/proc/diskstats time spent doing I/O"),
    })


NET_FIELDS = [
    ("rx_bytes", "bytes", "bytes received"), ("tx_bytes", "bytes", "bytes sent"),
    ("rx_packets", "count", "packets received"), ("tx_packets", "count", "packets sent"),
    ("rx_errors", "count", "receive errors"), ("tx_errors", "count", "transmit errors"),
    ("rx_drops", "count", "received packets dropped"),
    ("tx_drops", "count", "packets dropped on transmit"),
]


def net_state():
    f = {}
    for name, unit, text in NET_FIELDS:
        f[f"{name}_per_s"] = rate(f"{unit}/s", f"{text} per second (/proc/net/dev)")
    for name, unit, text in NET_FIELDS:
        f[f"{name}_total"] = counter(unit, f"{text} (/proc/net/dev)")
    return Obj(f)


def sys_root():
    f = sample_head("seconds since boot (/proc/uptime)")
    f["cpu"] = Obj({
        "ncpu": attr("online CPUs (number of entries in cores)", minimum=1),
        "clk_tck": attr("USER_HZ: ticks per second of every *_ticks_total", minimum=1),
        "total": Obj({}, base="cpu_state"),
        "cores": Arr(Obj({"id": attr("CPU number, as in /proc/stat cpuN")}, base="cpu_state"),
                     "per core; percentages are of that core", min_items=1),
    })
    f["load"] = Obj({
        "avg1": gauge("count", "1-minute load average (/proc/loadavg)"),
        "avg5": gauge("count", "5-minute load average"),
        "avg15": gauge("count", "15-minute load average"),
        "runnable": gauge("count", "runnable threads (/proc/loadavg 4th field, numerator)",
                          integer=True),
        "threads": gauge("count", "threads that exist (/proc/loadavg 4th field, denominator)",
                         integer=True),
    })
    mem = {}
    for name, text in [
            ("total", "MemTotal"), ("available", "MemAvailable"),
            ("used", "MemTotal - MemAvailable (free(1) of procps-ng 4 'used')"),
            ("free", "MemFree"), ("buffers", "Buffers"),
            ("cached", "Cached + SReclaimable (free(1) 'cache' without buffers)"),
            ("shared", "Shmem"), ("swap_total", "SwapTotal"), ("swap_free", "SwapFree"),
            ("swap_used", "SwapTotal - SwapFree")]:
        mem[f"{name}_bytes"] = gauge("bytes", f"{text} (/proc/meminfo)", integer=True)
    mem["used_pct"] = gauge("%", "used_bytes / total_bytes x 100 (a gauge despite _pct)",
                            hi=100)
    f["mem"] = Obj(mem)
    f["disk"] = Obj({
        "total": Obj({}, base="disk_state"),
        "devices": Arr(Obj({"name": attr("device name, an entry of /sys/block",
                                         typ="string", minLength=1)}, base="disk_state"),
                       "whole disks only; total sums those not stacked (no slaves/) and "
                       "not loop/ram/zram, so I/O is counted once"),
    })
    f["net"] = Obj({
        "total": Obj({}, base="net_state"),
        "interfaces": Arr(Obj({"name": attr("interface name", typ="string", minLength=1)},
                              base="net_state"), "per interface; total excludes lo"),
    })
    f["ctxt_per_s"] = rate("count/s", "context switches per second (sar -w cswch/s)")
    f["ctxt_total"] = counter("count", "/proc/stat ctxt")
    f["intr_per_s"] = rate("count/s", "interrupts per second (sar -I SUM)")
    f["intr_total"] = counter("count", "/proc/stat intr (first number)")
    f["forks_per_s"] = rate("count/s", "processes created per second (sar -w proc/s)")
    f["forks_total"] = counter("count", "/proc/stat processes")
    f["procs"] = Obj({
        "total": gauge("count", "processes (entries of /proc)", integer=True),
        "running": gauge("count", "/proc/stat procs_running", integer=True),
        "blocked": gauge("count", "/proc/stat procs_blocked", integer=True),
        "threads": gauge("count", "threads of all processes", integer=True),
    })
    return Obj(f)


def sys_schema():
    named = {"cpu_state": cpu_state(), "disk_state": disk_state(), "net_state": net_state()}
    root = sys_root()
    defs = {name: open_structure(obj) for name, obj in named.items()}
    add_rate_defs(defs, named, root)
    s = structure(root)
    del s["additionalProperties"], s["type"]
    s["properties"] = dict({"type": {"const": "sys"}}, **s["properties"])
    return dict({
        "title": "sys frame: the whole machine, topic sys.<host>",
        "description": "CPU % of all cores for total and of one core in cores[]; "
                       "definitions follow sar -u, free(1), iostat, sar -n DEV.",
        "$ref": "envelope.schema.json"}, **s, **first_rule(), unevaluatedProperties=False,
        **{"$defs": defs})


# ---------------------------------------------------------------- proc
IO_FIELDS = [("read_bytes", "bytes read from storage (/proc/PID/io read_bytes)"),
             ("write_bytes", "bytes written to storage (/proc/PID/io write_bytes)"),
             ("rchar", "bytes passed to read() and friends (/proc/PID/io rchar)"),
             ("wchar", "bytes passed to write() and friends (/proc/PID/io wchar)")]


def proc_live():
    f = sample_head()
    f.update({
        "pid": attr("process id", minimum=1),
        "ppid": attr("parent process id"),
        "uid": attr("real user id"),
        "comm": attr("command name (/proc/PID/stat comm, at most 15 bytes), as UTF-8: bytes "
                     "that are not (the kernel's cut may split a character) become U+FFFD",
                     typ="string"),
        "comm_raw": raw_bytes("comm"),
        "cmdline": attr("arguments joined by spaces; empty for kernel threads; invalid UTF-8 "
                        "replaced by U+FFFD", typ="string"),
        "state": attr("one-letter state (/proc/PID/stat)", typ="string",
                      pattern="^[RSDZTtXxKWPI]$"),
        "threads": gauge("count", "threads of the process", integer=True, lo=1),
        "nice": gauge("1", "nice value", integer=True, lo=-20, hi=19),
        "start_time_s": attr("start time, seconds since boot", typ="number"),
        "cpu_pct": pct("user + system, percent of ONE core (pidstat %CPU); can exceed 100 "
                       "for a multi-threaded process", hi=None),
        "cpu_user_pct": pct("user time excluding guest, percent of one core (pidstat %usr)",
                            hi=None),
        "cpu_system_pct": pct("system time, percent of one core (pidstat %system)", hi=None),
        "cpu_clamped": plain("present (true) when cpu_pct was cut to 100 x threads (at least "
                             "one) or 100 x ncpu: whole ticks over a short interval can read "
                             "more; user and system are cut in proportion", type="boolean",
                             const=True),
        "utime_ticks_total": counter("ticks", "user time excluding guest (utime - guest_time)"),
        "stime_ticks_total": counter("ticks", "system time (stime)"),
        "cpu_pct_since_start": gauge("%", "mean CPU % of one core since the process started, "
                                     "like ps %CPU; sent by op process on one-shot reads"),
        "rss_bytes": gauge("bytes", "resident set size", integer=True),
        "vsize_bytes": gauge("bytes", "virtual memory size", integer=True),
        "mem_pct": gauge("%", "rss_bytes / MemTotal x 100 (pidstat %MEM; a gauge despite _pct)",
                         hi=100),
        "minflt_per_s": rate("count/s", "minor page faults per second (pidstat minflt/s)"),
        "majflt_per_s": rate("count/s", "major page faults per second (pidstat majflt/s)"),
        "minflt_total": counter("count", "minor page faults (/proc/PID/stat minflt)"),
        "majflt_total": counter("count", "major page faults (/proc/PID/stat majflt)"),
    })
    unreadable = {"x-absent-when": "unreadable"}
    for name, text in IO_FIELDS:
        f[f"{name}_per_s"] = rate("bytes/s", f"{text} per second; absent when /proc/PID/io "
                                  "is unreadable", **unreadable, **{"x-counter": f"{name}_total"})
    for name, text in IO_FIELDS:
        f[f"{name}_total"] = counter("bytes", f"{text}; absent when /proc/PID/io is unreadable",
                                     **unreadable)
    f["fds"] = gauge("count", "open file descriptors; absent when /proc/PID/fd is unreadable",
                     integer=True, **unreadable)
    f.update({
        "vol_ctxsw_per_s": rate("count/s", "voluntary context switches per second (pidstat "
                                "cswch/s)"),
        "invol_ctxsw_per_s": rate("count/s", "involuntary context switches per second "
                                  "(pidstat nvcswch/s)"),
        "vol_ctxsw_total": counter("count", "/proc/PID/status voluntary_ctxt_switches"),
        "invol_ctxsw_total": counter("count", "/proc/PID/status nonvoluntary_ctxt_switches"),
    })
    return Obj(f, optional=["cpu_pct_since_start", "cpu_clamped"])


def io_all_or_none():
    """The /proc/PID/io counters come as a set."""
    names = [f"{n}_total" for n, _ in IO_FIELDS]
    return {n: [m for m in names if m != n] for n in names}


def proc_schema():
    live = proc_live()
    ldef = structure(live)
    del ldef["additionalProperties"]
    ldef["dependentRequired"] = io_all_or_none()
    ldef.update(first_rule())
    defs = {"live": ldef, "gone": {
        "description": "a watched process that exited: sent once, then never again",
        "type": "object",
        "properties": {"pid": attr("process id", minimum=1),
                       "comm": attr("command name, as in live frames", typ="string"),
                       "comm_raw": raw_bytes("comm"),
                       "gone": {"const": True}},
        "required": ["pid", "comm", "gone"]}}
    add_rate_defs(defs, {}, live)
    return {
        "title": "proc frame: one process, topic proc.<host>.<pid>",
        "description": "pidstat definitions: CPU % of ONE core (may exceed 100). "
                       "Either a live sample or the final {pid, comm, gone: true}.",
        "$ref": "envelope.schema.json",
        "properties": {"type": {"const": "proc"}},
        "oneOf": [{"$ref": "#/$defs/live"}, {"$ref": "#/$defs/gone"}],
        "unevaluatedProperties": False,
        "$defs": defs,
    }


# ---------------------------------------------------------------- hb
def hb_fields():
    return {
        "uptime_s": gauge("s", "daemon uptime"),
        "interval_s": gauge("s", "configured sample interval", lo=0),
        "frames_sent": counter("count", "frames published by this src so far (a counter "
                               "despite the name)"),
        "procs_tracked": gauge("count", "processes currently sampled", integer=True),
        "version": attr("daemon version", typ="string", minLength=1),
        "pid": attr("daemon process id", minimum=1),
    }


def hb_schema():
    f = hb_fields()
    return {
        "title": "hb frame: heartbeat, topic hb.<host>, once per second",
        "$ref": "envelope.schema.json",
        "properties": dict({"type": {"const": "hb"}}, **f),
        "required": list(f),
        "unevaluatedProperties": False,
    }


# ---------------------------------------------------------------- control
def request(op, props=None, one_of=None, text=""):
    props = props or {}
    s = {"title": f"request op '{op}'", "description": text, "type": "object",
         "properties": dict({"op": {"const": op}}, **props), "required": ["op"],
         "additionalProperties": False}
    if one_of:
        s["oneOf"] = [{"required": [k]} for k in one_of]
    return s


def reply(op, text, props):
    return {"title": f"reply to op '{op}' (ok: true)", "description": text, "type": "object",
            "properties": dict({"ok": {"const": True}}, **props),
            "required": ["ok"] + list(props), "additionalProperties": False}


def ENDPOINT(text):
    return plain(text, type="string", minLength=1)


PID_ARG = plain("process id", type="integer", minimum=1, maximum=UINT64_MAX)
MATCH_ARG = plain("regular expression (POSIX extended) matched against comm", type="string",
                  minLength=1)
WATCHING = plain("the watch list after the change", type="object", properties={
    "pids": plain("watched pids", type="array", items=PID_ARG, uniqueItems=True),
    "matches": plain("watched comm patterns", type="array", items=MATCH_ARG),
    "top": plain("the --top N setting (0: off); perfbusd sends it, FIELDS.md does not list "
                 "it yet", type="integer", minimum=0, maximum=UINT64_MAX),
    "all": plain("the --all setting; perfbusd sends it, FIELDS.md does not list it yet",
                 type="boolean")},
    required=["pids", "matches"], additionalProperties=False)


def control_schemas():
    out = {
        "request.system": request("system", text="latest sys sample"),
        "request.process": request("process", {"pid": PID_ARG}, text="latest sample of a pid",
                                   ),
        "request.watch": request("watch", {"pid": PID_ARG, "match": MATCH_ARG}, ["pid", "match"],
                                 "add a pid or a comm pattern to the watch list"),
        "request.unwatch": request("unwatch", {"pid": PID_ARG, "match": MATCH_ARG},
                                   ["pid", "match"], "remove a pid or a comm pattern"),
        "request.targets": request("targets", text="list profiling targets"),
        "request.health": request("health", text="liveness and counters"),
    }
    out["request.process"]["required"].append("pid")
    health = dict({"status": plain("always ok when the daemon answers", const="ok")},
                  **{k: v for k, v in hb_fields().items()})
    health["host"] = plain("host name as published", type="string", minLength=1)
    health["src"] = plain("publisher id of the frames", type="string", minLength=1)
    out.update({
        "reply.system": reply("system", "the latest sys frame, envelope included",
                              {"sample": {"$ref": "sys.schema.json"}}),
        "reply.process": reply("process", "the latest sample of one process", {"sample": {
            "$ref": "proc.schema.json#/$defs/live", "unevaluatedProperties": False,
            "properties": {"ts": plain(
                "when it was read, ns since the Unix epoch: the sampling cycle of a tracked "
                "process, or now for a one-shot read", type="integer", minimum=TS_MIN,
                maximum=UINT64_MAX)},
            "required": ["ts"],
            "description": "the body of the latest proc frame if tracked (no envelope), "
                           "else a one-shot read (first: true, no rates, cpu_pct_since_start)"}}),
        "reply.watch": reply("watch", "the watch list after adding", {"watching": WATCHING}),
        "reply.unwatch": reply("unwatch", "the watch list after removing",
                               {"watching": WATCHING}),
        "reply.targets": reply("targets", "the built-in profiling agent's targets", {
            "targets": plain("targets as the agent lists them (see profile_reply.schema.json)",
                             type="array", items={"type": "object", "required": ["name"]}),
            "profile_endpoint": ENDPOINT("ROUTER of the built-in agent: send profiling ops here"),
            "profile_pub_endpoint": ENDPOINT("PUB of the built-in agent's prof.* frames")}),
        "reply.health": reply("health", "liveness and counters of the daemon", dict({
            k: health[k] for k in ["status", "version", "host", "src", "pid", "uptime_s",
                                   "frames_sent", "procs_tracked", "interval_s"]},
            profile_endpoint=ENDPOINT("ROUTER of the built-in profiling agent"),
            max_connections=gauge("count", "cap on open connections to the control socket "
                                  "(--max-connections)", integer=True, lo=1, hi=65536),
            connections_live=gauge("count", "connections to the control socket open now, the "
                                   "asking one included", integer=True),
            connections_refused=gauge("count", "handshakes to the control socket refused "
                                      "over the cap since start", integer=True))),
        "reply.error": {
            "title": "error reply to any request (ok: false)", "type": "object",
            "properties": {"ok": {"const": False}, "error": plain(
                "what went wrong", type="object", properties={
                    "code": plain("machine-readable reason", type="string", enum=ERROR_CODES),
                    "message": plain("one line for humans", type="string", minLength=1)},
                required=["code", "message"], additionalProperties=False)},
            "required": ["ok", "error"], "additionalProperties": False},
    })
    return out


# ---------------------------------------------------------------- output
def all_schemas():
    out = {"envelope": envelope(), "sys": sys_schema(), "proc": proc_schema(),
           "hb": hb_schema()}
    out.update(control_schemas())
    return {name: dict({"$schema": DRAFT, "$id": f"{BASE}{name}.schema.json"}, **s)
            for name, s in out.items()}


def render(schema):
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = os.path.normpath(os.path.join(here, "..", "..", "schemas"))
    check = "--check" in argv
    stale = []
    for name, schema in all_schemas().items():
        path = os.path.join(outdir, f"{name}.schema.json")
        text = render(schema)
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old == text:
            continue
        if check:
            stale.append(path)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote {path}")
    if stale:
        print("stale (run tests/py/gen_schemas.py): " + ", ".join(stale), file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    if check:
        print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
