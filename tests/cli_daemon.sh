#!/bin/sh
# Integration: perfbusd on ipc endpoints, driven by the perfbus CLI as a user would.
set -u
BIN=${PB_BUILD:?PB_BUILD must name the build directory}
DIR=$(mktemp -d /tmp/pb_cli_daemon.XXXXXX)
PASS=0
FAIL=0
DAEMON=""
cleanup() {
    [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null
    rm -rf "$DIR"
}
trap cleanup EXIT

verdict() { # verdict NAME STATUS
    if [ "$2" -eq 0 ]; then
        PASS=$((PASS + 1))
    else
        FAIL=$((FAIL + 1))
        echo "FAIL: $1"
        cat "$DIR/out" "$DIR/err" 2>/dev/null
    fi
}
run_ok() { # run_ok NAME COMMAND...: must succeed; its output is kept in out/err
    name=$1
    shift
    "$@" >"$DIR/out" 2>"$DIR/err"
    verdict "$name" $?
}
expect() { # expect NAME COMMAND...: a check on earlier output; must succeed
    name=$1
    shift
    "$@" >/dev/null 2>&1
    verdict "$name" $?
}

PERFBUS="$BIN/cli/perfbus"
CTL="ipc://$DIR/ctl"
PUB="ipc://$DIR/pub"

# No daemon yet: every request command fails with status 3 and says why.
"$PERFBUS" health --endpoint "$CTL" --timeout 300 >/dev/null 2>"$DIR/err"
expect "unreachable exits 3" test $? -eq 3
expect "unreachable says why" grep -q "no reply within 300 ms" "$DIR/err"

"$BIN/publisher/perfbusd" --bogus 2>"$DIR/err"
expect "bad flag exits 2" test $? -eq 2
expect "bad flag is named" grep -q -- "--bogus" "$DIR/err"
run_ok "help" "$BIN/publisher/perfbusd" --help

# A one-word command of 64+ characters: refused while reading the file, with
# the line, before anything binds (it used to pass and fail at start).
printf 'interval = 0.5  # comment\ncommand = %070d\n' 7 >"$DIR/long.conf"
"$BIN/publisher/perfbusd" --config "$DIR/long.conf" --pub "$PUB" --control "$CTL" 2>"$DIR/err"
expect "long one-word command exits 2" test $? -eq 2
expect "long one-word command names file:line" grep -q "long.conf:2: invalid value" "$DIR/err"

PROF="ipc://$DIR/prof"
"$BIN/publisher/perfbusd" --pub "$PUB" --control "$CTL" --profile "$PROF" --interval 0.1 \
    --pid $$ --command "list-etc ls -la /etc" 2>"$DIR/log" &
DAEMON=$!
for _ in $(seq 100); do grep -q "perfbusd: ready" "$DIR/log" && break; sleep 0.1; done
expect "daemon ready" grep -q "perfbusd: ready" "$DIR/log"
sleep 0.3

run_ok "health" "$PERFBUS" health --endpoint "$CTL"
run_ok "system" "$PERFBUS" system --endpoint "$CTL"
expect "system shows cpu" grep -q "busy" "$DIR/out"
run_ok "system --json" "$PERFBUS" system --json --endpoint "$CTL"
expect "system json is json" python3 -c "import json,sys; d=json.load(open('$DIR/out')); assert d['type']=='sys'"
run_ok "process self" "$PERFBUS" process $$ --endpoint "$CTL"
expect "process shows command" grep -q "command" "$DIR/out"
"$PERFBUS" process 4000000 --endpoint "$CTL" 2>"$DIR/err"
expect "missing process exits 1" test $? -eq 1
expect "missing process says not_found" grep -q "not_found" "$DIR/err"
run_ok "watch by name" "$PERFBUS" watch '^sh$' --endpoint "$CTL"
expect "watch lists it" grep -q '\^sh\$' "$DIR/out"
run_ok "unwatch by name" "$PERFBUS" unwatch '^sh$' --endpoint "$CTL"
"$PERFBUS" unwatch '^sh$' --endpoint "$CTL" 2>"$DIR/err"
expect "unwatch twice exits 1" test $? -eq 1
"$PERFBUS" watch '([' --endpoint "$CTL" 2>"$DIR/err"
expect "bad regex refused" grep -q "bad_arg" "$DIR/err"
run_ok "tail proc of self" "$PERFBUS" tail "proc." --count 2 --json --timeout 3000 --endpoint "$PUB"
expect "tail json lines" python3 -c "
import json
rows = [json.loads(l) for l in open('$DIR/out')]
assert len(rows) == 2 and all(r['type'] == 'proc' for r in rows), rows"
run_ok "tail human" "$PERFBUS" tail --count 3 --timeout 3000 --endpoint "$PUB"

# Profiling through the daemon's built-in agent.
run_ok "targets" "$PERFBUS" targets --endpoint "$PROF"
expect "targets lists workloads and the command" grep -q "list-etc" "$DIR/out"
run_ok "targets via control" "$PERFBUS" targets --json --endpoint "$CTL"
expect "control names the profile endpoint" grep -q "profile_endpoint" "$DIR/out"
run_ok "profile cpu sampling with exports" "$PERFBUS" profile cpu --runs 2 --mode sampling \
    --clock wall --hz 500 --endpoint "$PROF" --speedscope "$DIR/cpu.json" --folded "$DIR/cpu.folded"
expect "profile table names the hot function" grep -q "s_mix" "$DIR/out"
expect "folded stacks written" grep -q "s_cpu;s_mix [0-9]" "$DIR/cpu.folded"
expect "speedscope is json" python3 -c "import json; d=json.load(open('$DIR/cpu.json')); assert d['profiles']"
run_ok "profile cpu tracing" "$PERFBUS" profile cpu --runs 1 --mode tracing --endpoint "$PROF"
expect "tracing counts calls" grep -q "20000" "$DIR/out"
run_ok "profile command detailed" "$PERFBUS" profile list-etc --mode detailed --endpoint "$PROF"
run_ok "simulate" "$PERFBUS" simulate memory --seconds 0.3 --endpoint "$PROF"
"$PERFBUS" profile nosuch --endpoint "$PROF" 2>"$DIR/err"
expect "unknown target exits 1" test $? -eq 1
"$PERFBUS" profile cpu --runs 1000000000000 --endpoint "$PROF" 2>"$DIR/err"
expect "runs beyond the cap refused" grep -q "refused\|bad_arg" "$DIR/err"

kill -TERM "$DAEMON"
wait "$DAEMON"
expect "SIGTERM exits 0" test $? -eq 0
DAEMON=""
expect "stop is logged" grep -q "perfbusd: stopped" "$DIR/log"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
