#!/bin/sh
# bench.smoke: every pb-bench command end to end over real ipc sockets; checks counts, never timings.
set -eu
: "${PB_BUILD:?run through ctest (PB_BUILD is the build directory)}"
PB="$PB_BUILD/bench/pb-bench"
for f in "$PB" "$PB_BUILD/publisher/perfbusd" "$PB_BUILD/subscriber/perfbus-sub"; do
    [ -x "$f" ] || { echo "FAIL: $f is missing" >&2; exit 1; }
done
T=$(mktemp -d /tmp/bench-smoke.XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null || true; done; rm -rf "$T"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
kv() { tr ' ' '\n' <"$2" | sed -n "s/^$1=//p" | head -n 1; }

"$PB_BUILD/publisher/perfbusd" --pub "ipc://$T/pd" --control "ipc://$T/pc" --interval 0.1 \
    --top 3 2>"$T/pd.log" &
PIDS="$PIDS $!"
"$PB" capture --from "ipc://$T/pd" --out "$T/frames.bin" --seconds 1 >"$T/cap"
[ "$(kv captured "$T/cap")" -ge 2 ] || fail "capture kept fewer than 2 frames"
echo "ok: captured $(kv captured "$T/cap") frames from perfbusd"

"$PB" blast --templates "$T/frames.bin" --bind "ipc://$T/b1" --endpoint-file "$T/ep1" \
    --seconds 3 >"$T/blast1" &
PIDS="$PIDS $!"
"$PB" sink --connect "ipc://$T/b1" --seconds 1 >"$T/sink"
[ "$(kv frames "$T/sink")" -gt 0 ] || fail "the sink received nothing"
[ "$(cat "$T/ep1")" = "ipc://$T/b1" ] || fail "endpoint file holds $(cat "$T/ep1")"
echo "ok: raw sink received $(kv frames "$T/sink") frames"

"$PB" blast --templates "$T/frames.bin" --bind "ipc://$T/b2" --seconds 3 >"$T/blast2" &
PIDS="$PIDS $!"
"$PB_BUILD/subscriber/perfbus-sub" --connect "ipc://$T/b2" --query "ipc://$T/q2" 2>"$T/sub.log" &
SUB=$!
PIDS="$PIDS $SUB"
"$PB" watch --query "ipc://$T/q2" --pid $SUB --skip 0.5 --seconds 1 >"$T/watch"
[ "$(kv frames "$T/watch")" -gt 0 ] || fail "perfbus-sub took no frames"
[ "$(kv lost "$T/watch")" = 0 ] || fail "frames lost despite XPUB_NODROP: $(cat "$T/watch")"
[ "$(kv decode_errors "$T/watch")" = 0 ] || fail "perfbus-sub could not decode the templates"
echo "ok: perfbus-sub took $(kv frames "$T/watch") frames, none lost or undecodable"

"$PB_BUILD/subscriber/perfbus-sub" --connect "ipc://$T/f" --query "ipc://$T/qf" 2>"$T/subf.log" &
PIDS="$PIDS $!"
"$PB" fill --templates "$T/frames.bin" --procs 5 --bind "ipc://$T/f" --query "ipc://$T/qf" \
    --history-s 30 >"$T/fill"
[ "$(kv frames "$T/fill")" = 180 ] || fail "fill: $(cat "$T/fill") (want 30 ticks x 6 frames)"
echo "ok: filled 30 s of history for 5 processes"

for raw in "" "--raw yes"; do
    # shellcheck disable=SC2086
    "$PB" latency --templates "$T/frames.bin" --ipc-dir "$T" --rate 1000 --seconds 0.5 $raw \
        >"$T/lat"
    [ "$(kv received "$T/lat")" = 500 ] || fail "latency ${raw:-sub}: $(cat "$T/lat")"
done
echo "ok: latency runs received every frame"

# CURVE on tcp (make bench's "tcp CURVE vs plain" rows): the blaster is the server.
mkdir "$T/keys"
for k in pub sub; do
    "$PB_BUILD/cli/perfbus" keygen $k --dir "$T/keys" >/dev/null || fail "perfbus keygen $k"
done
"$PB" blast --templates "$T/frames.bin" --bind "tcp://127.0.0.1:*" --endpoint-file "$T/ep3" \
    --curve-secret "$T/keys/pub" --seconds 4 >"$T/blast3" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/ep3" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$PB_BUILD/subscriber/perfbus-sub" --connect "$(cat "$T/ep3")" --curve-secret "$T/keys/sub" \
    --curve-server-key "$T/keys/pub" --query "ipc://$T/q3" 2>"$T/sub3.log" &
SUB=$!
PIDS="$PIDS $SUB"
"$PB" watch --query "ipc://$T/q3" --pid $SUB --skip 0.5 --seconds 1 >"$T/watch3"
[ "$(kv frames "$T/watch3")" -gt 0 ] || fail "perfbus-sub took no frames over CURVE"
[ "$(kv lost "$T/watch3")" = 0 ] || fail "frames lost over CURVE: $(cat "$T/watch3")"
echo "ok: perfbus-sub took $(kv frames "$T/watch3") frames from a CURVE blaster"
for raw in "" "--raw yes"; do
    # shellcheck disable=SC2086
    "$PB" latency --templates "$T/frames.bin" --rate 1000 --seconds 0.5 $raw \
        --curve-secret "$T/keys/pub" --curve-client "$T/keys/sub" >"$T/lat"
    [ "$(kv received "$T/lat")" = 500 ] || fail "latency CURVE ${raw:-sub}: $(cat "$T/lat")"
done
echo "ok: latency runs over tcp with CURVE received every frame"
"$PB" latency --templates "$T/frames.bin" --curve-secret "$T/keys/pub" >/dev/null 2>&1 &&
    fail "latency with a server certificate and no client one succeeded"

mkdir "$T/store"
"$PB" record --templates "$T/frames.bin" --store "$T/store" --seconds 0.5 >"$T/rec"
[ "$(kv write_frames "$T/rec")" = "$(kv read_frames "$T/rec")" ] || fail "record: $(cat "$T/rec")"
[ "$(kv write_frames "$T/rec")" = "$(kv raw_read_frames "$T/rec")" ] || fail "raw: $(cat "$T/rec")"
echo "ok: recorder and reader agree on $(kv write_frames "$T/rec") frames"

"$PB" latency --rate 1000 >/dev/null 2>&1 && fail "latency without --templates succeeded"
"$PB" blast --templates /nonexistent --bind "ipc://$T/x" >/dev/null 2>&1 && fail "bad templates"
"$PB" nosuchcommand >/dev/null 2>&1 && fail "an unknown command succeeded"
echo "ok: bad usage is refused"
