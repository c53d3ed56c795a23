#!/usr/bin/env bash
# bench/rescan.sh — `bulkhead rescan` of 1,000 stored inventories of 500 Debian packages each
# (real names and versions: ../shared dpkg databases and Debian advisories; see
# crates/bulkhead/examples/gen_inventories.rs) against the real Debian advisories. Release build.
# Target: under 5 s on the 2-core machine. Env: COUNT=1000 PACKAGES=500 SHARED=../shared
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-${BULKHEAD_SHARED:-$(cd .. && pwd)/shared}}
[ -d "$SHARED/data/osv" ] || SHARED=/work/shared
COUNT=${COUNT:-1000} PACKAGES=${PACKAGES:-500}
OUT=bench/out/rescan; rm -rf "$OUT"; mkdir -p "$OUT"
cargo build -q --release -p bulkhead --bin bulkhead --example gen_inventories
BIN=target/release/bulkhead
export BULKHEAD_CACHE_DIR=$OUT/cache
$BIN -q db import "$SHARED/data/osv/Debian-DSA-DLA.jsonl.zst" >/dev/null
# Inventories share bulkhead.db with the advisories: report what they add to it.
ADVISORIES_KIB=$(du -k "$OUT/cache/bulkhead.db" | cut -f1)
target/release/examples/gen_inventories "$OUT/cache" "$SHARED" "$COUNT" "$PACKAGES"
echo "bulkhead.db: $(du -k "$OUT/cache/bulkhead.db" | cut -f1) KiB, $ADVISORIES_KIB KiB of it advisories"
for run in first second; do
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$OUT/rss" $BIN rescan -q --format json -o "$OUT/$run.json"
  end=$(date +%s.%N)
  python3 - "$OUT/$run.json" "$run" "$start" "$end" "$(cat "$OUT/rss")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); s = r["summary"]
total = sum(a["vulnerabilities"] for a in r["artifacts"])
pk = sum(a["packages"] for a in r["artifacts"])
print(f"rescan ({sys.argv[2]}): {s['artifacts']} inventories, {pk} packages, {total} findings, "
      f"{s['new_vulnerabilities']} new: {float(sys.argv[4]) - float(sys.argv[3]):.2f} s wall "
      f"({s['elapsed_seconds']:.2f} s in process), peak RSS {int(sys.argv[5]) // 1024} MiB")
PY
done
