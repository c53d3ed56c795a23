#!/usr/bin/env bash
# A real scan of a real image: builds a Debian 12 image with no Docker engine (debootstrap +
# umoci, via ../shared/tools/make-fixtures.sh; needs root and Debian's package archive),
# imports the real OSV advisories from ../shared/data/osv, and scans the image as an OCI
# layout and as a `docker save` archive.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${BULKHEAD_SHARED:-$ROOT/../shared}
FIX=${FIX:-$ROOT/.fixtures}
export BULKHEAD_CACHE_DIR=${BULKHEAD_CACHE_DIR:-$FIX/cache}

if [ ! -f "$FIX/oci-minbase/index.json" ]; then
  echo "==> building the fixture images into $FIX (about 2 minutes the first time)"
  FIX=$FIX BUILDAH=0 bash "$SHARED/tools/make-fixtures.sh" >"$FIX.log" 2>&1 || { tail -20 "$FIX.log"; exit 1; }
fi
echo "==> building bulkhead (release)"
cargo build --release --locked -p bulkhead
BULKHEAD=$ROOT/target/release/bulkhead

echo "==> importing advisories"
"$BULKHEAD" db import "$SHARED/data/osv/"
"$BULKHEAD" db info | sed -n 1,4p  # sed reads it all: no broken pipe under pipefail

echo "==> scanning $FIX/oci-minbase"
"$BULKHEAD" image "$FIX/oci-minbase"
echo "==> scanning $FIX/planted.docker.tar (JSON report in $FIX/planted.json)"
"$BULKHEAD" image --format json -o "$FIX/planted.json" "$FIX/planted.docker.tar"
jq '{artifact: .artifact.name, os, packages: (.packages | length), vulnerabilities: (.vulnerabilities | length),
     secrets: [.secrets[] | {rule_id, file, match, deleted}], misconfigurations: [.misconfigurations[] | .rule_id + " " + .message]}' \
  "$FIX/planted.json" 2>/dev/null \
  || head -c 600 "$FIX/planted.json"
