#!/bin/bash
# bench/scan.sh — image-scan benchmark: bulkhead vs the physical baseline vs trivy and syft.
#
# Builds (once) a >= 1 GB, multi-layer gzip OCI image from files on this machine into
# bench/out/image (bench/make-image.py), then measures in one run, on the same warm page cache:
#   baseline  every layer decompressed and sha256-hashed once, two layers at a time
#             (`gzip -dc BLOB | sha256sum` via `xargs -P2`) — the floor any scanner pays
#   bulkhead  `bulkhead image --format json -o /dev/null` (full default scan) after a separate,
#             separately timed `bulkhead db import` of ../shared/data/osv
#   trivy     cataloging only (`--scanners license`, offline, fresh cache each run)
#   syft      cataloging (`syft scan oci-dir:`)
# and prints wall time, peak RSS and PASS/FAIL against the targets
#   bulkhead wall <= 1.0 x baseline, bulkhead peak RSS <= 200 MB, and faster/leaner than trivy.
#
# Usage: bench/scan.sh            (from anywhere; paths are relative to the repository root)
# Env:   RUNS=3        runs per measured command; prints the median wall time and the highest RSS
#        BUILD=0       do not run `cargo build --release -p bulkhead` (use the existing binary)
#        PEERS=0       skip trivy and syft (they are installed on first use into bench/out/peers
#                      with ../shared/tools/install-peers.sh, about 80 s)
#        BULKHEAD=path binary to measure (default target/release/bulkhead)
#        STRICT=1      exit 1 if a bulkhead target FAILs
#        MIN_SIZE=N    uncompressed image size in bytes for a fresh build (default 1.3e9)
# Figures are only meaningful on an otherwise idle machine; the load average is printed.
# MB here = 10^6 bytes. /usr/bin/time's %M is the peak RSS of the largest process in the tree.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=bench/out
IMAGE=$OUT/image
CACHE=$OUT/cache
PEERDIR=$OUT/peers
OSV=${OSV:-$ROOT/../shared/data/osv}
RUNS=${RUNS:-1}
BIN=${BULKHEAD:-target/release/bulkhead}
mkdir -p "$OUT"
LOG=$OUT/logs
mkdir -p "$LOG"
export SYFT_CHECK_FOR_APP_UPDATE=false TRIVY_DISABLE_TELEMETRY=true

say() { echo "scan.sh: $*" >&2; }

# --- prerequisites -------------------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
  say "installing GNU time"
  { apt-get install -y -q time || { apt-get update -q && apt-get install -y -q time; }; } >/dev/null 2>&1 ||
    { say "cannot install /usr/bin/time (apt-get install time)"; exit 1; }
fi

