#!/usr/bin/python3
"""subscriber.bad_input: malformed requests and garbage frames never hurt perfbus-sub.

1. The query socket answers the control socket's catalogue of malformed
   requests (and the subscriber's own bad arguments) with {ok: false, error}
   carrying the documented code, valid against reply.error.schema.json.
2. Garbage published on the bus (not msgpack, truncated, too deep, not a map,
   no envelope, wrong part counts, 2 MiB of junk) is counted in `stats` and
   dropped; the recorder stores only the valid frames; health stays ok.
"""

import time

import pbsub
import pbtest
import read_run
from test_control_bad_requests import nested, pack

CASES = [
    ("bytes that are not msgpack", [b"\xc1\x00\x01"], "req", "bad_msgpack"),
    ("a truncated map", [pack({"op": "health", "x": "yz"})[:-2]], "req", "bad_msgpack"),
    ("two msgpack objects in one message", [pack({"op": "health"}) * 2], "req", "bad_msgpack"),
    ("an empty message", [b""], "req", "bad_msgpack"),
    ("a msgpack array", [pack(["op", "health"])], "req", "not_a_map"),
    ("a msgpack int", [pack(42)], "req", "not_a_map"),
    ("a map without op", [pack({"pid": 1})], "req", "missing_op"),
    ("an op that is not a string", [pack({"op": 7})], "req", "missing_op"),
    ("an unknown op", [pack({"op": "frobnicate"})], "req", "unknown_op"),
    ("history with a string pid", [pack({"op": "history", "pid": "42"})], "req", "bad_arg"),
    ("history with a negative pid", [pack({"op": "history", "pid": -5})], "req", "bad_arg"),
    ("summary with last = 0", [pack({"op": "summary", "last": 0})], "req", "bad_arg"),
    ("summary with last as text", [pack({"op": "summary", "last": "1h"})], "req", "bad_arg"),
    ("summary with from > to", [pack({"op": "summary", "from": 9, "to": 1})], "req", "bad_arg"),
    ("history with numeric fields", [pack({"op": "history", "fields": [1]})], "req", "bad_arg"),
    ("processes with a pid", [pack({"op": "processes", "pid": 1})], "req", "bad_arg"),
    ("history of an unknown pid", [pack({"op": "history", "pid": 999999})], "req", "not_found"),
    ("summary of an unknown host", [pack({"op": "summary", "host": "nope"})], "req",
     "not_found"),
    ("a 70-deep nested array", [pack(nested(70))], "req", "too_deep"),
    ("a 2 MiB payload", [pack({"op": "health", "pad": b"x" * (2 << 20)})], "req", "too_large"),
    ("a multipart message (DEALER)", [pack({"op": "health"}), pack({"op": "health"})], "dealer",
     "multipart"),
    ("a bad request from a DEALER without delimiter", [b"\xc1"], "dealer_raw", "bad_msgpack"),
]


def good_frame(seq):
    return {"v": 1, "type": "sys", "host": "garbage.test", "src": "py-src", "seq": seq,
            "ts": time.time_ns(), "uptime_s": float(seq), "mem": {"used_bytes": 1000 + seq}}


GARBAGE = [  # (what, message parts, stats counter it lands in)
    ("not msgpack", [b"sys.x", b"\xc1\xc1"], "decode_errors"),
    ("truncated msgpack", [b"sys.x", pack(good_frame(0))[:-3]], "decode_errors"),
    ("trailing bytes", [b"sys.x", pack(good_frame(0)) + b"\x00"], "decode_errors"),
    ("100-deep nesting", [b"sys.x", pack(nested(100))], "decode_errors"),
    ("2 MiB of junk", [b"sys.x", b"\xc1" * (2 << 20)], "decode_errors"),
    ("an array", [b"sys.x", pack([1, 2, 3])], "envelope_errors"),
    ("a map without envelope", [b"sys.x", pack({"cpu": 1})], "envelope_errors"),
    ("seq as a string", [b"sys.x", pack({**good_frame(0), "seq": "1"})], "envelope_errors"),
    ("negative ts", [b"sys.x", pack({**good_frame(0), "ts": -1})], "envelope_errors"),
    ("one part", [b"sys.x"], "bad_messages"),
    ("three parts", [b"sys.x", pack(good_frame(0)), b"extra"], "bad_messages"),
]


def check_catalogue(r, bench, contract):
    for what, parts, kind, code in CASES:
        reply_parts = bench.send_raw(parts, kind)
        if not r.check(reply_parts is not None and len(reply_parts) == 1,
                       f"{what}: one reply", str(reply_parts)[:100]):
            continue
        reply = pbtest.unpack(reply_parts[0])
        errs = contract.errors("reply.error", reply)
        r.check(not errs, f"{what}: valid error reply", "; ".join(errs[:2]) + str(reply)[:200])
        got = reply.get("error", {}).get("code") if isinstance(reply, dict) else None
        r.check(got == code, f"{what}: code {code}", f"got {got!r}")


def main():
    r = pbtest.Results("subscriber.bad_input")
    contract = pbtest.Contract()
    with pbsub.Bench() as bench:
        pub = bench.ctx.socket(pbtest.zmq.PUB)
        pub.setsockopt(pbtest.zmq.SNDHWM, 0)
        pub.bind(bench.pub)
        sub = bench.sub("--record", "--flush-ms", "100")
        seq = 0
        while bench.request({"op": "stats"}).get("frames", 0) == 0:  # slow joiner
            pub.send_multipart([b"sys.garbage_test", pack(good_frame(seq))])
            seq += 1
            time.sleep(0.05)
        base = bench.request({"op": "stats"})
        want = {k: base.get(k, 0) for k in ("decode_errors", "envelope_errors", "bad_messages")}
        for what, parts, counter in GARBAGE:
            pub.send_multipart(parts)
            want[counter] += 1
        pub.send_multipart([b"sys.garbage_test", pack(good_frame(seq))])
        stats = bench.wait_for(lambda s: s.get("frames", 0) >= base["frames"] + 10, timeout=10)
        time.sleep(0.3)  # the one-part and three-part messages are not frames
        stats = bench.request({"op": "stats"})
        for key, value in want.items():
            r.check(stats.get(key) == value, f"stats.{key} counts the garbage",
                    f"{stats.get(key)} != {value}")
        r.check(sub.alive(), "perfbus-sub survives the garbage frames", sub.stderr())
        summary = bench.request({"op": "summary", "fields": "uptime_s"})
        count = summary.get("summary", {}).get("uptime_s", {}).get("count")
        r.check(count == base["frames"] + 1, "only the valid frames are in the history",
                f"count {count}, valid frames received {base['frames'] + 1}")
        r.check(stats.get("lost") == 0, "garbage is not counted as loss", str(stats.get("lost")))

        check_catalogue(r, bench, contract)
        health = bench.request({"op": "health"})
        r.check(health.get("status") == "ok", "health ok after everything", str(health)[:200])
        r.check(sub.stop() == 0, "perfbus-sub exits 0", sub.stderr())
        meta, records, problems = read_run.read_run(bench.run_dirs()[0])
        r.check(len(records) == base["frames"] + 1 and not problems,
                "the recorder stored only the valid frames",
                f"{len(records)} records, {base['frames'] + 1} valid, {problems}")
        pub.close()
    r.finish()


if __name__ == "__main__":
    main()
