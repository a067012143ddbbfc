#!/bin/sh
# Instructions per frame (callgrind: steady on a busy machine) to walk one real sys frame with
# pb_frame_reader and pb_mpread against pb_codec_decode + a tree walk + destroy. Usage: mpread_callgrind.sh BUILD [FRAME] [N]
set -eu
build=$1
here=$(cd "$(dirname "$0")" && pwd)
frame=${2:-$here/../tests/fuzz/corpus/codec/544c156c3e54320e} # a sys frame of a live perfbusd
n=${3:-2000}
command -v valgrind >/dev/null || { echo "$0: valgrind not installed (scripts/deps.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for mode in reader walk tree decode; do
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect="pb_cost_$mode" \
        --callgrind-out-file="$tmp/$mode.out" "$build/bench/pb-mpread-cost" "$mode" "$frame" "$n" \
        >"$tmp/$mode.txt" 2>"$tmp/$mode.err"
    ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$tmp/$mode.out")
    printf '%-7s %10d Ir/frame   (%s)\n' "$mode" $((ir / n)) "$(cat "$tmp/$mode.txt")"
done
