#!/usr/bin/python3
"""contract.schema_examples: the JSON Schemas against hand-written frames (no daemon).

Checks that every schema is valid draft 2020-12, that every example in
tests/py/examples/ validates, that deliberately broken copies of them do not,
that every numeric field carries a kind (counter/gauge/rate/attr) consistent
with the naming rule of FIELDS.md, and that every field, op and error code
named in FIELDS.md has a schema.
"""

import copy
import json
import os
import re

import gen_schemas
import pbtest

DELETE = object()
# _pct fields that are gauges, and cumulative fields without _total (FIELDS.md).
GAUGE_PCT = {"used_pct", "mem_pct", "cpu_pct_since_start"}
COUNTER_NOT_TOTAL = {"frames_sent"}
# Words FIELDS.md puts in backticks that are not field names.
PROSE = {"and", "envelope", "false", "true", "the", "names", "same", "with", "uint", "lo",
         "sys", "proc", "hb", "total", "cores", "devices", "interfaces", "match"}


def mutate(instance, path, value):
    out = copy.deepcopy(instance)
    node = out
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


# (example file, path, new value or DELETE, should it still be valid?, why)
MUTATIONS = [
    ("sys~first.json", ("cpu", "total", "user_pct"), 1.0, False, "rate on a first frame"),
    ("sys~first.json", ("net", "interfaces", 1, "rx_bytes_per_s"), 1.0, False,
     "rate in an array item of a first frame"),
    ("sys~first.json", ("ctxt_per_s",), 1.0, False, "top-level rate on a first frame"),
    ("sys.json", ("cpu", "total", "busy_pct"), DELETE, False, "rate missing, first false"),
    ("sys.json", ("cpu", "cores", 1, "idle_pct"), DELETE, False, "core rate missing"),
    ("sys.json", ("disk", "devices", 0, "util_pct"), DELETE, False, "disk rate missing"),
    ("sys.json", ("first",), True, False, "first: true with rates"),
    ("sys.json", ("net", "interfaces", 0, "rx_bytes_total"), DELETE, False,
     "counter missing"),
    ("sys.json", ("mem", "used_bytes"), DELETE, False, "gauge missing"),
    ("sys.json", ("seq",), -1, False, "negative seq"),
    ("sys.json", ("seq",), 7.0, False, "float where the wire needs an integer"),
    ("sys.json", ("ts",), 1795000000, False, "ts in seconds, not ns"),
    ("sys.json", ("v",), 2, False, "unknown wire version"),
    ("sys.json", ("type",), "proc", False, "wrong type"),
    ("sys.json", ("host",), "", False, "empty host"),
    ("sys.json", ("src",), DELETE, False, "envelope key missing"),
    ("sys.json", ("cpu", "total", "idle_pct"), 100.5, False, "system % above 100"),
    ("sys.json", ("cpu", "total", "usr_pct"), 1.0, False, "misspelt rate (closed object)"),
    ("sys.json", ("extra",), 1, False, "undocumented top-level key"),
    ("sys.json", ("cpu", "cores"), [], False, "no cores"),
    ("sys.json", ("cpu", "cores", 0, "id"), DELETE, False, "core without id"),
    ("sys.json", ("mem", "used_bytes"), "1", False, "number sent as a string"),
    ("sys.json", ("mem", "used_pct"), 101.0, False, "memory % above 100"),
    ("sys.json", ("load", "runnable"), 2.5, False, "fractional count"),
    ("sys.json", ("disk", "devices"), [], True, "a machine without disks"),
    ("sys.json", ("load", "avg1"), 3, True, "an integral float may arrive as int"),
    ("proc.json", ("cpu_pct",), 250.0, True, "process CPU above 100 (threads)"),
    ("proc.json", ("cpu_pct",), -1.0, False, "negative CPU"),
    ("proc.json", ("read_bytes_total",), DELETE, False, "io counters are all or none"),
    ("proc.json", ("read_bytes_per_s",), DELETE, False, "io rate missing with counter"),
    ("proc.json", ("vol_ctxsw_per_s",), DELETE, False, "rate missing"),
    ("proc.json", ("fds",), DELETE, True, "fds absent when unreadable"),
    ("proc.json", ("state",), "sleeping", False, "state is one letter"),
    ("proc.json", ("nice",), 25, False, "nice out of range"),
    ("proc.json", ("nice",), -5, True, "negative nice"),
    ("proc.json", ("comm",), b"postgres", False, "bin where a str is needed"),
    ("proc.json", ("gone",), True, False, "live fields with gone"),
    ("proc.json", ("pid",), 0, False, "pid 0"),
    ("proc~noio.json", ("read_bytes_per_s",), 1.0, False, "io rate without its counter"),
    ("proc~first.json", ("cpu_pct",), 0.0, False, "rate on a first frame, even 0"),
    ("proc~gone.json", ("rss_bytes",), 1, False, "gone frame carries only pid and comm"),
    ("proc~gone.json", ("gone",), False, False, "gone must be true"),
    ("proc~gone.json", ("comm",), DELETE, False, "gone without comm"),
    ("hb.json", ("pid",), DELETE, False, "hb without pid"),
    ("hb.json", ("frames_sent",), -3, False, "negative counter"),
    ("request.process.json", ("pid",), -1, False, "negative pid"),
    ("request.process.json", ("pid",), "42", False, "pid as a string"),
    ("request.process.json", ("pid",), DELETE, False, "process without pid"),
    ("request.watch.json", ("match",), "x", False, "watch with both pid and match"),
    ("request.watch~match.json", ("match",), DELETE, False, "watch with neither"),
    ("request.health.json", ("op",), "healthz", False, "unknown op"),
    ("reply.error.json", ("error", "code"), "oops", False, "undocumented error code"),
    ("reply.error.json", ("error", "message"), "", False, "empty error message"),
    ("reply.error.json", ("ok",), True, False, "error reply with ok true"),
    ("reply.health.json", ("status",), "degraded", False, "health status not ok"),
    ("reply.health.json", ("src",), DELETE, False, "health without src"),
    ("reply.watch.json", ("watching", "pids"), [1, 1], False, "duplicate pids"),
    ("reply.system.json", ("sample", "type"), "hb", False, "system sample not a sys frame"),
    ("reply.process.json", ("sample",), None, False, "sample missing"),
    ("reply.process.json", ("sample", "seq"), 3, False, "process sample with an envelope key"),
    ("reply.process.json", ("sample", "gone"), True, False, "process sample of a gone pid"),
    ("reply.process~oneshot.json", ("sample", "cpu_pct"), 1.0, False, "one-shot with a rate"),
    ("reply.watch.json", ("watching", "top"), 5, True, "watching with the top setting"),
    ("reply.watch.json", ("watching", "all"), 1, False, "watching all not a bool"),
    ("reply.targets.json", ("targets",), {}, False, "targets not a list"),
]


