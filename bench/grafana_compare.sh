#!/bin/sh
# bench/grafana_compare.sh: "Node Exporter Full" panels through perfbus-sub and through node_exporter, side by side.
# usage: sh bench/grafana_compare.sh BUILD_DIR DASHBOARD.json [SECONDS]   (bench/README.md)
# Starts perfbusd (1 s) -> perfbus-sub --http and Debian's prometheus-node-exporter, each scraped
# every second by its own /usr/bin/prometheus (free loopback ports, temp dirs), waits SECONDS
# (default 150) of data, then runs bench/grafana_panels.py; the table goes to
# bench/results/grafana.md. The dashboard JSON is not shipped: give its path.
set -eu

BUILD=$(cd "${1:?usage: grafana_compare.sh BUILD_DIR DASHBOARD.json [SECONDS]}" && pwd)
DASH=${2:?usage: grafana_compare.sh BUILD_DIR DASHBOARD.json [SECONDS]}
SECONDS_OF_DATA=${3:-150}
SRC=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/perfbus-grafana.XXXXXX)
STARTED=""

die() {
    echo "grafana_compare: $*" >&2
    tail -n 5 "$TMP"/*.log >&2 2>/dev/null || true
    exit 1
}
cleanup() {
    for p in $STARTED; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for t in "$BUILD/publisher/perfbusd" "$BUILD/subscriber/perfbus-sub" /usr/bin/prometheus \
    /usr/bin/prometheus-node-exporter; do
    [ -x "$t" ] || die "$t is missing (make build; sh scripts/deps.sh bench)"
done
[ -r "$DASH" ] || die "cannot read the dashboard JSON $DASH"

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# prometheus NAME TARGET: a Prometheus scraping TARGET every second as job NAME; sets URL.
prometheus() {
    mkdir -p "$TMP/$1"
    printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: %s\n    static_configs:\n      - targets: ["%s"]\n' \
        "$1" "$2" >"$TMP/$1/prometheus.yml"
    port=$(free_port)
    /usr/bin/prometheus --config.file="$TMP/$1/prometheus.yml" --storage.tsdb.path="$TMP/$1/data" \
        --web.listen-address="127.0.0.1:$port" --log.level=warn 2>"$TMP/$1.log" &
    STARTED="$STARTED $!"
    URL="http://127.0.0.1:$port"
}

# samples URL JOB: how many up samples Prometheus holds for JOB over the wanted window.
samples() {
    "$PY" - "$1" "$2" "$SECONDS_OF_DATA" <<'EOF'
import json, sys, urllib.parse, urllib.request
url, job, s = sys.argv[1:]
q = urllib.parse.urlencode({"query": f'count_over_time(up{{job="{job}"}}[{s}s])'})
try:
    r = json.load(urllib.request.urlopen(f"{url}/api/v1/query?{q}", timeout=5))["data"]["result"]
    print(int(float(r[0]["value"][1])) if r else 0)
except OSError:
    print(0)
EOF
}

"$BUILD/publisher/perfbusd" --pub "ipc://$TMP/pub" --control "ipc://$TMP/ctl" --interval 1 \
    2>"$TMP/perfbusd.log" &
STARTED="$STARTED $!"
"$BUILD/subscriber/perfbus-sub" --connect "ipc://$TMP/pub" --query "ipc://$TMP/q" \
    --http 127.0.0.1:0 2>"$TMP/sub.log" &
STARTED="$STARTED $!"
i=0
while ! grep -q 'http listening on' "$TMP/sub.log" && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
addr=$(sed -n 's/.*http listening on \([^ ]*\).*/\1/p' "$TMP/sub.log" | head -n 1)
[ -n "$addr" ] || die "perfbus-sub --http did not listen"
ne_port=$(free_port)
/usr/bin/prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" 2>"$TMP/ne.log" &
STARTED="$STARTED $!"
prometheus perfbus "$addr"
PB_URL=$URL
prometheus node "127.0.0.1:$ne_port"
NE_URL=$URL

echo "grafana_compare: collecting $SECONDS_OF_DATA s at 1 s ($PB_URL: perfbus-sub, $NE_URL: node_exporter)" >&2
want=$((SECONDS_OF_DATA - 10))
end=$(($(date +%s) + SECONDS_OF_DATA + 90))
while :; do
    a=$(samples "$PB_URL" perfbus) b=$(samples "$NE_URL" node)
    [ "$a" -ge $want ] && [ "$b" -ge $want ] && break
    [ "$(date +%s)" -lt $end ] || die "only $a / $b scrapes after $SECONDS_OF_DATA + 90 s"
    sleep 5
done
mkdir -p "$SRC/bench/results"
OUT="$SRC/bench/results/grafana.md"
{
    echo "# Node Exporter Full, first rows: perfbus-sub vs prometheus-node-exporter — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "$a / $b scrapes at 1 s of each; values are instant queries at the end, rates over \$__rate_interval."
    echo
    "$PY" "$SRC/bench/grafana_panels.py" "$DASH" "$PB_URL" "$NE_URL" --job-a perfbus --job-b node \
        --range-s "$SECONDS_OF_DATA"
} >"$OUT" || die "grafana_panels.py failed"
cat "$OUT"
echo "grafana_compare: written to $OUT" >&2
