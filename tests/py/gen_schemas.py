#!/usr/bin/python3
"""Generates schemas/*.schema.json (the wire contract) and schemas/FIELDS.md from the metric
catalogue, schemas/pb_catalog.def, which the C programs compile too (pb_catalog.c).

This script holds no field facts: names, kinds, units, bounds, help, optional and absent-when
rules, shared groups and the rate -> counter links all come from the catalogue; here are only
the rules that turn them into JSON Schema (every rate optional and tied to `first`, every
counter and gauge required, kinds and units on every field) and the control ops, which are
not frame fields. Edit the catalogue, then run `python3 tests/py/gen_schemas.py` to rewrite
schemas/, or `--check` to verify that the checked-in files match (ctest
contract.schema_generated). It also checks that prof.schema.json, which is written by hand,
has exactly the top-level keys the catalogue lists for prof frames.
"""

import json
import os
import re
import sys

BASE = "https://perfbus.invalid/schemas/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
UINT64_MAX = 2**64 - 1
TS_MIN = 10**18  # 2001-09-09 in ns: catches seconds or ms sent as ns
ERROR_CODES = ["bad_msgpack", "too_deep", "too_large", "not_a_map", "missing_op",
               "unknown_op", "bad_arg", "not_found", "multipart", "internal",
               "busy", "refused", "timeout", "crashed", "limit"]


# ---------------------------------------------------------------- the catalogue
CATALOG = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                        "schemas", "pb_catalog.def"))
# Each row macro and its columns, as documented at the top of pb_catalog.def.
COLUMNS = {
    "PB_FRAME": ["frame", "type", "topic", "title", "help"],
    "PB_MAP": ["frame", "path", "group", "flags", "help"],
    "PB_LIST": ["frame", "path", "group", "flags", "min_items", "help"],
    "PB_COUNTER": ["frame", "path", "unit", "flags", "prom", "labels", "scale", "help"],
    "PB_GAUGE": ["frame", "path", "unit", "json", "lo", "hi", "flags", "prom", "labels", "scale",
                 "help"],
    "PB_RATE": ["frame", "path", "unit", "hi", "flags", "counter", "help"],
    "PB_ATTR": ["frame", "path", "json", "unit", "lo", "hi", "flags", "schema", "help"],
    "PB_FLAG": ["frame", "path", "flags", "schema", "help"],
    "PB_INFO": ["frame", "path", "flags", "prom", "labels", "help"],
}
DEFAULTS = {"PB_COUNTER": {"json": "INTEGER", "lo": "0", "hi": "U64MAX"},
            "PB_RATE": {"json": "NUMBER", "lo": "0"}, "PB_FLAG": {"json": "BOOLEAN"},
            "PB_MAP": {"json": "OBJECT"}, "PB_LIST": {"json": "ARRAY"},
            "PB_INFO": {"json": "OBJECT"}}
FRAMES = {"ENV": "envelope", "SYS": "sys", "PROC": "proc", "HB": "hb", "PROF": "prof"}
UNITS = {"NONE": "", "BYTES": "bytes", "S": "s", "MS": "ms", "NS": "ns", "TICKS": "ticks",
         "COUNT": "count", "PCT": "%", "BYTES_PER_S": "bytes/s", "COUNT_PER_S": "count/s",
         "ONE": "1", "HZ": "Hz", "US": "us"}
JSON_TYPES = {"INTEGER": "integer", "NUMBER": "number", "STRING": "string", "BOOLEAN": "boolean",
              "BIN": "bin", "OBJECT": "object", "ARRAY": "array"}
BOUNDS = {"NONE": None, "U64MAX": UINT64_MAX, "TSMIN": TS_MIN}
FLAGS = "oifvgGtx"
TOKEN = r'"[^"\\\n]*"|-?[0-9][0-9.e+-]*|[A-Z][A-Z0-9_]*'
ROW = re.compile(r"(PB_[A-Z]+)\s*\(((?:\s*(?:%s)\s*,)*\s*(?:%s)\s*)\)" % (TOKEN, TOKEN))


