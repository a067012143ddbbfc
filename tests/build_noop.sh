#!/bin/sh
# build.noop: right after `make test` built everything, building again compiles and links
# nothing (the Makefile must not reconfigure with other flags, custom commands must not be
# always out of date). Run by ctest with PB_BUILD set.
set -eu
out=$(cmake --build "$PB_BUILD" -- --no-print-directory 2>&1)
work=$(printf '%s\n' "$out" | grep -E 'Building C|Linking|Generating|Re-running CMake' || true)
if [ -n "$work" ]; then
    echo "FAIL: a second build did work:"
    printf '%s\n' "$work" | head -20
    exit 1
fi
echo "build.noop: 1 passed, 0 failed"
