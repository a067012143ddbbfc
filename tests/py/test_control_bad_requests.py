#!/usr/bin/python3
"""contract.control_bad_requests: every malformed request gets an error reply, never silence.

Over a real ipc:// socket, sends perfbusd requests that are not msgpack, not a
map, too deep, too large, multipart, or name a bad op or argument. Each must
be answered {ok: false, error: {code, message}} with the code FIELDS.md gives,
valid against reply.error.schema.json; the daemon must stay up, answer health,
answer a DEALER client that sends no empty delimiter, and exit 0 on SIGTERM.
"""

import subprocess

import msgpack

import pbtest


def pack(obj):
    return msgpack.packb(obj, use_bin_type=True)


def nested(depth):
    value = []
    for _ in range(depth - 1):
        value = [value]
    return value


def gone_pid():
    """A pid that no longer exists: a child that has been reaped."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


# (what, message parts, socket kind, expected error code)
CASES = [
    ("bytes that are not msgpack (0xc1 is never used)", [b"\xc1\x00\x01"], "req", "bad_msgpack"),
    ("a truncated map", [pack({"op": "health", "x": "yz"})[:-2]], "req", "bad_msgpack"),
    ("a map header with no entries", [b"\x82"], "req", "bad_msgpack"),
    ("two msgpack objects in one message", [pack({"op": "health"}) * 2], "req", "bad_msgpack"),
    ("an empty message", [b""], "req", "bad_msgpack"),
    ("a msgpack array", [pack(["op", "health"])], "req", "not_a_map"),
    ("a msgpack str", [pack("health")], "req", "not_a_map"),
    ("a msgpack int", [pack(42)], "req", "not_a_map"),
    ("a msgpack nil", [pack(None)], "req", "not_a_map"),
    ("a map without op", [pack({"pid": 1})], "req", "missing_op"),
    ("an unknown op", [pack({"op": "frobnicate"})], "req", "unknown_op"),
    ("process without pid", [pack({"op": "process"})], "req", "bad_arg"),
    ("process with a negative pid", [pack({"op": "process", "pid": -5})], "req", "bad_arg"),
    ("process with a string pid", [pack({"op": "process", "pid": "42"})], "req", "bad_arg"),
    ("process with a float pid", [pack({"op": "process", "pid": 1.5})], "req", "bad_arg"),
    ("process of a pid that exited", [pack({"op": "process", "pid": gone_pid()})], "req",
     "not_found"),
    ("watch with a bad regex", [pack({"op": "watch", "match": "(unclosed"})], "req", "bad_arg"),
    ("watch with neither pid nor match", [pack({"op": "watch"})], "req", "bad_arg"),
    ("a 70-deep nested array", [pack(nested(70))], "req", "too_deep"),
    ("a 70-deep array inside a request", [pack({"op": "health", "x": nested(70)})], "req",
     "too_deep"),
    ("a 2 MiB payload", [pack({"op": "health", "pad": b"x" * (2 << 20)})], "req", "too_large"),
    ("a multipart message (DEALER, two payload frames)",
     [pack({"op": "health"}), pack({"op": "health"})], "dealer", "multipart"),
    ("a bad request from a DEALER without delimiter", [b"\xc1"], "dealer_raw", "bad_msgpack"),
]


def check_error_reply(r, contract, what, parts, code):
    if not r.check(parts is not None, f"{what}: answered", "no reply within 5 s"):
        return
    if not r.check(len(parts) == 1, f"{what}: single-part reply", f"{len(parts)} parts"):
        return
    try:
        reply = pbtest.unpack(parts[0])
    except Exception as e:  # noqa: BLE001 - any decode failure is the finding
        r.check(False, f"{what}: reply decodes as msgpack", repr(e))
        return
    errs = contract.errors("reply.error", reply)
    r.check(not errs, f"{what}: reply is a valid error reply", "; ".join(errs[:3]) +
            f" (reply: {str(reply)[:200]})")
    got = reply.get("error", {}).get("code") if isinstance(reply, dict) else None
    r.check(got == code, f"{what}: error code {code}", f"got {got!r}")


def check_health(r, daemon, kind, label):
    try:
        reply = daemon.request({"op": "health"}, kind=kind)
    except RuntimeError as e:
        r.check(False, f"health {label}", str(e))
        return
    r.check(reply.get("ok") is True and reply.get("status") == "ok", f"health {label}",
            str(reply)[:200])


def main():
    r = pbtest.Results("contract.control_bad_requests")
    contract = pbtest.Contract()
    with pbtest.Daemon("--host", "bad-requests.test") as daemon:
        check_health(r, daemon, "req", "answers before the bad requests")
        daemon.check_alive(r)
        for what, parts, kind, code in CASES:
            check_error_reply(r, contract, what, daemon.send_raw(parts, kind), code)
            daemon.check_alive(r)
        check_health(r, daemon, "req", "still answers after all bad requests")
        check_health(r, daemon, "dealer", "answers a DEALER with the empty delimiter")
        check_health(r, daemon, "dealer_raw", "answers a DEALER without the empty delimiter")
        pbtest.stop_and_check(daemon, r)
    r.finish()


if __name__ == "__main__":
    main()
