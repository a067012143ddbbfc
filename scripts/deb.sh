#!/bin/sh
# scripts/deb.sh OUT_DIR: builds perfbus's Debian packages from debian/ (debhelper) and puts
# the .deb files, the .changes/.buildinfo and lintian's report in OUT_DIR. Fails when lintian
# reports an error.
set -eu
OUT=$1
SRC=$(cd "$(dirname "$0")/.." && pwd)
PARENT=$(dirname "$SRC")
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$SRC"
# dpkg-buildpackage writes its results into the parent directory: move them out after
dpkg-buildpackage -b -us -uc >"$OUT/build.log" 2>&1 || {
    tail -n 40 "$OUT/build.log"
    echo "deb: dpkg-buildpackage failed ($OUT/build.log)" >&2
    exit 1
}
for f in "$PARENT"/perfbus_*.changes "$PARENT"/perfbus_*.buildinfo "$PARENT"/perfbus_*.deb \
    "$PARENT"/libperfbus0_*.deb "$PARENT"/libperfbus-dev_*.deb "$PARENT"/libperfbus0-dbgsym_*.deb \
    "$PARENT"/perfbus-dbgsym_*.deb "$PARENT"/libperfbus-dev-dbgsym_*.deb; do
    [ -e "$f" ] && mv -f "$f" "$OUT/"
done
dh_clean >/dev/null 2>&1 || true
rm -rf obj-*
lintian --tag-display-limit 0 "$OUT"/perfbus_*.changes >"$OUT/lintian.txt" 2>&1 || true
cat "$OUT/lintian.txt"
if grep -q '^E: ' "$OUT/lintian.txt"; then
    echo "deb: lintian reports errors ($OUT/lintian.txt)" >&2
    exit 1
fi
echo "deb: packages in $OUT:"
ls "$OUT"/*.deb