def check_metaschema(r, contract):
    for name, schema in contract.schemas.items():
        try:
            pbtest.StrictValidator.check_schema(schema)
            r.check(True, name)
        except pbtest.jsonschema.SchemaError as e:
            r.check(False, f"{name}.schema.json is not valid draft 2020-12", e.message)
        r.check(schema.get("$id") == f"{pbtest.SCHEMA_BASE}{name}.schema.json",
                f"{name}: $id matches the file name", schema.get("$id"))


def check_examples(r, contract, examples):
    for fn, (schema, inst) in examples.items():
        errs = contract.errors(schema, inst)
        r.check(not errs, f"example {fn} is valid for {schema}", "; ".join(errs[:5]))
        frame = inst.get("sample", inst)
        fname = "proc" if schema == "reply.process" else schema
        if fname in ("sys", "proc", "reply.system") and "first" in frame:
            fname = "sys" if fname == "reply.system" else fname
            probs = pbtest.rate_problems(contract, fname, frame)
            r.check(not probs, f"example {fn}: rates follow first", "; ".join(probs[:5]))


def check_mutations(r, contract, examples):
    for fn, path, value, valid, why in MUTATIONS:
        schema, inst = examples[fn]
        bad = mutate(inst, path, value)
        errs = contract.errors(schema, bad)
        want = "valid" if valid else "rejected"
        r.check(bool(errs) != valid, f"{fn} with {'/'.join(map(str, path))} "
                f"{'deleted' if value is DELETE else '= ' + repr(value)} is {want} ({why})",
                "; ".join(errs[:3]) if errs else "schema accepted it")
    # The annotation-driven rate check (used on live frames) must see the same drift.
    schema, inst = examples["sys~first.json"]
    probs = pbtest.rate_problems(contract, "sys", mutate(inst, ("cpu", "cores", 1, "busy_pct"),
                                                         5.0))
    r.check(len(probs) == 1, "rate_problems flags a rate on a first frame", str(probs))
    schema, inst = examples["proc.json"]
    probs = pbtest.rate_problems(contract, "proc", mutate(inst, ("wchar_per_s",), DELETE))
    r.check(len(probs) == 1, "rate_problems flags a missing io rate", str(probs))