class Field:
    """One catalogue row; `name` is the last key of path, `kind` the macro's word."""

    def __init__(self, macro, values):
        self.__dict__.update(lo="NONE", hi="NONE", unit="NONE", group="", prom="", labels="",
                             scale="1", counter="", schema="", flags="", min_items="0")
        self.__dict__.update(DEFAULTS.get(macro, {}))
        self.__dict__.update(values)
        # an info map is a map that Prometheus sees as one gauge labelled by its attrs
        self.kind = "map" if macro == "PB_INFO" else macro[3:].lower()
        self.frame = FRAMES[self.frame]
        self.unit, self.json = UNITS[self.unit], JSON_TYPES[self.json]
        self.lo, self.hi = _bound(self.lo), _bound(self.hi)
        self.scale, self.min_items = float(self.scale), int(self.min_items)
        self.name = re.split(r"\.|\[\]\.", self.path)[-1]
        bad = set(self.flags) - set(FLAGS)
        if bad:
            raise ValueError(f"{self.path}: unknown flags {''.join(sorted(bad))}")

    def has(self, letter):
        return letter in self.flags

    def parent(self):
        return self.path.rsplit(".", 1)[0].removesuffix("[]") if "." in self.path else ""


def _bound(token):
    if token in BOUNDS:
        return BOUNDS[token]
    return float(token) if any(c in token for c in ".e") else int(token)


def _value(token):
    return token[1:-1] if token.startswith('"') else token


def parse_catalog(text):
    """(frames {type: row}, fields [Field]) of pb_catalog.def; ValueError on anything else."""
    body = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    frames, fields, pos = {}, [], 0
    for m in ROW.finditer(body):
        gap = body[pos:m.start()]
        if gap.strip():
            line = body.count("\n", 0, pos) + 1
            raise ValueError(f"pb_catalog.def:{line}: not a row: {gap.strip()[:60]!r}")
        pos = m.end()
        macro, args = m.group(1), [_value(t) for t in re.findall(TOKEN, m.group(2))]
        if macro not in COLUMNS or len(args) != len(COLUMNS[macro]):
            raise ValueError(f"pb_catalog.def: {macro} with {len(args)} columns: {args[:2]}")
        values = dict(zip(COLUMNS[macro], args))
        if macro == "PB_FRAME":
            frames[values["type"]] = values
        else:
            fields.append(Field(macro, values))
    if body[pos:].strip():
        raise ValueError(f"pb_catalog.def: not a row at the end: {body[pos:].strip()[:60]!r}")
    return frames, fields


def load_catalog(path=CATALOG):
    with open(path, encoding="utf-8") as f:
        return parse_catalog(f.read())


FRAME_ROWS, FIELDS = load_catalog()


def fields_of(frame):
    return [f for f in FIELDS if f.frame == frame]


# ---------------------------------------------------------------- field schemas
def _schema_words(field):
    """The schema column: minLength=1 pattern=... const=... enum=a b."""
    if not field.schema:
        return {}
    key, _, value = field.schema.partition("=")
    if key == "enum":
        return {"enum": value.split(" ")}
    if key == "const":
        return {"const": {"true": True, "false": False}.get(value) if value in ("true", "false")
                else int(value)}
    return {key: int(value) if key == "minLength" else value}


def _bounds(field):
    out = {}
    if field.lo is not None:
        out["minimum"] = field.lo
    if field.hi is not None:
        out["maximum"] = field.hi
    return out


def _absent_when(field):
    if field.has("i") or field.has("f"):
        return {"x-absent-when": "unreadable"}
    if field.has("v"):
        return {"x-absent-when": "valid UTF-8"}
    if field.has("o") and field.kind in ("counter", "gauge"):
        return {"x-absent-when": "not provided"}  # by the kernel (a meminfo line), or the op
    return {}


