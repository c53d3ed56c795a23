#!/usr/bin/env bash
# Real Debian runtime packages for the host-audit tests (crates/bulkhead/tests/host.rs): the
# runc, containerd and docker.io .debs of this machine's Debian release, downloaded (not
# installed) from the package registry into BULKHEAD_HOST_DEBS. The tests unpack them into a
# root with dpkg-deb and record them in that root's dpkg database. Idempotent and quiet.
set -euo pipefail
dir=${BULKHEAD_HOST_DEBS:-/var/cache/bulkhead-ci/host-debs}
mkdir -p "$dir"
cd "$dir"
for pkg in runc containerd docker.io; do
  ls "${pkg}"_*.deb >/dev/null 2>&1 && continue
  apt-get download -qq "$pkg" 2>/dev/null || { apt-get update -qq && apt-get download -qq "$pkg"; }
done
