#!/bin/sh
# A long run of one harness, for the numbers issue 9 asks for (>= 10 minutes each).
# Usage: tests/fuzz/run_long.sh HARNESS SECONDS [OUT_DIR]
#   BUILD (default ./build) holds the sub-build (BUILD/fuzz/fuzz_HARNESS, made by `make build`).
# New corpus inputs go to OUT_DIR/corpus, crashes/leaks/timeouts to OUT_DIR/crashes/, the
# libFuzzer log to OUT_DIR/log; the committed corpus and reproducers are only read. One fuzzing
# process (the machine is shared): no -jobs/-workers. Exit status is libFuzzer's (0: none found).
set -eu
[ $# -ge 2 ] || { echo "usage: $0 HARNESS SECONDS [OUT_DIR]" >&2; exit 2; }
harness=$1 seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-$here/../../build}
out=${3:-$build/fuzz/long/$harness}
bin=$build/fuzz/fuzz_$harness
[ -x "$bin" ] || { echo "$0: $bin not built (make build)" >&2; exit 1; }
mkdir -p "$out/corpus" "$out/crashes"
dirs="$here/corpus/$harness"
[ -d "$here/repro/$harness" ] && dirs="$dirs $here/repro/$harness"
status=0
"$bin" -max_total_time="$seconds" -max_len="${MAX_LEN:-65536}" -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -timeout=25 -print_final_stats=1 -artifact_prefix="$out/crashes/" \
    "$out/corpus" $dirs >"$out/log" 2>&1 || status=$?
grep -E '^stat::|^#[0-9]+.*DONE|SUMMARY|ERROR' "$out/log" | tail -n 20
echo "run_long.sh: $harness exit $status; log $out/log; findings in $out/crashes/"
exit $status