def raw_bytes(field):
    """A bin has no JSON type: Python's msgpack gives bytes, pb_json (perfbus --json) writes
    {"$bin": base64}."""
    return {"description": f"attr: {field.help}",
            "anyOf": [{"not": {"type": ["string", "number", "boolean", "null", "array",
                                        "object"]}},
                      {"type": "object", "properties": {"$bin": {"type": "string"}},
                       "required": ["$bin"], "additionalProperties": False}],
            "x-kind": "attr", "x-msgpack": "bin", **_absent_when(field)}


def leaf(field):
    """The JSON Schema of a counter, gauge, rate, attr or flag."""
    if field.json == "bin":
        return raw_bytes(field)
    if field.kind == "flag":
        return {"description": field.help, "type": "boolean", **_schema_words(field)}
    if field.frame == "envelope":
        return {"description": field.help, "type": field.json, **_schema_words(field),
                **_bounds(field)}
    if field.kind == "attr":
        return {"description": f"attr: {field.help}", "type": field.json, **_bounds(field),
                **_schema_words(field), "x-kind": "attr"}
    spec = {"description": f"{field.kind}: {field.unit}; {field.help}", "type": field.json,
            **_bounds(field), "x-kind": field.kind, "x-unit": field.unit, **_absent_when(field)}
    if field.kind == "rate":
        spec["x-counter"] = field.counter
    return spec


def plain(text, **schema):
    return dict({"description": text}, **schema)


# ---------------------------------------------------------------- shape nodes
class Obj:
    """An object of fields. `base` names a $def this object extends."""

    def __init__(self, fields, base=None, optional=(), text=""):
        self.fields, self.base, self.optional = fields, base, set(optional)
        self.text = text


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
    head = {"description": node.text} if node.text else {}
    if node.base:
        s = dict(head, **{"$ref": f"#/$defs/{node.base}"})
        if props:
            s["properties"] = props
            s["required"] = _required(node)
        s["unevaluatedProperties"] = False
        return s
    return dict(head, type="object", properties=props, required=_required(node),
                additionalProperties=False)


def open_structure(obj):
    """A $def meant to be extended: the same, but open (its users close it)."""
    s = structure(obj)
    del s["additionalProperties"]
    return s


# ---------------------------------------------------------------- catalogue -> shape
def _same_in_group(a, b):
    keys = ("kind", "unit", "json", "lo", "hi", "flags", "help", "counter", "schema")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def _children(fields, parent):
    return [f for f in fields if f.parent() == parent]


def group_members(fields):
    """{group: [names]}: the keys every map or list item of the group has."""
    users = {}
    for f in fields:
        if f.group:
            users.setdefault(f.group, []).append(f)
    out = {}
    for group, containers in users.items():
        kids = [{c.name: c for c in _children(fields, u.path)} for u in containers]
        names = [n for n in kids[0] if all(n in k for k in kids[1:])]
        for n in names:
            for k in kids[1:]:
                if not _same_in_group(kids[0][n], k[n]):
                    raise ValueError(f"group {group}: {n} differs between its users")
        out[group] = names
    return out


def shape(fields, parent="", only=lambda f: True, groups=None, optional_flag="o"):
    """The Obj of the map at parent, from its catalogue children."""
    groups = group_members(fields) if groups is None else groups
    kids = [f for f in _children(fields, parent) if only(f)]
    out = {}
    for f in kids:
        if f.kind == "map":
            out[f.name] = shape_of(fields, f, groups, only)
        elif f.kind == "list":
            item = shape_of(fields, f, groups, only)
            out[f.name] = Arr(item, f.help, f.min_items)
        else:
            out[f.name] = leaf(f)
    return Obj(out, optional=[f.name for f in kids if f.has(optional_flag)])


