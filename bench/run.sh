#!/bin/sh
# bench/run.sh: `make bench` — perfbus's figures side by side with sadc, pidstat, perf and raw libzmq.
# usage: sh bench/run.sh BUILD_DIR [quick|full]   (bench/README.md explains every figure)
set -eu

BUILD=$(cd "${1:-build}" && pwd)
MODE=${2:-full}
SRC=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3 # Debian's, with python3-zmq and python3-msgpack
SADC=/usr/lib/sysstat/sadc

case "$MODE" in
quick) SCRAPE_N=100 REF_N=10 PB_SLOW=0 BUS_S=2 LAT_S=1.5 HIST_S=600 REC_S=2 REPORT_RUN=6h REPORT_MONTH=3d REPORT_RUNS=1 PROF_ROUNDS=1 ;;
full) SCRAPE_N=200 REF_N=60 PB_SLOW=1 BUS_S=5 LAT_S=5 HIST_S=3600 REC_S=5 REPORT_RUN=24h REPORT_MONTH=30d REPORT_RUNS=10 PROF_ROUNDS=5 ;;
*)
    echo "usage: sh bench/run.sh BUILD_DIR [quick|full]" >&2
    exit 2
    ;;
esac

die() {
    echo "bench: $*" >&2
    if [ -n "${TMP:-}" ] && ls "$TMP"/*.log >/dev/null 2>&1; then
        mkdir -p "$SRC/bench/results/logs"
        cp "$TMP"/*.log "$SRC/bench/results/logs/"
        echo "bench: logs kept in bench/results/logs/" >&2
    fi
    exit 1
}

# Every tool must be there: a missing one fails the run, it is never skipped.
for f in publisher/perfbusd subscriber/perfbus-sub bench/pb-bench reporter/perfbus-synth \
    reporter/perfbus-report examples/perfbus-demo cli/perfbus; do
    [ -x "$BUILD/$f" ] || die "$BUILD/$f is missing: build first (make build)"
done
for t in "$SADC" "$PY"; do
    [ -x "$t" ] || die "$t is missing: run sh scripts/deps.sh bench"
done
for t in pidstat perf hyperfine awk; do
    command -v "$t" >/dev/null || die "$t is missing: run sh scripts/deps.sh bench"
done
"$PY" -c 'import zmq, msgpack' || die "python3-zmq and python3-msgpack are needed"

PB="$BUILD/bench/pb-bench"
PBRUN="$PY $SRC/bench/pbrun.py"
TMP=$(mktemp -d /tmp/perfbus-bench.XXXXXX)
STARTED="" # pids of what this script started in the background
SLEEPERS=""

cleanup() {
    for p in $STARTED $SLEEPERS; do
        kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started() { STARTED="$STARTED $1"; }

# kv KEY FILE: the value of KEY=... in a pb-bench / pbrun output line.
kv() {
    v=$(tr ' ' '\n' <"$2" | sed -n "s/^$1=//p" | head -n 1)
    echo "${v:-n/a}"
}

# calc FORMAT EXPR: awk arithmetic; "n/a" when an operand is missing.
calc() {
    case "$2" in
    *n/a* | *—*) echo "n/a" ;;
    *) awk "BEGIN { printf \"$1\", $2 }" ;;
    esac
}

ratio() {
    case "$1$2" in
    *n/a* | *—*) echo "—" ;;
    *) awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "—" }' ;;
    esac
}

TABLE="$TMP/table.md"
row() {
    printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" >>"$TABLE"
    printf '  %-62s %14s %22s %6s\n' "$1" "$2" "$3" "$4" >&2
}

# wait_file PATH: waits up to 10 s for a file another process writes.
wait_file() {
    i=0
    while [ ! -s "$1" ] && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ -s "$1" ] || die "$1 never appeared"
}

# ---- setup ----

start_sleepers() {
    i=0
    while [ $i -lt 200 ]; do
        sleep 10000 &
        SLEEPERS="$SLEEPERS $!"
        i=$((i + 1))
    done
    P10=$(echo $SLEEPERS | tr ' ' '\n' | head -n 10 | paste -sd, -)
    P200=$(echo $SLEEPERS | tr ' ' ',')
    ARGS10=$(echo $P10 | tr ',' '\n' | sed 's/^/--pid /' | paste -sd' ' -)
    ARGS200=$(echo $P200 | tr ',' '\n' | sed 's/^/--pid /' | paste -sd' ' -)
}

# 200 processes that wake 20 times a second (perl is in every Debian), for the per-process
# cost when each one has run since the last sample: its status must be read again.
start_wakers() {
    wakers=""
    i=0
    while [ $i -lt 200 ]; do
        perl -e 'select(undef, undef, undef, 0.05) while 1' &
        wakers="$wakers $!"
        i=$((i + 1))
    done
    SLEEPERS="$SLEEPERS $wakers"
    PW200=$(echo $wakers | tr ' ' ',')
    ARGSW200=$(echo $PW200 | tr ',' '\n' | sed 's/^/--pid /' | paste -sd' ' -)
}

# Real frames of this machine (the 10 busiest processes) as templates for the bus figures.
capture_templates() {
    "$BUILD/publisher/perfbusd" --pub "ipc://$TMP/cap" --control "ipc://$TMP/cap-ctl" \
        --interval 0.2 --top 10 2>"$TMP/capture.log" &
    cap=$!
    started $cap
    "$PB" capture --from "ipc://$TMP/cap" --out "$TMP/frames.bin" --seconds 1.5 >/dev/null ||
        die "could not capture frames from perfbusd (see $TMP/capture.log)"
    kill $cap
    wait $cap || true
}

# ---- publisher: CPU per sample and RSS, against sadc and pidstat ----

# perfbusd_run NAME INTERVAL ARGS...: 60 samples of perfbusd, measured by pbrun.
perfbusd_run() {
    name=$1 interval=$2
    shift 2
    $PBRUN --sys-frames 60 --endpoint "ipc://$TMP/pd-$name" --timeout 120 -- \
        "$BUILD/publisher/perfbusd" --pub "ipc://$TMP/pd-$name" --control "ipc://$TMP/pc-$name" \
        --interval "$interval" "$@" >"$TMP/r.$name"
}

publisher_figures() {
    echo "bench: publisher cost, $REF_N samples at 1 s of sadc/pidstat; perfbusd 60 samples" >&2
    jobs=""
    $PBRUN -- "$SADC" -S DISK 1 "$REF_N" "$TMP/sa-disk" >"$TMP/r.sadc-disk" &
    jobs="$jobs $!"
    $PBRUN -- "$SADC" -S XALL 1 "$REF_N" "$TMP/sa-xall" >"$TMP/r.sadc-xall" &
    jobs="$jobs $!"
    $PBRUN -- pidstat -h -l -u -r -d -w -v -p "$P10" 1 "$REF_N" >"$TMP/r.pidstat-10" &
    jobs="$jobs $!"
    $PBRUN -- pidstat -h -l -u -r -d -w -v -p "$P200" 1 "$REF_N" >"$TMP/r.pidstat-200" &
    jobs="$jobs $!"
    $PBRUN -- pidstat -h -l -u -r -d -w -v -p "$PW200" 1 "$REF_N" >"$TMP/r.pidstat-w200" &
    jobs="$jobs $!"
    if [ "$PB_SLOW" = 1 ]; then # the same 1 s interval, in the same minute
        perfbusd_run slow-0 1 &
        jobs="$jobs $!"
        perfbusd_run slow-10 1 $ARGS10 &
        jobs="$jobs $!"
        perfbusd_run slow-200 1 $ARGS200 &
        jobs="$jobs $!"
    fi
    STARTED="$STARTED $jobs"
    perfbusd_run fast-0 0.1
    perfbusd_run fast-10 0.1 $ARGS10
    perfbusd_run fast-200 0.1 $ARGS200
    perfbusd_run fast-w200 0.1 $ARGSW200
    for j in $jobs; do
        wait "$j" || die "a publisher measurement failed (pid $j)"
    done
    publisher_rows
}

# per_sample FILE SAMPLES: CPU-µs per sample from a pbrun line.
per_sample() {
    calc "%.0f" "$(kv cpu_us "$1") / $2"
}

publisher_rows() {
    sd=$(per_sample "$TMP/r.sadc-disk" "$REF_N")
    sx=$(per_sample "$TMP/r.sadc-xall" "$REF_N")
    p10=$(per_sample "$TMP/r.pidstat-10" "$REF_N")
    p200=$(per_sample "$TMP/r.pidstat-200" "$REF_N")
    runs="fast"
    [ "$PB_SLOW" = 1 ] && runs="slow fast"
    for r in $runs; do
        at="1 s"
        [ "$r" = fast ] && at="0.1 s"
        b0=$(per_sample "$TMP/r.$r-0" 60)
        b10=$(per_sample "$TMP/r.$r-10" 60)
        b200=$(per_sample "$TMP/r.$r-200" 60)
        row "CPU-µs/sample, system only (perfbusd at $at) vs sadc -S DISK" "$b0" "$sd" "$(ratio "$b0" "$sd")"
        row "CPU-µs/sample, system only (perfbusd at $at) vs sadc -S XALL" "$b0" "$sx" "$(ratio "$b0" "$sx")"
        row "CPU-µs/sample, system + 10 procs (at $at) vs pidstat 10" "$b10" "$p10" "$(ratio "$b10" "$p10")"
        s10=$(calc "%.0f" "$sd + $p10")
        row "CPU-µs/sample, system + 10 procs (at $at) vs sadc + pidstat 10" "$b10" "$s10" "$(ratio "$b10" "$s10")"
        row "CPU-µs/sample, system + 200 procs (at $at) vs pidstat 200" "$b200" "$p200" "$(ratio "$b200" "$p200")"
        s200=$(calc "%.0f" "$sd + $p200")
        row "CPU-µs/sample, system + 200 procs (at $at) vs sadc + pidstat 200" "$b200" "$s200" "$(ratio "$b200" "$s200")"
        m10=$(calc "%.1f" "($b10 - $b0) / 10")
        m200=$(calc "%.1f" "($b200 - $b0) / 200")
        pm10=$(calc "%.1f" "$p10 / 10")
        pm200=$(calc "%.1f" "$p200 / 200")
        row "CPU-µs/sample per watched process, 10 (at $at) vs pidstat" "$m10" "$pm10" "$(ratio "$m10" "$pm10")"
        row "CPU-µs/sample per watched process, 200 (at $at) vs pidstat" "$m200" "$pm200" "$(ratio "$m200" "$pm200")"
    done
    b0=$(per_sample "$TMP/r.fast-0" 60)
    mw=$(calc "%.1f" "($(per_sample "$TMP/r.fast-w200" 60) - $b0) / 200")
    pmw=$(calc "%.1f" "$(per_sample "$TMP/r.pidstat-w200" "$REF_N") / 200")
    row "CPU-µs/sample per watched process, 200 waking 20×/s (at 0.1 s) vs pidstat" "$mw" "$pmw" "$(ratio "$mw" "$pmw")"
    r200=slow-200
    [ "$PB_SLOW" = 1 ] || r200=fast-200
    rb=$(calc "%.1f" "$(kv maxrss_kb "$TMP/r.$r200") / 1024")
    rp=$(calc "%.1f" "$(kv maxrss_kb "$TMP/r.pidstat-200") / 1024")
    rs=$(calc "%.1f" "$(kv maxrss_kb "$TMP/r.sadc-disk") / 1024")
    row "publisher peak RSS MiB, 200 procs vs pidstat 200" "$rb" "$rp" "$(ratio "$rb" "$rp")"
    rsp=$(calc "%.1f" "$rs + $rp")
    row "publisher peak RSS MiB, 200 procs vs sadc + pidstat 200" "$rb" "$rsp" "$(ratio "$rb" "$rsp")"
    # what the process itself holds, without the library pages every process shares
    ab=$(calc "%.1f" "$(kv anon_kb "$TMP/r.$r200") / 1024")
    ap=$(calc "%.1f" "$(kv anon_kb "$TMP/r.pidstat-200") / 1024")
    row "publisher anonymous (private) RSS MiB, 200 procs vs pidstat 200" "$ab" "$ap" "$(ratio "$ab" "$ap")"
    qb=$(calc "%.1f" "$(kv pss_kb "$TMP/r.$r200") / 1024")
    qp=$(calc "%.1f" "$(kv pss_kb "$TMP/r.pidstat-200") / 1024")
    row "publisher PSS MiB, 200 procs vs pidstat 200" "$qb" "$qp" "$(ratio "$qb" "$qp")"
}

# ---- bus: throughput to perfbus-sub against the raw libzmq ceiling ----

# bus_endpoint TRANSPORT NAME: where a blaster binds (tcp-curve: tcp with CURVE).
bus_endpoint() {
    if [ "$1" = ipc ]; then echo "ipc://$TMP/$2"; else echo "tcp://127.0.0.1:*"; fi
}

# CURVE keys for the tcp-curve variant: the blaster is the server, the receivers its clients.
make_keys() {
    [ -s "$TMP/keys/bench-sub_secret" ] && return
    mkdir -p "$TMP/keys"
    for k in bench-pub bench-sub; do
        "$BUILD/cli/perfbus" keygen $k --dir "$TMP/keys" >/dev/null || die "perfbus keygen failed"
    done
}

# curve_server TRANSPORT / curve_client TRANSPORT: the CURVE options of each side, or nothing.
curve_server() { [ "$1" = tcp-curve ] && echo "--curve-secret $TMP/keys/bench-pub" || true; }
curve_client() {
    [ "$1" = tcp-curve ] && echo "--curve-secret $TMP/keys/bench-sub --curve-server-key $TMP/keys/bench-pub" || true
}

bus_ceiling() {
    # shellcheck disable=SC2046
    "$PB" blast --templates "$TMP/frames.bin" --bind "$(bus_endpoint "$1" ceil)" \
        --endpoint-file "$TMP/ep-ceil-$1" --seconds $((BUS_S + 3)) $(curve_server "$1") \
        >"$TMP/blast-ceil-$1" &
    blaster=$!
    started $blaster
    wait_file "$TMP/ep-ceil-$1"
    # shellcheck disable=SC2046
    "$PB" sink --connect "$(cat "$TMP/ep-ceil-$1")" --seconds "$BUS_S" $(curve_client "$1") \
        >"$TMP/sink-$1"
    wait $blaster
}

bus_subscriber() {
    # shellcheck disable=SC2046
    "$PB" blast --templates "$TMP/frames.bin" --bind "$(bus_endpoint "$1" sub)" \
        --endpoint-file "$TMP/ep-sub-$1" --seconds $((BUS_S + 3)) $(curve_server "$1") \
        >"$TMP/blast-sub-$1" &
    blaster=$!
    started $blaster
    wait_file "$TMP/ep-sub-$1"
    # shellcheck disable=SC2046
    "$BUILD/subscriber/perfbus-sub" --connect "$(cat "$TMP/ep-sub-$1")" $(curve_client "$1") \
        --query "ipc://$TMP/q-$1" 2>"$TMP/sub-$1.log" &
    sub=$!
    started $sub
    "$PB" watch --query "ipc://$TMP/q-$1" --pid $sub --skip 1 --seconds "$BUS_S" >"$TMP/watch-$1"
    wait $blaster
    kill $sub
    wait $sub || true
}

bus_figures() {
    echo "bench: bus throughput, ${BUS_S} s windows" >&2
    for t in ipc tcp; do
        bus_ceiling $t
        bus_subscriber $t
        sf=$(kv fps "$TMP/watch-$t")
        cf=$(kv fps "$TMP/sink-$t")
        bytes=$(kv mean_bytes "$TMP/blast-sub-$t")
        row "bus frames/s to perfbus-sub, $t (1 sys + 10 proc, mean $bytes B) vs raw libzmq" "$sf" "$cf" "$(ratio "$sf" "$cf")"
        sc=$(kv cpu_us_per_frame "$TMP/watch-$t")
        cc=$(kv cpu_us_per_frame "$TMP/sink-$t")
        row "bus CPU-µs per frame received, $t vs raw libzmq SUB" "$sc" "$cc" "$(ratio "$sc" "$cc")"
        lost=$(kv lost "$TMP/watch-$t")
        [ "$lost" = 0 ] || echo "bench: warning: perfbus-sub counted $lost lost frames on $t" >&2
    done
    curve_bus_figures
}

# The same on tcp with CURVE (libsodium's encryption per message), against plain tcp above.
curve_bus_figures() {
    make_keys
    bus_ceiling tcp-curve
    bus_subscriber tcp-curve
    t=tcp-curve
    [ "$(kv lost "$TMP/watch-$t")" = 0 ] ||
        echo "bench: warning: perfbus-sub counted $(kv lost "$TMP/watch-$t") lost frames on $t" >&2
    a=$(kv fps "$TMP/watch-$t") b=$(kv fps "$TMP/watch-tcp")
    row "bus frames/s to perfbus-sub, tcp CURVE vs plain" "$a" "$b" "$(ratio "$a" "$b")"
    a=$(kv cpu_us_per_frame "$TMP/watch-$t") b=$(kv cpu_us_per_frame "$TMP/watch-tcp")
    row "bus perfbus-sub CPU-µs per frame, tcp CURVE vs plain" "$a" "$b" "$(ratio "$a" "$b")"
    a=$(kv fps "$TMP/sink-$t") b=$(kv fps "$TMP/sink-tcp")
    row "bus frames/s to a raw libzmq SUB, tcp CURVE vs plain" "$a" "$b" "$(ratio "$a" "$b")"
}

# ---- remote write: samples/s sent against frames/s received (bench/rw_bench.py) ----

rw_figures() {
    echo "bench: remote write, ${BUS_S} s windows, blast -> perfbus-sub -> local 204 sink" >&2
    $PY "$SRC/bench/rw_bench.py" "$PB" "$BUILD/subscriber/perfbus-sub" "$TMP/frames.bin" \
        "$BUS_S" "$TMP" >"$TMP/rw" || die "bench/rw_bench.py failed"
    f="$TMP/rw"
    row "remote-write samples/s sent vs frames/s received (ratio: samples per frame)" \
        "$(kv rw_samples_sent_per_s "$f")" "$(kv rw_fps "$f")" "$(kv samples_per_frame "$f")"
    row "remote-write samples/s dropped (queue overflow), requests/s" \
        "$(kv rw_dropped_per_s "$f")" "$(kv rw_requests_per_s "$f")" "—"
    rf=$(kv rw_fps "$f") pf=$(kv plain_fps "$f")
    row "frames/s to perfbus-sub with --remote-write vs without" "$rf" "$pf" "$(ratio "$rf" "$pf")"
    rc=$(kv rw_cpu_us_per_frame "$f") pc=$(kv plain_cpu_us_per_frame "$f")
    row "perfbus-sub CPU-µs per frame with --remote-write vs without" "$rc" "$pc" "$(ratio "$rc" "$pc")"
}

# ---- the dashboard: perfbus-sub's CPU per event-stream client, RSS with 64 (bench/dash_bench.py) ----

dash_figures() {
    echo "bench: dashboard event streams, ${BUS_S} s windows, perfbusd at 0.1 s --top 20" >&2
    $PY "$SRC/bench/dash_bench.py" "$BUILD/publisher/perfbusd" "$BUILD/subscriber/perfbus-sub" \
        "$BUS_S" "$TMP" >"$TMP/dash" || die "bench/dash_bench.py failed"
    f="$TMP/dash"
    row "perfbus-sub CPU-µs per /events client per s (64 clients, $(kv events_per_client_s "$f") events/s each)" \
        "$(kv cpu_us_per_client_s "$f")" "—" "—"
    row "perfbus-sub CPU % of a core, 64 /events clients vs none" "$(kv cpu_pct_64 "$f")" \
        "$(kv cpu_pct_0 "$f")" "$(ratio "$(kv cpu_pct_64 "$f")" "$(kv cpu_pct_0 "$f")")"
    row "perfbus-sub RSS MiB, 64 /events clients vs none" "$(kv rss_mib_64 "$f")" \
        "$(kv rss_mib_0 "$f")" "$(ratio "$(kv rss_mib_64 "$f")" "$(kv rss_mib_0 "$f")")"
}

# ---- subscriber RSS with 200 processes and HIST_S s of history at 1 s ----

vm_rss_kb() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

history_figures() {
    echo "bench: subscriber RSS, 200 processes, $HIST_S s of history at 1 s" >&2
    "$BUILD/subscriber/perfbus-sub" --connect "ipc://$TMP/fill" --query "ipc://$TMP/q-fill" \
        --history 3600 2>"$TMP/sub-fill.log" &
    sub=$!
    started $sub
    sleep 0.3
    empty=$(vm_rss_kb $sub)
    "$PB" fill --templates "$TMP/frames.bin" --procs 200 --bind "ipc://$TMP/fill" \
        --query "ipc://$TMP/q-fill" --history-s "$HIST_S" >"$TMP/fill.out" ||
        die "filling perfbus-sub failed (see $TMP/sub-fill.log)"
    full=$(vm_rss_kb $sub)
    kill $sub
    wait $sub || true
    held=$(calc "%.1f" "$(kv payload_bytes "$TMP/fill.out") / 1048576")
    rss=$(calc "%.1f" "$full / 1024")
    row "subscriber RSS MiB, 200 procs, $HIST_S s at 1 s (empty: $(calc "%.1f" "$empty / 1024")) vs msgpack bytes held" "$rss" "$held" "$(ratio "$rss" "$held")"
    row "subscriber intake while filling, frames/s (lossless)" "$(calc "%.0f" "$(kv frames "$TMP/fill.out") / $(kv seconds "$TMP/fill.out")")" "—" "—"
}

# ---- latency publish -> aggregated ----

# median_kv KEY FILES...: the median of KEY over several pb-bench outputs.
median_kv() {
    k=$1
    shift
    for f in "$@"; do kv "$k" "$f"; done | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

latency_figures() {
    echo "bench: latency, 3 x ${LAT_S} s per rate, perfbus-sub and raw SUB alternating" >&2
    # Tail latency on a shared machine is mostly other processes' time slices:
    # as root both the probe and its reference run at nice -10.
    NICE=""
    [ "$(id -u)" = 0 ] && NICE="nice -n -10"
    make_keys
    for spec in ipc:1000 ipc:10000 tcp:10000 tcp-curve:10000; do
        t=${spec%%:*} rate=${spec#*:}
        dir=""
        [ "$t" = ipc ] && dir="--ipc-dir $TMP"
        curve=""
        [ "$t" = tcp-curve ] && curve="--curve-secret $TMP/keys/bench-pub --curve-client $TMP/keys/bench-sub"
        for rep in 1 2 3; do
            for how in sub raw; do
                extra=""
                [ "$how" = raw ] && extra="--raw yes"
                # shellcheck disable=SC2086
                $NICE "$PB" latency --templates "$TMP/frames.bin" $dir $extra $curve --rate "$rate" \
                    --seconds "$LAT_S" >"$TMP/lat-$t-$rate-$how-$rep" ||
                    die "latency run $spec $how failed"
            done
        done
        for p in p50 p99 max; do
            a=$(median_kv ${p}_us "$TMP/lat-$t-$rate-sub-"*)
            b=$(median_kv ${p}_us "$TMP/lat-$t-$rate-raw-"*)
            row "latency publish→aggregated µs, $t, $((rate / 1000)) k frames/s, $p (median of 3) vs raw libzmq SUB" \
                "$a" "$b" "$(ratio "$a" "$b")"
        done
    done
    for p in p50 p99; do
        a=$(median_kv ${p}_us "$TMP/lat-tcp-curve-10000-sub-"*)
        b=$(median_kv ${p}_us "$TMP/lat-tcp-10000-sub-"*)
        row "latency publish→aggregated µs, 10 k frames/s, $p, tcp CURVE vs plain (perfbus-sub both)" \
            "$a" "$b" "$(ratio "$a" "$b")"
    done
}

# ---- recorder and reader ----

record_figures() {
    echo "bench: recorder, ${REC_S} s of writes" >&2
    mkdir -p "$TMP/store"
    "$PB" record --templates "$TMP/frames.bin" --store "$TMP/store" --seconds "$REC_S" \
        >"$TMP/record" || die "recorder run failed"
    f="$TMP/record"
    w=$(kv write_fps "$f") rw=$(kv raw_write_fps "$f")
    row "recorder frames/s (CRC, flush every 1 s) vs raw write(2), no CRC" "$w" "$rw" "$(ratio "$w" "$rw")"
    w=$(kv write_mbps "$f") rw=$(kv raw_write_mbps "$f")
    row "recorder MB/s vs raw write(2)" "$w" "$rw" "$(ratio "$w" "$rw")"
    r=$(kv read_fps "$f") rr=$(kv raw_read_fps "$f")
    row "reader frames/s (CRC checked) vs raw read, no CRC" "$r" "$rr" "$(ratio "$r" "$rr")"
    z=$(kv zwrite_fps "$f") rwf=$(kv raw_write_fps "$f")
    row "recorder frames/s, sealed zstd -1 (format 2) vs raw write(2), no CRC" "$z" "$rwf" "$(ratio "$z" "$rwf")"
    zr=$(kv zread_fps "$f") rrf=$(kv raw_read_fps "$f")
    row "reader frames/s, sealed segments vs raw read, no CRC" "$zr" "$rrf" "$(ratio "$zr" "$rrf")"
    d=$(kv disk_bytes "$f") zd=$(kv zdisk_bytes "$f")
    row "recorder bytes on disk, sealed vs format 1 (same frames)" "$zd" "$d" "$(ratio "$zd" "$d")"
    row "recorder close (seals what is queued and the last segment), s" "$(kv zclose_s "$f")" "—" "—"
    rm -rf "$TMP/store"
}

# ---- reporter ----

# Median seconds of hyperfine's export $1, with three decimals (the median: a neighbour's
# burst on a shared machine moves a mean of tens of milliseconds by half).
hf_median() {
    "$PY" -c "import json,sys; print('%.3f' % json.load(open(sys.argv[1]))['results'][0]['median'])" "$1"
}

# Issue 13's targets: a 24 h report <= 0.5 s, a month's <= 5x the 24 h one,
# a 1 h window <= 1/5 of the whole day. Long windows read the rollups.
report_figures() {
    echo "bench: reporter, synthetic $REPORT_RUN run at 1 Hz, 20 processes" >&2
    "$BUILD/reporter/perfbus-synth" --store "$TMP/synth" --duration "$REPORT_RUN" --interval 1 \
        --procs 20 >"$TMP/synth.out" || die "perfbus-synth failed"
    run=$(tail -n 1 "$TMP/synth.out")
    for fmt in pdf html; do
        hyperfine --warmup 1 --runs "$REPORT_RUNS" --export-json "$TMP/hf-$fmt.json" --style none \
            "$BUILD/reporter/perfbus-report $run --format $fmt --out $TMP/report.$fmt" \
            >/dev/null 2>&1 || die "perfbus-report --format $fmt failed"
        s=$(hf_median "$TMP/hf-$fmt.json")
        kb=$(calc "%.0f" "$(stat -c %s "$TMP/report.$fmt") / 1024")
        row "reporter $fmt, $REPORT_RUN run (1 Hz, 20 procs) vs the 0.5 s target: seconds / KiB" \
            "$s / $kb" "0.5" "$(ratio "$s" 0.5)"
        eval "full_$fmt=\$s"
    done
    # a 1 h window out of the run: the time index skips every other block
    hyperfine --warmup 1 --runs "$REPORT_RUNS" --export-json "$TMP/hf-win.json" --style none \
        "$BUILD/reporter/perfbus-report $run --from 2026-01-01T01:00:00Z --to 2026-01-01T02:00:00Z --format html --out $TMP/win.html" \
        >/dev/null 2>&1 || die "perfbus-report of a 1 h window failed"
    s=$(hf_median "$TMP/hf-win.json")
    row "reporter html, 1 h window of the $REPORT_RUN run vs the whole run (target ratio <= 0.2), s" "$s" "$full_html" "$(ratio "$s" "$full_html")"
    # the same two at one resolution (every sample): what the time index saves
    hyperfine --warmup 1 --runs "$REPORT_RUNS" --export-json "$TMP/hf-rawday.json" --style none \
        "env PERFBUS_REPORT_RESOLUTION=raw $BUILD/reporter/perfbus-report $run --format html --out $TMP/rawday.html" \
        >/dev/null 2>&1 || die "perfbus-report of the whole run, every sample, failed"
    raw_day=$(hf_median "$TMP/hf-rawday.json")
    row "reporter html, 1 h window vs the whole $REPORT_RUN run, both every sample (RESOLUTION=raw), s" "$s" "$raw_day" "$(ratio "$s" "$raw_day")"
    report_month
    "$BUILD/reporter/perfbus-synth" --store "$TMP/synth1" --duration "$REPORT_RUN" --interval 1 \
        --procs 20 --format 1 >"$TMP/synth1.out" || die "perfbus-synth --format 1 failed"
    hyperfine --warmup 1 --runs "$REPORT_RUNS" --export-json "$TMP/hf-v1.json" --style none \
        "$BUILD/reporter/perfbus-report $(tail -n 1 "$TMP/synth1.out") --format html --out $TMP/v1.html" \
        >/dev/null 2>&1 || die "perfbus-report of the format-1 run failed"
    s=$(hf_median "$TMP/hf-v1.json")
    row "reporter html, $REPORT_RUN run: format 2 (rollups) vs the same run as format 1 (every record), s" "$full_html" "$s" "$(ratio "$full_html" "$s")"
    z=$(du -sb "$TMP/synth" | cut -f1) v1=$(du -sb "$TMP/synth1" | cut -f1)
    row "bytes on disk, synthetic $REPORT_RUN run (1 Hz, 20 procs): format 2 vs format 1" "$z" "$v1" "$(ratio "$z" "$v1")"
    rm -rf "$TMP/synth" "$TMP/synth1"
}

# `perfbus-report --store DIR --from now-$REPORT_MONTH` over a store of that
# length ending now (1 Hz, 20 processes), against 5x the $REPORT_RUN report.
report_month() {
    echo "bench: reporter, synthetic $REPORT_MONTH store at 1 Hz, 20 processes" >&2
    secs=$("$PY" -c "import sys; n, u = sys.argv[1][:-1], sys.argv[1][-1]; print(int(n) * {'h': 3600, 'd': 86400}[u])" "$REPORT_MONTH")
    start=$(($(date +%s) - secs + 60))
    "$BUILD/reporter/perfbus-synth" --store "$TMP/month" --start "@$start" --duration "$REPORT_MONTH" \
        --interval 1 --procs 20 >"$TMP/month.out" || die "perfbus-synth of the month failed"
    for fmt in pdf html; do
        hyperfine --warmup 1 --runs "$REPORT_RUNS" --export-json "$TMP/hf-m$fmt.json" --style none \
            "$BUILD/reporter/perfbus-report --store $TMP/month --from now-$REPORT_MONTH --format $fmt --out $TMP/month.$fmt" \
            >/dev/null 2>&1 || die "perfbus-report of the month --format $fmt failed"
        s=$(hf_median "$TMP/hf-m$fmt.json")
        kb=$(calc "%.0f" "$(stat -c %s "$TMP/month.$fmt") / 1024")
        eval "day=\$full_$fmt"
        five=$(calc "%.3f" "5 * $day")
        row "reporter $fmt, $REPORT_MONTH store (--from now-$REPORT_MONTH) vs 5x the $REPORT_RUN report: s / KiB" \
            "$s / $kb" "$five" "$(ratio "$s" "$five")"
    done
    rm -rf "$TMP/month"
}

# ---- profiler ----

profiler_figures() {
    echo "bench: profiler on the demo's 70/30 target, $PROF_ROUNDS round(s)" >&2
    if ! $PY "$SRC/bench/profiler.py" "$BUILD/examples/perfbus-demo" "$PROF_ROUNDS" "$TMP" \
        >"$TMP/prof"; then
        why=$(kv error "$TMP/prof" | tr '_' ' ')
        row "profiler slowdown and attribution error" "n/a (${why:-profiler.py failed})" "—" "—"
        return 0
    fi
    f="$TMP/prof"
    pr=$(kv perf_ratio "$f") pe=$(kv perf_err_pts "$f")
    for m in sampling_wall:"sampling, wall clock 1 kHz" sampling_cpu:"sampling, CPU clock 250 Hz"; do
        k=${m%%:*} label=${m#*:}
        r=$(kv "${k}_ratio" "$f") e=$(kv "${k}_err_pts" "$f")
        row "profiler slowdown, $label vs perf record -F 1000 -g" "$r" "$pr" "$(ratio "$r" "$pr")"
        row "profiler 70/30 attribution error, points, $label vs perf" "$e" "$pe" "—"
    done
    row "profiler slowdown, tracing (-finstrument-functions)" "$(kv tracing_ratio "$f")" "—" "—"
    row "profiler 70/30 attribution error, points, tracing (tottime)" "$(kv tracing_err_pts "$f")" "—" "—"
}

# ---- /metrics: perfbus-sub's scrape cost against node_exporter's ----

NODE_EXPORTER=/usr/bin/prometheus-node-exporter

# free_port: a loopback TCP port nothing listens on now (for node_exporter, which needs one).
free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# http_addr LOG: the address perfbus-sub bound for --http 127.0.0.1:0, from its log.
http_addr() {
    i=0
    while ! grep -q 'http listening on' "$1" && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    sed -n 's/.*http listening on \([^ ]*\).*/\1/p' "$1" | head -n 1
}

