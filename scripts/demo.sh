#!/bin/sh
# `make demo`: runs perfbus end to end on this machine and says where the results are.
# Everything listens on ipc endpoints in a private temp dir, so the demo never
# collides with a perfbusd already running on the default ports.
set -eu
BUILD=${1:-build}
BIN=$(cd "$BUILD" && pwd)
OUT=$(pwd)/out
RUN=$(mktemp -d /tmp/perfbus-demo.XXXXXX)
PIDS=""

cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    for p in $PIDS; do wait "$p" 2>/dev/null || true; done
    rm -rf "$RUN"
}
trap cleanup EXIT INT TERM

# wait_ready LOG WORD: waits up to 10 s for "WORD: ready" in a component's log.
wait_ready() {
    for _ in $(seq 100); do
        grep -q "$2: ready" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "demo: $2 did not start; its log:" >&2
    cat "$1" >&2
    exit 1
}

mkdir -p "$OUT"
echo "== perfbusd: sampling every 0.5 s, watching the top 5 processes by CPU"
"$BIN/publisher/perfbusd" --pub "ipc://$RUN/pub" --control "ipc://$RUN/ctl" \
    --interval 0.5 --top 5 2>"$RUN/perfbusd.log" &
PIDS="$PIDS $!"
wait_ready "$RUN/perfbusd.log" perfbusd

echo "== perfbus tail: six live frames"
"$BIN/cli/perfbus" tail --endpoint "ipc://$RUN/pub" --count 6 --timeout 5000

echo "== perfbus system"
"$BIN/cli/perfbus" system --endpoint "ipc://$RUN/ctl"

echo "== perfbus process $$ (this shell)"
"$BIN/cli/perfbus" process $$ --endpoint "ipc://$RUN/ctl"

echo "== perfbus health"
"$BIN/cli/perfbus" health --endpoint "ipc://$RUN/ctl"

echo "== perfbus tail --json: one system frame as JSON (first 400 characters)"
"$BIN/cli/perfbus" tail sys. --json --count 1 --endpoint "ipc://$RUN/pub" | cut -c1-400

echo "demo: ok"