def shape_of(fields, container, groups, only):
    obj = shape(fields, container.path, only, groups)
    if container.group:
        shared = groups[container.group]
        obj.fields = {k: v for k, v in obj.fields.items() if k not in shared}
        obj.base = container.group
    if container.kind == "map":
        obj.text = container.help
    return obj


def group_objs(fields):
    """{group: Obj} of the shared fields, in the order the groups first appear."""
    groups = group_members(fields)
    out = {}
    for f in fields:
        if f.group and f.group not in out:
            whole = shape(fields, f.path, groups=groups)
            out[f.group] = Obj({n: whole.fields[n] for n in groups[f.group]})
    return out


def frame_title(frame):
    row = FRAME_ROWS[frame]
    return f"{frame} frame: {row['title']}, topic {row['topic']}"


# ---------------------------------------------------------------- rates
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


# ---------------------------------------------------------------- frames
def envelope():
    fields = fields_of("envelope")
    row = FRAME_ROWS["envelope"]
    return {"title": row["title"], "description": row["help"], "type": "object",
            "properties": {f.name: leaf(f) for f in fields},
            "required": [f.name for f in fields if not f.has("o")]}


def sys_schema():
    fields = fields_of("sys")
    named = group_objs(fields)
    root = shape(fields)
    defs = {name: open_structure(obj) for name, obj in named.items()}
    add_rate_defs(defs, named, root)
    s = structure(root)
    del s["additionalProperties"], s["type"]
    s["properties"] = dict({"type": {"const": "sys"}}, **s["properties"])
    return dict({"title": frame_title("sys"), "description": FRAME_ROWS["sys"]["help"],
                 "$ref": "envelope.schema.json"}, **s, **first_rule(),
                unevaluatedProperties=False, **{"$defs": defs})


def all_or_none(fields, letter):
    """The counters absent together (the /proc/PID/io set) come as a set."""
    names = [f.name for f in fields if f.kind == "counter" and f.has(letter)]
    return {n: [m for m in names if m != n] for n in names}


def gone_def(fields):
    kept = [f for f in fields if f.has("g") or f.has("G")]
    gone = next(f for f in kept if f.has("G"))
    return {"description": gone.help, "type": "object",
            "properties": {f.name: leaf(f) for f in kept},
            "required": [f.name for f in kept if not (f.has("o") or f.has("v"))]}


def proc_schema():
    fields = fields_of("proc")
    live = shape(fields, only=lambda f: not f.has("G"))
    ldef = structure(live)
    del ldef["additionalProperties"]
    ldef["dependentRequired"] = all_or_none(fields, "i")
    ldef.update(first_rule())
    defs = {"live": ldef, "gone": gone_def(fields)}
    add_rate_defs(defs, {}, live)
    return {
        "title": frame_title("proc"),
        "description": FRAME_ROWS["proc"]["help"],
        "$ref": "envelope.schema.json",
        "properties": {"type": {"const": "proc"}},
        "oneOf": [{"$ref": "#/$defs/live"}, {"$ref": "#/$defs/gone"}],
        "unevaluatedProperties": False,
        "$defs": defs,
    }


def hb_fields():
    return {f.name: leaf(f) for f in fields_of("hb")}


def hb_schema():
    f = hb_fields()
    return {
        "title": frame_title("hb"),
        "$ref": "envelope.schema.json",
        "properties": dict({"type": {"const": "hb"}}, **f),
        "required": [n.name for n in fields_of("hb") if not n.has("o")],
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


def reply_count(text, lo=0, hi=UINT64_MAX):
    """A count in a reply that is not a frame field (so not in the catalogue): a gauge."""
    return {"description": f"gauge: count; {text}", "type": "integer", "minimum": lo,
            "maximum": hi, "x-kind": "gauge", "x-unit": "count"}


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
            max_connections=reply_count("cap on open connections to the control socket "
                                        "(--max-connections)", lo=1, hi=65536),
            connections_live=reply_count("connections to the control socket open now, the "
                                         "asking one included"),
            connections_refused=reply_count("handshakes to the control socket refused over "
                                            "the cap since start"),
            handshakes_denied=reply_count("CURVE handshakes to the PUB or control socket "
                                          "denied since start: key not in --curve-allow"),
            handshakes_failed=reply_count("handshakes to the PUB or control socket failed "
                                          "since start: no CURVE, a wrong server key, not "
                                          "ZeroMQ"))),
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