def object_schemas(node, path=""):
    """Yields (path, object schema) for every schema with properties, in any nesting."""
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            yield path, node
        for key, sub in node.items():
            yield from object_schemas(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from object_schemas(sub, f"{path}/{i}")


def expected_kind(name):
    if name.endswith("_total") or name in COUNTER_NOT_TOTAL:
        return "counter"
    if name.endswith("_per_s"):
        return "rate"
    if name.endswith("_pct"):
        return "gauge" if name in GAUGE_PCT else "rate"
    return None  # gauge or attr


def check_kind(r, where, name, spec, required):
    kind = spec.get("x-kind")
    if spec.get("type") not in ("integer", "number") and kind is None:
        return
    r.check(kind in ("counter", "gauge", "rate", "attr"), f"{where}: has x-kind", str(kind))
    want = expected_kind(name)
    r.check(want is None and kind in ("gauge", "attr") or kind == want,
            f"{where}: kind {kind} follows the naming rule", f"expected {want}")
    r.check(spec.get("description", "").startswith(f"{kind}:"),
            f"{where}: description starts with '{kind}:'", spec.get("description", ""))
    if kind in ("counter", "gauge", "rate"):
        r.check(bool(spec.get("x-unit")), f"{where}: has x-unit")
    optional = kind == "rate" or "x-absent-when" in spec or name == "cpu_pct_since_start"
    if required is not None:
        r.check((name in required) != optional,
                f"{where}: {'optional' if optional else 'required'} as its kind says")


def check_kinds(r, contract):
    for sname in ("sys", "proc", "hb", "reply.health"):
        for path, obj in object_schemas(contract.schemas[sname]):
            if path.endswith(("_first", "_later", "_sample")):
                continue  # the rate rules repeat names without types
            required = obj.get("required") if "_first" not in path else None
            for name, spec in obj["properties"].items():
                if isinstance(spec, dict):
                    check_kind(r, f"{sname}{path}/{name}", name, spec, required)


def all_property_names(contract):
    names = set()
    for schema in contract.schemas.values():
        for _, obj in object_schemas(schema):
            names.update(obj["properties"])
    return names


def check_fields_md(r, contract):
    """Every field, op and error code FIELDS.md names has a place in the schemas."""
    with open(os.path.join(pbtest.SOURCE, "schemas", "FIELDS.md"), encoding="utf-8") as f:
        text = f.read()
    codes = set(re.findall(r"`([a-z_]+)`", text.split("Error codes:", 1)[1]))
    enum = set(contract.schemas["reply.error"]["properties"]["error"]["properties"]["code"]
               ["enum"])
    r.check(codes == enum, "error codes match FIELDS.md", f"FIELDS {codes} schema {enum}")
    ops = re.findall(r"^\| `([a-z]+)` \|", text, re.M)
    r.check(len(ops) >= 6, "FIELDS.md lists the control ops", str(ops))
    for op in ops:
        for side in ("request", "reply"):
            r.check(f"{side}.{op}" in contract.schemas, f"schema {side}.{op} exists")
    names = all_property_names(contract) | set(ops) | codes | PROSE
    for span in re.findall(r"`([^`]*)`", text, re.S):
        for tok in re.split(r"[\s,{}\[\]():]+", span):
            if re.fullmatch(r"[a-z][a-z0-9_]*", tok):
                r.check(tok in names, f"FIELDS.md name '{tok}' is in a schema")


def check_readme(r, contract):
    """Every ```json block tagged <!-- schema: NAME --> in schemas/README.md is valid."""
    with open(os.path.join(pbtest.SOURCE, "schemas", "README.md"), encoding="utf-8") as f:
        text = f.read()
    blocks = re.findall(r"<!-- schema: ([a-z.*]+) -->\n```json\n(.*?)\n```", text, re.S)
    r.check(len(blocks) >= 10, "README.md has tagged examples", str(len(blocks)))
    for schema, body in [b for b in blocks if b[0] == "request.*"]:
        for line in body.splitlines():  # one request per line, each to its op's schema
            req = json.loads(line)
            errs = contract.errors(f"request.{req.get('op')}", req)
            r.check(not errs, f"README request {line} is valid", "; ".join(errs[:3]))
    blocks = [b for b in blocks if b[0] != "request.*"]
    for i, (schema, body) in enumerate(blocks):
        try:
            inst = json.loads(body)
        except ValueError as e:
            r.check(False, f"README example {i + 1} ({schema}) is JSON", str(e))
            continue
        errs = contract.errors(schema, inst)
        r.check(not errs, f"README example {i + 1} valid for {schema}", "; ".join(errs[:5]))
    r.check("## Stored runs\n\nsee STORAGE.md" in text, "README points to STORAGE.md")


def main():
    r = pbtest.Results("contract.schema_examples")
    contract = pbtest.Contract()
    examples = pbtest.load_examples()
    r.check(len(examples) >= 20, "examples present", str(len(examples)))
    for name in gen_schemas.all_schemas():  # other schemas (prof...) have their own tests
        if name != "envelope":
            r.check(any(s == name for s, _ in examples.values()), f"an example for {name}")
    check_metaschema(r, contract)
    check_examples(r, contract, examples)
    check_mutations(r, contract, examples)
    check_kinds(r, contract)
    check_fields_md(r, contract)
    check_readme(r, contract)
    r.finish()


if __name__ == "__main__":
    main()