# --- the image -----------------------------------------------------------------------------------
python3 bench/make-image.py "$IMAGE" --min-size "${MIN_SIZE:-1300000000}" || { say "image build failed"; exit 1; }
mapfile -t BLOBS < <(python3 -c '
import json,sys
info=json.load(open(sys.argv[1]+"/.complete"))
for l in info["layers"]: print(sys.argv[1]+"/blobs/sha256/"+l["digest"][7:])' "$IMAGE")
read -r NLAYERS GZ TAR MANIFEST < <(python3 -c '
import json,sys
i=json.load(open(sys.argv[1]+"/.complete"))
print(len(i["layers"]), sum(l["size"] for l in i["layers"]), sum(l["uncompressed"] for l in i["layers"]), i["manifest"])' "$IMAGE")

# --- measurement helpers -------------------------------------------------------------------------
# measure NAME CMD... : runs CMD $RUNS times under /usr/bin/time; sets M_WALL (median s) and
# M_RSS (max KiB), or M_WALL="" if any run failed (its stderr is kept in $LOG/NAME.err).
measure() {
  local name=$1; shift
  local walls=() rss=0 i t r
  M_WALL=""; M_RSS=""
  for ((i = 1; i <= RUNS; i++)); do
    [ -n "${BEFORE_EACH:-}" ] && eval "$BEFORE_EACH"
    if ! /usr/bin/time -f '%e %M' -o "$LOG/$name.time" "$@" >"$LOG/$name.out" 2>"$LOG/$name.err"; then
      say "$name failed (run $i); last lines of $LOG/$name.err:"
      tail -n 5 "$LOG/$name.err" | sed 's/^/    /' >&2
      return 1
    fi
    read -r t r < <(tail -n 1 "$LOG/$name.time")
    walls+=("$t")
    ((r > rss)) && rss=$r
  done
  M_WALL=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  M_RSS=$rss
}

ROWS=()
NOTES=()
row() { ROWS+=("$(printf '%-40s %9s %12s %13s' "$@")"); }
mb() { awk -v k="$1" 'BEGIN {printf "%.0f", k * 1024 / 1e6}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'; }
load() { cut -d' ' -f1 /proc/loadavg; }

LOAD0=$(load)
cat "${BLOBS[@]}" >/dev/null  # same warm page cache for everyone

# --- baseline ------------------------------------------------------------------------------------
printf '%s\n' "${BLOBS[@]}" >"$LOG/blobs.txt"
say "baseline: gzip -dc | sha256sum, xargs -P2, $NLAYERS layers"
BASE_WALL=""
if measure baseline xargs -P2 -n1 -a "$LOG/blobs.txt" \
    sh -c 'echo "$(gzip -dc "$1" | sha256sum | cut -d" " -f1) $1"' _; then
  BASE_WALL=$M_WALL
  row "baseline (gzip -dc | sha256sum, -P2)" "$M_WALL" "$(mb "$M_RSS")" "1.00x"
  # The hashes must be the config's diff_ids: checks the image and the baseline at once.
  python3 - "$IMAGE" "$LOG/baseline.out" <<'EOF' || say "WARNING: baseline hashes differ from diff_ids"
import json, sys
info = json.load(open(sys.argv[1] + "/.complete"))
want = {l["digest"][7:]: l["diff_id"][7:] for l in info["layers"]}
got = {line.split()[1].rsplit("/", 1)[1]: line.split()[0] for line in open(sys.argv[2])}
sys.exit(0 if got == want else 1)
EOF
else
  row "baseline" "failed" "" ""
fi

# --- bulkhead ------------------------------------------------------------------------------------
BH_WALL="" BH_RSS=""
if [ "${BUILD:-1}" != 0 ] && [ -f crates/bulkhead/Cargo.toml ]; then
  say "cargo build --release -p bulkhead"
  cargo build --release -q -p bulkhead >"$LOG/cargo.log" 2>&1 || say "cargo build failed (see $LOG/cargo.log)"
fi
if [ ! -x "$BIN" ]; then
  say "no $BIN; skipping bulkhead"
  row "bulkhead" "not built" "" ""
elif ! "$BIN" --help 2>/dev/null | grep -q '\bdb\b'; then
  say "$BIN has no 'db' command yet; skipping bulkhead"
  row "bulkhead" "no CLI yet" "" ""
else
  BH_VERSION=$("$BIN" --version 2>/dev/null | head -n 1)
  # A fresh cache every run: the import is timed on its own, and the scan cannot reuse any
  # per-layer results from an earlier run.
  BEFORE_EACH="rm -rf '$CACHE'"
  say "bulkhead db import $OSV"
  if measure bulkhead-db-import "$BIN" db import --cache-dir "$CACHE" "$OSV"; then
    row "bulkhead db import (separate)" "$M_WALL" "$(mb "$M_RSS")" ""
    BEFORE_EACH=""
    say "bulkhead image (full default scan)"
    if measure bulkhead "$BIN" image --cache-dir "$CACHE" --format json -o /dev/null "$IMAGE"; then
      BH_WALL=$M_WALL BH_RSS=$M_RSS
      row "${BH_VERSION:-bulkhead} image" "$M_WALL" "$(mb "$M_RSS")" \
        "$([ -n "$BASE_WALL" ] && ratio "$M_WALL" "$BASE_WALL")"
    else
      row "bulkhead image" "failed" "" ""
    fi
  else
    row "bulkhead db import" "failed" "" ""
  fi
  BEFORE_EACH=""
fi

# --- peers ---------------------------------------------------------------------------------------
TV_WALL="" TV_RSS=""
if [ "${PEERS:-1}" != 0 ]; then
  if [ ! -x "$PEERDIR/bin/trivy" ] || [ ! -x "$PEERDIR/bin/syft" ]; then
    say "installing peers into $PEERDIR (../shared/tools/install-peers.sh, ~80 s)"
    rm -rf "$PEERDIR"
    "$ROOT/../shared/tools/install-peers.sh" "$PEERDIR" >"$LOG/install-peers.log" 2>&1 ||
      say "install-peers.sh failed (see $LOG/install-peers.log)"
  fi
  count_pkgs() { python3 - "$@" 2>/dev/null <<'EOF'
import json, sys, collections
kind, path = sys.argv[1], sys.argv[2]
d = json.load(open(path))
if kind == "trivy":
    c = collections.Counter()
    for r in d.get("Results") or []:
        c[r.get("Type")] += len(r.get("Packages") or [])
else:
    c = collections.Counter(a["type"] for a in d.get("artifacts", []))
print(", ".join(f"{k} {v}" for k, v in c.most_common() if v))
EOF
  }
  if [ -x "$PEERDIR/bin/trivy" ]; then
    TV=$("$PEERDIR/bin/trivy" --version 2>/dev/null | awk '/^Version/ {print $2}')
    say "trivy $TV (catalog only)"
    BEFORE_EACH="rm -rf '$OUT/trivy-cache'"
    if measure trivy "$PEERDIR/bin/trivy" image --input "$IMAGE" --cache-dir "$OUT/trivy-cache" \
        --scanners license --list-all-pkgs --skip-db-update --offline-scan --skip-version-check \
        --skip-check-update --disable-telemetry --quiet --format json -o "$OUT/trivy.json"; then
      TV_WALL=$M_WALL TV_RSS=$M_RSS
      row "trivy $TV (--scanners license)" "$M_WALL" "$(mb "$M_RSS")" \
        "$([ -n "$BASE_WALL" ] && ratio "$M_WALL" "$BASE_WALL")"
      NOTES+=("trivy found: $(count_pkgs trivy "$OUT/trivy.json")")
    else
      row "trivy" "failed" "" ""
    fi
    BEFORE_EACH=""
  else
    row "trivy" "not installed" "" ""
  fi
  if [ -x "$PEERDIR/bin/syft" ]; then
    SV=$("$PEERDIR/bin/syft" version 2>/dev/null | awk '/^Version/ {print $2}')
    say "syft $SV (catalog)"
    if measure syft "$PEERDIR/bin/syft" scan "oci-dir:$IMAGE" -q \
        -o "syft-json=$OUT/syft.json"; then
      row "syft $SV (scan oci-dir:)" "$M_WALL" "$(mb "$M_RSS")" \
        "$([ -n "$BASE_WALL" ] && ratio "$M_WALL" "$BASE_WALL")"
      NOTES+=("syft found:  $(count_pkgs syft "$OUT/syft.json")")
    else
      row "syft" "failed" "" ""
    fi
  else
    row "syft" "not installed" "" ""
  fi
fi

# --- report --------------------------------------------------------------------------------------
echo
echo "Bulkhead image-scan benchmark — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, RUNS=$RUNS" \
  "(median wall, highest peak RSS), load average ${LOAD0} at start, $(load) at end"
printf 'image  %s: %d gzip layers, %.2f GB compressed, %.2f GB uncompressed\n       manifest %s\n' \
  "$IMAGE" "$NLAYERS" "$(awk -v x="$GZ" 'BEGIN{print x/1e9}')" "$(awk -v x="$TAR" 'BEGIN{print x/1e9}')" "$MANIFEST"
echo
printf '%-40s %9s %12s %13s\n' "command" "wall (s)" "peak RSS MB" "vs baseline"
printf '%s\n' "${ROWS[@]}"
[ ${#NOTES[@]} -gt 0 ] && printf '  %s\n' "${NOTES[@]}"
echo
FAILED=0
# check LABEL OK(0/1) DETAIL [bulkhead] — prints PASS/FAIL; bulkhead targets count for STRICT=1
check() {
  local v=PASS
  [ "$2" = 1 ] || { v=FAIL; [ "${4:-}" = bulkhead ] && FAILED=1; }
  printf 'target  %-36s %s (%s)\n' "$1:" "$v" "$3"
}
if [ -n "$BH_WALL" ] && [ -n "$BASE_WALL" ]; then
  check "bulkhead wall <= 1.0x baseline" "$(awk -v a="$BH_WALL" -v b="$BASE_WALL" 'BEGIN{print (a <= b)}')" \
    "$(ratio "$BH_WALL" "$BASE_WALL")" bulkhead
  check "bulkhead peak RSS <= 200 MB" "$(awk -v k="$BH_RSS" 'BEGIN{print (k * 1024 <= 200e6)}')" \
    "$(mb "$BH_RSS") MB" bulkhead
  if [ -n "$TV_WALL" ]; then
    check "beat trivy on wall time" "$(awk -v a="$BH_WALL" -v b="$TV_WALL" 'BEGIN{print (a < b)}')" \
      "$(ratio "$BH_WALL" "$TV_WALL") of trivy" bulkhead
    check "beat trivy on peak RSS" "$(awk -v a="$BH_RSS" -v b="$TV_RSS" 'BEGIN{print (a < b)}')" \
      "$(ratio "$BH_RSS" "$TV_RSS") of trivy" bulkhead
  fi
else
  echo "targets not evaluated: bulkhead did not run (see messages above)"
fi
awk -v l="$LOAD0" 'BEGIN{exit !(l > 0.5)}' &&
  echo "note: the machine was busy (load ${LOAD0}); figures are indicative only"
echo "logs: $LOG/"
[ "${STRICT:-0}" = 1 ] && [ "$FAILED" = 1 ] && exit 1
exit 0
