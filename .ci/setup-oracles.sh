#!/usr/bin/env bash
# Oracles for the version-ordering tests (crates/detectors/tests/version_vectors.rs): dpkg
# (always present on Debian) judges Debian order, rpm judges rpmvercmp, Maven's
# maven-artifact jar judges ComparableVersion; zstd reads the shared feeds in shell tests.
# Idempotent and quiet.
set -euo pipefail
need=""
for pkg in rpm zstd maven; do
  dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || need="$need $pkg"
done
if [ -n "$need" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
