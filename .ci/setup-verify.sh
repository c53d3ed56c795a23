#!/usr/bin/env bash
# Verify tests (crates/verify/tests, crates/bulkhead/tests/verify.rs) make cosign-format keys and
# signatures with the real openssl CLI and push them into the test registry with curl. The
# registry itself and skopeo come from .ci/setup-registry.sh.
set -euo pipefail
need=""
for pkg in openssl curl; do
  dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || need="$need $pkg"
done
if [ -n "$need" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
