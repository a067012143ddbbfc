#!/bin/sh
# Installs the Debian packages perfbus needs for building, testing and the demo.
# As root it runs apt-get; otherwise it prints the exact line to run and fails.
set -eu

PACKAGES="cmake make gcc pkg-config libzmq3-dev libczmq-dev libmsgpack-dev libhpdf-dev zlib1g-dev
check libdw-dev libelf-dev libpcre2-dev libzstd-dev clang-format python3 python3-zmq python3-msgpack python3-jsonschema
sysstat stress-ng procps qpdf poppler-utils chromium systemd valgrind
clang libclang-rt-14-dev libmicrohttpd-dev prometheus
python3-prometheus-client openssl iproute2 tcpdump libcurl4-openssl-dev libsnappy-dev
python3-protobuf python3-snappy python3-zstandard"

# libzstd-dev: sealed (format 2) segments of recorded runs and their rollups (schemas/pb_sealed,
# pb_rollup); python3-zstandard: tests/py/read_run.py reads them.
# clang + libclang-rt-14-dev: libFuzzer for tests/fuzz/ (the main build stays on gcc);
# valgrind: memcheck in subscriber.cli_store (replay's exit status from initialised state).
# libmicrohttpd-dev: perfbus-sub's HTTP face (--http, /metrics); prometheus: promtool and the
# server the scrape tests start; python3-prometheus-client: its strict OpenMetrics parser checks
# the OpenMetrics exposition (promtool 2.42 reads the text format only); openssl: the test
# certificates of the HTTPS face (prom.tls); iproute2 + tcpdump: the multi-host tests' network
# namespaces (tests/py/netns.py) and their capture of the traffic.
# libcurl4-openssl-dev, libsnappy-dev: --remote-write's HTTP(S) client and its snappy block
# compression (both loaded by perfbus-sub only when --remote-write is given; the headers are needed
# to build); python3-protobuf, python3-snappy: prom.remote_write decodes captured requests with them.
# `make bench` and the browser tests add theirs: scripts/deps.sh bench (prometheus-node-exporter:
# the reference for /metrics' scrape cost; the bench starts its own on a free loopback port)
case "${1:-}" in
bench) PACKAGES="$PACKAGES hyperfine linux-perf prometheus-node-exporter" ;;
browser) PACKAGES="$PACKAGES chromium" ;;
esac

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "perfbus: missing Debian packages. Run as root:" >&2
    echo "  apt-get update && apt-get install -y$missing" >&2
    exit 1
fi
echo "perfbus: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >&2
# Debian starts the exporter's unit on install: the bench runs its own, so it must not stay up.
case "$missing " in
*" prometheus-node-exporter "*) [ -d /run/systemd/system ] && systemctl disable --now prometheus-node-exporter >&2 || true ;;
esac
