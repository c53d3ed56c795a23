#!/usr/bin/env bash
# Registry tests (crates/bulkhead/tests/registry.rs) need a real OCI registry server
# (Debian's docker-registry = the CNCF distribution registry), skopeo to push images into it,
# htpasswd (apache2-utils) for the basic-auth registry, and openssl to sign the test token
# server's JWTs. The tests start and stop the
# registry themselves on 127.0.0.1; nothing keeps running after them.
set -euo pipefail
need=""
for pkg in docker-registry skopeo apache2-utils openssl; do
  dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || need="$need $pkg"
done
if [ -n "$need" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps the package's own service (which would listen on :5000) from starting;
  # stop it anyway if it did.
  apt-get install -y -qq --no-install-recommends $need >/dev/null
  if command -v systemctl >/dev/null && systemctl is-active -q docker-registry 2>/dev/null; then
    systemctl stop docker-registry || true
  fi
fi