scrape_figures() {
    echo "bench: /metrics, $SCRAPE_N scrapes each, perfbus-sub (1 host + 200 procs) vs node_exporter" >&2
    [ -x "$NODE_EXPORTER" ] || die "$NODE_EXPORTER is missing: run sh scripts/deps.sh bench"
    "$BUILD/publisher/perfbusd" --pub "ipc://$TMP/sc" --control "ipc://$TMP/sc-ctl" --interval 1 \
        $ARGS200 2>"$TMP/scrape-pd.log" &
    started $!
    "$BUILD/subscriber/perfbus-sub" --connect "ipc://$TMP/sc" --query "ipc://$TMP/sc-q" \
        --http 127.0.0.1:0 2>"$TMP/scrape-sub.log" &
    sub=$!
    started $sub
    addr=$(http_addr "$TMP/scrape-sub.log")
    [ -n "$addr" ] || die "perfbus-sub --http did not listen (see $TMP/scrape-sub.log)"
    port=$(free_port)
    "$NODE_EXPORTER" --web.listen-address="127.0.0.1:$port" 2>"$TMP/scrape-ne.log" &
    ne=$!
    started $ne
    for gz in no yes; do
        "$PY" "$SRC/bench/scrape.py" --url "http://$addr/metrics" --pid $sub --n "$SCRAPE_N" \
            --gzip $gz --expect-pids 200 >"$TMP/scrape-pb-$gz" ||
            die "scraping perfbus-sub failed (see $TMP/scrape-sub.log)"
        "$PY" "$SRC/bench/scrape.py" --url "http://127.0.0.1:$port/metrics" --pid $ne \
            --n "$SCRAPE_N" --gzip $gz >"$TMP/scrape-ne-$gz" ||
            die "scraping node_exporter failed (see $TMP/scrape-ne.log)"
    done
    scrape_rows
}

