#!/bin/sh
# `make demo`: runs the whole perfbus pipeline on this machine and says where the reports are.
#   perfbusd (samples /proc, hosts built-in profiling targets)
#   perfbus-demo (an application linking libperfbus, with a request loop)
#   perfbus-sub --record (history, summaries, and a stored run)
#   perfbus profile/arm over request/reply, then perfbus-report -> out/report.pdf + .html
# Everything listens on ipc endpoints in a private temp dir, so the demo never
# collides with a perfbus already running on the default ports.
set -eu
BUILD=${1:-build}
BIN=$(cd "$BUILD" && pwd)
OUT=$(pwd)/out
RUN=$(mktemp -d /tmp/perfbus-demo.XXXXXX)
STORE="$RUN/store"
PIDS=""
PERFBUS="$BIN/cli/perfbus"

cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    rm -rf "$RUN"
}
trap cleanup EXIT INT TERM

# wait_for FILE PATTERN WHAT: waits up to 10 s for PATTERN in FILE.
wait_for() {
    for _ in $(seq 100); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "demo: $3 did not start; its output:" >&2
    cat "$1" >&2
    exit 1
}

step() { printf '\n== %s\n' "$*"; }

mkdir -p "$OUT"
step "perfbusd: system every 0.5 s, the 5 busiest processes and the demo application"
"$BIN/publisher/perfbusd" --pub "ipc://$RUN/pub" --control "ipc://$RUN/ctl" \
    --profile "ipc://$RUN/prof" --profile-pub "ipc://$RUN/prof-pub" \
    --interval 0.5 --top 5 --match '^perfbus-demo$' --command "archive-docs tar -cf /dev/null -C / usr/share/doc" \
    2>"$RUN/perfbusd.log" &
PIDS="$PIDS $!"
wait_for "$RUN/perfbusd.log" "perfbusd: ready" perfbusd

step "perfbus-demo: an application linking libperfbus"
"$BIN/examples/perfbus-demo" --endpoint "ipc://$RUN/app" --pub "ipc://$RUN/app-pub" \
    >"$RUN/demo.out" 2>&1 &
PIDS="$PIDS $!"
wait_for "$RUN/demo.out" "^pub " perfbus-demo

step "perfbus-sub: aggregating and recording the three publishers into $STORE"
"$BIN/subscriber/perfbus-sub" --connect "ipc://$RUN/pub" --connect "ipc://$RUN/prof-pub" \
    --connect "ipc://$RUN/app-pub" --query "ipc://$RUN/query" --record --store "$STORE" \
    --flush-ms 500 2>"$RUN/sub.log" &
SUB=$!
PIDS="$PIDS $SUB"
wait_for "$RUN/sub.log" "ready" perfbus-sub
START=$(date +%s)

step "perfbus tail: a few live frames"
"$PERFBUS" tail --endpoint "ipc://$RUN/pub" --count 5 --timeout 5000

step "perfbus system"
"$PERFBUS" system --endpoint "ipc://$RUN/ctl"

step "perfbus targets (perfbusd's built-in agent)"
"$PERFBUS" targets --endpoint "ipc://$RUN/prof"

APP="--endpoint ipc://$RUN/app"
step "perfbus targets (the demo application)"
"$PERFBUS" targets $APP

step "perfbus profile split: sampling at 1 kHz wall clock (A burns ~70 %, B ~30 %)"
"$PERFBUS" profile split --runs 5 --max-seconds 5 --mode sampling --clock wall --hz 1000 \
    --top 8 $APP --speedscope "$OUT/split.speedscope.json" --folded "$OUT/split.folded"

step "perfbus profile fib: tracing (exact calls, recursion counted as cProfile does)"
"$PERFBUS" profile fib --runs 2 --mode tracing --top 6 $APP

step "perfbus profile memory and io: detailed (RSS, faults, I/O bytes per run)"
"$PERFBUS" profile memory --runs 2 --mode detailed $APP
"$PERFBUS" profile io --runs 2 --mode detailed $APP

step "perfbus arm request: the next 200 executions of the request handler"
"$PERFBUS" arm request --count 200 --clock wall --hz 2000 --wait --top 6 $APP

step "perfbus profile archive-docs: a command target of perfbusd, as a child process"
"$PERFBUS" profile archive-docs --runs 3 --mode detailed --endpoint "ipc://$RUN/prof"

step "perfbus simulate cpu: load for the samplers to see"
"$PERFBUS" simulate cpu --seconds 3 --endpoint "ipc://$RUN/prof"

# Record about 20 s in all.
LEFT=$((20 - ($(date +%s) - START)))
[ "$LEFT" -gt 0 ] && sleep "$LEFT"

step "perfbus summary (perfbus-sub, last 10 s) and stats"
"$PERFBUS" summary --last 10 --endpoint "ipc://$RUN/query" --field cpu.total.busy_pct \
    --field mem.used_bytes --field disk.total.write_bytes_per_s --field net.total.rx_bytes_per_s
"$PERFBUS" stats --endpoint "ipc://$RUN/query"

kill -TERM "$SUB"
wait "$SUB" || true
step "perfbus runs"
"$PERFBUS" runs --store "$STORE"

step "perfbus-report: PDF and HTML of the recorded run"
"$BIN/reporter/perfbus-report" --store "$STORE" --format pdf,html --out "$OUT/report.pdf"

printf '\ndemo: reports written:\n  %s\n  %s\nprofiles: %s %s\n' "$OUT/report.pdf" \
    "$OUT/report.html" "$OUT/split.speedscope.json" "$OUT/split.folded"