# ---------------------------------------------------------------- FIELDS.md
FIELDS_HEAD = """\
# Frame fields (the contract the C encoders and the JSON Schemas both follow)

Generated from the metric catalogue, schemas/pb_catalog.def, by tests/py/gen_schemas.py
(ctest contract.schema_generated fails when this file differs): edit the catalogue, then run
python3 tests/py/gen_schemas.py. The same table is compiled into the C programs
(schemas/pb_catalog.h), so every name, kind and unit below is written once.

Naming rule, which tells a consumer the kind of every numeric field:

| suffix | kind | meaning |
|---|---|---|
| `_total` | counter | cumulative since boot (or process start); monotonic except on reset |
| `_per_s` | rate | per second over the last interval (`interval_s`) |
| `_pct` | rate | percent over the last interval (CPU) — or, for `mem_pct`, `used_pct` and `cpu_pct_since_start`, a gauge |
| anything else | gauge | value at sample time; units in the name (`_bytes`, `_s`) |

Kinds (a closed set): counter, gauge, rate (derived from the counters named beside it),
attr (identifies or describes, never aggregated), flag (boolean), map, list. Units: bytes,
s, ms, ns, ticks (USER_HZ, `clk_tck` per second), count, %, bytes/s, count/s, 1, Hz.

Rates are absent from the first sample of a series (`first: true`): never 0,
never a spike. A consumer that missed frames recomputes exact averages from the
`_total` counters of the frames either side of the gap. In a frame with `first: false`,
an item of `cores`, `devices` or `interfaces` may still lack its rates: one seen for the
first time, or whose counter went backwards, starts its own series over.

Every str is valid UTF-8: bytes that are not are replaced by U+FFFD, and where the
original bytes matter they come in a `*_raw` bin next to it (README.md, Strings).

The Prometheus column gives the exported name (node_exporter's where node_exporter has the
metric), its labels (@field: the value of that field of the same map) and the factor to
base units; rates are not exported (PromQL's rate() of the counter is the same figure).
"""
NOTES = {"o": "optional", "i": "absent when /proc/PID/io is unreadable",
         "f": "absent when /proc/PID/fd is unreadable",
         "v": "sent only when not valid UTF-8", "g": "also in the gone frame",
         "G": "only in the gone frame"}


def _md_prom(f):
    if not f.prom:
        return ""
    out = f.prom + (f"{{{f.labels}}}" if f.labels else "")
    scale = "1/clk_tck" if f.has("t") else ("" if f.scale == 1 else f"{f.scale:g}")
    return out + (f" × {scale}" if scale else "")


def _md_row(f):
    notes = [NOTES[c] for c in f.flags if c in NOTES]
    if f.kind == "rate":
        notes.insert(0, f"from `{f.counter}`")
    if f.kind == "list" and f.min_items:
        notes.append(f"at least {f.min_items}")
    text = f.help + (f" ({'; '.join(notes)})" if notes else "")
    typ = f.json + ("" if f.group == "" else f", items like {f.group}" if f.kind == "list"
                    else f", fields of {f.group}")
    return f"| {f.kind} | `{f.path}` | {f.unit} | {typ} | {_md_prom(f)} | {text} |"


def fields_md():
    out = [FIELDS_HEAD]
    for frame, row in FRAME_ROWS.items():
        topic = f" — topic `{row['topic']}`" if row["topic"] else " (every frame)"
        name = frame if frame in ("envelope", "prof") else f"`{frame}`"
        out.append(f"## {name}{topic}")
        out.append(f"{row['title']}. {row['help']}".rstrip(" .") + ".\n")
        out.append("| kind | field | unit | type | Prometheus | meaning |")
        out.append("|---|---|---|---|---|---|")
        out.extend(_md_row(f) for f in fields_of(frame))
        out.append("")
    return "\n".join(out) + "\n" + CONTROL_MD


