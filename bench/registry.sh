#!/bin/bash
# bench/registry.sh — registry pull + scan: the same image scanned from an OCI layout on disk,
# pulled cold from a real registry on 127.0.0.1 (docker-registry, pushed by skopeo), and pulled
# again with the per-layer analysis cache warm (only manifest and config are fetched).
#
# Usage: bench/registry.sh     Env: BUILD=0 (use the existing release binary), MIN_SIZE=N
# (uncompressed image size for a fresh build, default 4e8), RUNS=1.
# Needs .ci/setup-registry.sh's tools. Prints wall time (s) and peak RSS (MB = 10^6 bytes).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=bench/out
IMAGE=$OUT/registry-image
CACHE=$OUT/registry-cache
OSV=${OSV:-${BULKHEAD_SHARED:-$ROOT/../shared}/data/osv}
BIN=${BULKHEAD:-target/release/bulkhead}
RUNS=${RUNS:-1}
mkdir -p "$OUT"
say() { echo "registry.sh: $*" >&2; }
for tool in docker-registry skopeo /usr/bin/time; do
  command -v "$tool" >/dev/null || { say "$tool missing: run .ci/setup-registry.sh"; exit 1; }
done
[ "${BUILD:-1}" = 1 ] && { cargo build --release -q -p bulkhead || exit 1; }
python3 bench/make-image.py "$IMAGE" --min-size "${MIN_SIZE:-400000000}" >/dev/null || { say "image build failed"; exit 1; }
read -r NLAYERS GZ TAR < <(python3 -c '
import json,sys
i=json.load(open(sys.argv[1]+"/.complete"))
print(len(i["layers"]), sum(l["size"] for l in i["layers"]), sum(l["uncompressed"] for l in i["layers"]))' "$IMAGE")
[ -f "$CACHE/bulkhead.db" ] || "$BIN" --quiet --cache-dir "$CACHE" db import "$OSV/Debian-DSA-DLA.jsonl.zst" >/dev/null || exit 1

# A registry of our own on a free loopback port, stopped on exit.
REGDIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$REGDIR/config.yml" <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $REGDIR/data}}
http: {addr: 127.0.0.1:$PORT}
YML
docker-registry serve "$REGDIR/config.yml" >"$REGDIR/log" 2>&1 &
REGPID=$!
trap 'kill $REGPID 2>/dev/null; rm -rf "$REGDIR"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
REF=127.0.0.1:$PORT/bench/image:latest
skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$IMAGE:latest" "docker://$REF" || { say "push failed"; exit 1; }

measure() {  # label, args...: median wall of $RUNS runs, max RSS
  local label=$1; shift
  local walls=() rss=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$OUT/registry-time" "$BIN" --quiet --cache-dir "$CACHE" "$@" >/dev/null ||
      { say "$label failed"; return 1; }
    read -r wall kb < "$OUT/registry-time"
    walls+=("$wall"); [ "$kb" -gt "$rss" ] && rss=$kb
  done
  local median; median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  printf '%-44s %8.2f s %8.0f MB\n' "$label" "$median" "$(echo "$rss/1000" | bc -l)"
}
echo "image: $NLAYERS layers, $((GZ/1000000)) MB gzip, $((TAR/1000000)) MB uncompressed; load $(cut -d' ' -f1-3 /proc/loadavg)"
measure "oci layout on disk (no layer cache)" image --no-layer-cache --format json -o /dev/null "$IMAGE"
measure "registry pull, cold (no layer cache)" image --insecure --no-layer-cache --format json -o /dev/null "$REF"
# Empty the layer cache (a table of the one database file) so the next scan fills it.
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM layers"); c.commit()' "$CACHE/bulkhead.db"
"$BIN" --quiet --cache-dir "$CACHE" image --insecure --format json -o /dev/null "$REF" >/dev/null
measure "registry pull, layer cache warm" image --insecure --format json -o /dev/null "$REF"
