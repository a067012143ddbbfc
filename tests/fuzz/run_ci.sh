#!/bin/sh
# Runs one harness as ctest does: every corpus seed and reproducer, then RUNS new inputs.
# Usage: run_ci.sh FUZZ_BUILD_DIR HARNESS RUNS MAX_LEN [TIMEOUT_S (10)]. Exit status non-zero on any
# crash, leak, timeout or out-of-memory; the input is saved under FUZZ_BUILD_DIR/artifacts/.
set -eu
build=$1 harness=$2 runs=$3 max_len=$4 timeout=${5:-10}
here=$(cd "$(dirname "$0")" && pwd)
bin=$build/fuzz_$harness
[ -x "$bin" ] || { echo "run_ci.sh: $bin not built" >&2; exit 1; }

# New inputs go to a scratch dir (the first corpus dir), never into the committed corpus.
work=$build/work/$harness
rm -rf "$work"
mkdir -p "$work" "$build/artifacts"
dirs="$here/corpus/$harness"
[ -d "$here/repro/$harness" ] && dirs="$dirs $here/repro/$harness"

# -malloc_limit_mb: one allocation above it is a failure (msgpack headers asking for GiB);
# -timeout: one input slower than this is a failure (a quadratic parser).
exec "$bin" -runs="$runs" -seed=1 -max_len="$max_len" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -timeout="$timeout" -print_final_stats=1 -artifact_prefix="$build/artifacts/$harness-" \
    "$work" $dirs
