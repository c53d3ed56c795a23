#!/usr/bin/env bash
# A real scan of a real image. Builds Debian 12 images with no Docker engine (debootstrap + umoci,
# via ../shared/tools/make-fixtures.sh; needs root and Debian's package archive), adds an
# application layer installed by the real pip and npm from their registries (old releases with
# published advisories) and a Gemfile.lock, imports the real OSV advisories from
# ../shared/data/osv into the default database, and scans the image.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${BULKHEAD_SHARED:-$ROOT/../shared}
FIX=${FIX:-$ROOT/.fixtures}
mkdir -p "$FIX"

if [ ! -f "$FIX/oci/index.json" ]; then
  echo "==> building the fixture images into $FIX (about 2 minutes the first time; log: $FIX/make-fixtures.log)"
  FIX=$FIX BUILDAH=0 bash "$SHARED/tools/make-fixtures.sh" >"$FIX/make-fixtures.log" 2>&1 \
    || { tail -20 "$FIX/make-fixtures.log"; exit 1; }
fi

if [ ! -f "$FIX/oci-demo/index.json" ]; then
  echo "==> adding an application layer (pip, npm, a Gemfile.lock) to the planted image"
  bash "$ROOT/scripts/demo-app-layer.sh" "$FIX"
fi

echo "==> building and installing bulkhead (release, into cargo's bin directory)"
cargo install --quiet --locked --force --path crates/bulkhead --target-dir "$ROOT/target"
BULKHEAD=$ROOT/target/release/bulkhead

echo "==> importing the advisories into the default database"
"$BULKHEAD" db import "$SHARED/data/osv/"

echo "==> scanning $FIX/oci-demo"
"$BULKHEAD" image "$FIX/oci-demo"

echo
echo "==> try next (the database is in the default cache, so these work as they are):"
if ! command -v bulkhead >/dev/null; then
  echo "    export PATH=\"${CARGO_HOME:-$HOME/.cargo}/bin:\$PATH\"   # where cargo install put bulkhead"
fi
echo "    bulkhead image --severity HIGH,CRITICAL $FIX/demo.docker.tar"
echo "    bulkhead image --format json -o demo.json $FIX/oci-demo"
echo "    bulkhead config $FIX/k8s"