scrape_rows() {
    a="$TMP/scrape-pb-no" b="$TMP/scrape-ne-no"
    what="$(kv series "$a") series, $(calc "%.0f" "$(kv bytes "$a") / 1024") KiB vs $(kv series "$b") series, $(calc "%.0f" "$(kv bytes "$b") / 1024") KiB"
    for p in p50 p99; do
        x=$(kv ${p}_ms "$a") y=$(kv ${p}_ms "$b")
        row "/metrics scrape ms, $p, 1 host + 200 procs ($what) vs node_exporter" "$x" "$y" "$(ratio "$x" "$y")"
    done
    for gz in no yes; do
        a="$TMP/scrape-pb-$gz" b="$TMP/scrape-ne-$gz"
        how="text"
        [ $gz = yes ] && how="gzip asked, as Prometheus does: $(calc "%.0f" "$(kv wire_bytes "$a") / 1024") vs $(calc "%.0f" "$(kv wire_bytes "$b") / 1024") KiB sent"
        x=$(kv cpu_us_per_scrape "$a") y=$(kv cpu_us_per_scrape "$b")
        row "/metrics server CPU-µs per scrape ($how; idle share $(kv idle_cpu_us_per_scrape "$a")) vs node_exporter" "$x" "$y" "$(ratio "$x" "$y")"
    done
    x=$(calc "%.2f" "$(kv cpu_us_per_scrape "$TMP/scrape-pb-no") / $(kv series "$TMP/scrape-pb-no")")
    y=$(calc "%.2f" "$(kv cpu_us_per_scrape "$TMP/scrape-ne-no") / $(kv series "$TMP/scrape-ne-no")")
    row "/metrics server CPU-µs per series served (text) vs node_exporter" "$x" "$y" "$(ratio "$x" "$y")"
}

# ---- main ----

BEGIN=$(date +%s)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
{
    echo "| figure | perfbus | reference | ratio |"
    echo "|---|---|---|---|"
} >"$TABLE"
# BENCH_ONLY="bus latency" runs only those sections (publisher bus history latency record
# report profiler scrape rw dash), for working on one figure; `make bench` runs them all.
section() {
    case " ${BENCH_ONLY:-$1} " in
    *" $1 "*) "$1_figures" ;;
    esac
}
start_sleepers
case " ${BENCH_ONLY:-publisher} " in
*" publisher "*) start_wakers ;;
esac
capture_templates
for s in publisher bus history latency record report profiler scrape rw dash; do
    section "$s"
done

mkdir -p "$SRC/bench/results"
OUT="$SRC/bench/results/latest.md"
{
    echo "# perfbus bench ($MODE) — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "$(nproc) CPUs, $(uname -r); load average $LOAD0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end;"
    echo "$(($(date +%s) - BEGIN)) s in all. Ratios are perfbus / reference (lower is better for"
    echo "costs, higher for rates). See bench/README.md for how each figure is measured."
    echo
    cat "$TABLE"
} >"$OUT"
echo >&2
cat "$OUT"
echo >&2
echo "bench: written to $OUT" >&2
