#!/bin/sh
# Installs the Debian packages perfbus needs for building, testing and the demo.
# As root it runs apt-get; otherwise it prints the exact line to run and fails.
set -eu

PACKAGES="cmake make gcc pkg-config libzmq3-dev libczmq-dev libmsgpack-dev libhpdf-dev zlib1g-dev
check libdw-dev libelf-dev libpcre2-dev libzstd-dev clang-format python3 python3-zmq python3-msgpack python3-jsonschema
sysstat stress-ng procps qpdf poppler-utils chromium systemd valgrind
clang libclang-rt-14-dev libmicrohttpd-dev prometheus
python3-prometheus-client openssl iproute2 tcpdump libcurl4-openssl-dev libsnappy-dev
python3-protobuf python3-snappy help2man man-db python3-zstandard"

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
# help2man: the section-1 man pages, from each binary's --help; man-db: install.prefix renders
# every page with man -l.
# `make bench` and the browser tests add theirs: scripts/deps.sh bench (prometheus-node-exporter:
# the reference for /metrics' scrape cost; the bench starts its own on a free loopback port)
# nodejs + npm: the dashboard's chart library, uPlot, is vendored at build time from the npm
# registry (`scripts/deps.sh web BUILD`, which make runs) and compiled into perfbus-sub; the
# browser test (tests/dash.cmake) drives Debian's chromium with playwright-core from npm.
# A node that brings its own npm (nodesource's nodejs) conflicts with Debian's npm: the commands
# are what is needed, so the packages are asked for only when a command is missing.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"
case "${1:-}" in
web)
    # scripts/deps.sh web BUILD_DIR: uPlot (MIT) and playwright-core (Apache-2.0), pinned, into
    # BUILD_DIR/web-deps; npm checks each tarball against the registry's integrity hash, and the
    # uPlot tarball is checked against the one pinned here as well.
    sh "$0" || exit 1
    dir="${2:?usage: scripts/deps.sh web BUILD_DIR}/web-deps"
    UPLOT=1.6.32
    UPLOT_SHA1=c800a63b432bad692d6d746f44f0882aa73a49ae
    PLAYWRIGHT=1.65.1
    mkdir -p "$dir/uplot"
    if [ ! -f "$dir/uplot/package/dist/uPlot.iife.min.js" ]; then
        (cd "$dir" && npm pack --silent "uplot@$UPLOT" >/dev/null) || {
            echo "perfbus: npm pack uplot@$UPLOT failed (the npm registry is needed once)" >&2
            exit 1
        }
        sum=$(sha1sum "$dir/uplot-$UPLOT.tgz" | cut -d' ' -f1)
        if [ "$sum" != "$UPLOT_SHA1" ]; then
            echo "perfbus: uplot-$UPLOT.tgz has sha1 $sum, want $UPLOT_SHA1" >&2
            exit 1
        fi
        tar -xzf "$dir/uplot-$UPLOT.tgz" -C "$dir/uplot"
    fi
    if [ ! -f "$dir/node_modules/playwright-core/package.json" ]; then
        npm install --silent --prefix "$dir" --no-save --no-audit --no-fund \
            "playwright-core@$PLAYWRIGHT" >&2 || {
            echo "perfbus: npm install playwright-core@$PLAYWRIGHT failed" >&2
            exit 1
        }
    fi
    exit 0
    ;;
bench) PACKAGES="$PACKAGES hyperfine linux-perf prometheus-node-exporter" ;;
browser) PACKAGES="$PACKAGES chromium" ;;
deb) PACKAGES="$PACKAGES debhelper dpkg-dev lintian" ;;
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
    echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
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
