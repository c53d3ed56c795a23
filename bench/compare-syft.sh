#!/usr/bin/env bash
# bench/compare-syft.sh [OCI_LAYOUT_DIR] — the package lists of syft and bulkhead (release) for
# the same image, and their differences by (type, name, version), with timings.
# Default image: the Debian 12 minbase layout from ../shared/tools/make-fixtures.sh
# ($FIX/oci-minbase, FIX=.fixtures). syft from ../shared/tools/install-peers.sh (PEERS=/opt/peers).
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${1:-${FIX:-.fixtures}/oci-minbase}
PEERS=${PEERS:-/opt/peers}
SHARED=${SHARED:-${BULKHEAD_SHARED:-$(cd .. && pwd)/shared}}
[ -d "$SHARED/data/osv" ] || SHARED=/work/shared
[ -d "$IMAGE" ] || { echo "no OCI layout at $IMAGE: run FIX=.fixtures $SHARED/tools/make-fixtures.sh (as root) or pass a path" >&2; exit 1; }
[ -x "$PEERS/bin/syft" ] || { echo "syft missing: bash $SHARED/tools/install-peers.sh $PEERS" >&2; exit 1; }
OUT=bench/out/compare-syft; mkdir -p "$OUT"
cargo build -q --release -p bulkhead --bin bulkhead
export BULKHEAD_CACHE_DIR=$OUT/cache SYFT_CHECK_FOR_APP_UPDATE=false
[ -f "$OUT/cache/bulkhead.db" ] || target/release/bulkhead -q db import "$SHARED/data/osv/Debian-DSA-DLA.jsonl.zst" >/dev/null
t0=$(date +%s.%N)
"$PEERS/bin/syft" scan -q "oci-dir:$IMAGE" -o "json=$OUT/syft.json"
t1=$(date +%s.%N)
target/release/bulkhead image -q --format json -o "$OUT/bulkhead.json" "$IMAGE"
t2=$(date +%s.%N)
python3 - "$OUT/syft.json" "$OUT/bulkhead.json" "$t0" "$t1" "$t2" <<'PY'
import json, sys
from collections import Counter
syft = json.load(open(sys.argv[1])); ours = json.load(open(sys.argv[2]))
def purl_type(purl): return purl[4:].split("/", 1)[0] if purl.startswith("pkg:") else "?"
s = {(purl_type(a.get("purl", "")), a["name"], a["version"]) for a in syft["artifacts"]}
b = {(purl_type(p["purl"]), p["name"], p["version"]) for p in ours["packages"]}
t0, t1, t2 = map(float, sys.argv[3:6])
print(f"syft {len(s)} packages in {t1 - t0:.2f} s (catalog only); bulkhead {len(b)} packages in {t2 - t1:.2f} s (catalog + match)")
print("by type  syft:", dict(Counter(t for t, _, _ in s)), " bulkhead:", dict(Counter(t for t, _, _ in b)))
only_s, only_b = sorted(s - b), sorted(b - s)
print(f"same: {len(s & b)}; only syft: {len(only_s)}; only bulkhead: {len(only_b)}")
for t, n, v in only_s: print(f"  only syft      {t:8} {n} {v}")
for t, n, v in only_b: print(f"  only bulkhead  {t:8} {n} {v}")
PY