CONTROL_MD = """\
## Control socket (ROUTER; REQ or DEALER clients; one msgpack map per message)
Request `{op, ...}`; reply `{ok: true, ...}` or `{ok: false, error: {code, message}}`.

| op | args | reply |
|---|---|---|
| `system` | – | `sample`: the latest `sys` frame map |
| `process` | `pid` (uint) | `sample`: latest `proc` map if tracked, else a fresh one-shot read (`first: true`, no rates, plus `cpu_pct_since_start` like ps); both with `ts` (ns, when it was read) |
| `watch` | `pid` (uint) or `match` (PCRE2 pattern on comm, ≤ 127 bytes, ≤ 32 in all) | `watching`: {`pids` [uint], `matches` [str], `top` (uint, 0 = off), `all` (bool)} |
| `unwatch` | `pid` or `match` | `watching` as above |
| `targets` | – | `targets`: the built-in agent's targets (cpu, memory, io, config commands; see PROFILING.md), `profile_endpoint`, `profile_pub_endpoint` |
| `health` | – | `status` "ok", `version`, `host`, `src`, `pid`, `uptime_s`, `frames_sent`, `procs_tracked`, `interval_s`, `profile_endpoint`, `max_connections`, `connections_live`, `connections_refused`, `handshakes_denied`, `handshakes_failed` (uint) |

Error codes: `bad_msgpack` (undecodable/truncated), `too_deep`, `too_large` (> 1 MiB or > 4,096 msgpack objects),
`not_a_map`, `missing_op`, `unknown_op`, `bad_arg`, `not_found`, `multipart` (more than one
payload frame), `internal` (the server failed: out of memory, unreadable /proc); profiling
agents add `busy`, `refused`, `timeout`, `crashed` (PROFILING.md); `limit` (a watch request of a new
pattern when 32 are already watched).
"""


# ---------------------------------------------------------------- output
def all_schemas():
    out = {"envelope": envelope(), "sys": sys_schema(), "proc": proc_schema(),
           "hb": hb_schema()}
    out.update(control_schemas())
    return {name: dict({"$schema": DRAFT, "$id": f"{BASE}{name}.schema.json"}, **s)
            for name, s in out.items()}


def render(schema):
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def outputs():
    """{file name in schemas/: text} of every generated file."""
    out = {f"{name}.schema.json": render(schema) for name, schema in all_schemas().items()}
    out["FIELDS.md"] = fields_md()
    return out


def prof_problems(outdir):
    """The hand-written prof.schema.json and the catalogue list the same top-level keys."""
    with open(os.path.join(outdir, "prof.schema.json"), encoding="utf-8") as f:
        prof = json.load(f)
    keys = set(prof["properties"]) | set(prof["$defs"]["result"]["properties"])
    keys.discard("type")
    listed = {f.name for f in fields_of("prof") if f.parent() == ""}
    if keys == listed:
        return []
    return [f"prof.schema.json has {sorted(keys - listed)} that the catalogue lacks, the "
            f"catalogue {sorted(listed - keys)} that the schema lacks"]


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = os.path.normpath(os.path.join(here, "..", "..", "schemas"))
    check = "--check" in argv
    stale = []
    for name, text in outputs().items():
        path = os.path.join(outdir, name)
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old == text:
            continue
        if check:
            stale.append(path)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"wrote {path}")
    problems = prof_problems(outdir)
    if stale:
        problems.append("stale (run tests/py/gen_schemas.py): " + ", ".join(stale))
    if problems:
        print("FAIL: " + "\nFAIL: ".join(problems))
        print("0 passed, 1 failed")
        return 1
    if check:
        print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
