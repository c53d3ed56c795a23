#!/usr/bin/env bash
# Server tests (crates/bulkhead/tests/server.rs) need a real PostgreSQL — Debian's postgresql-15
# server binaries (initdb, postgres, pg_isready, psql): the tests make their own cluster with
# initdb in a temp dir, start it on a free port on 127.0.0.1 as the `postgres` user and stop it
# afterwards; the package's own cluster is not used (stopped if the install started it) — and
# PyYAML to read Harbor's OpenAPI file (jsonschema comes from setup-config.sh). Idempotent.
set -euo pipefail
need=""
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql-15"
python3 -c 'import yaml' 2>/dev/null || need="$need python3-yaml"
if [ -n "$need" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $need >/dev/null
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster 15 main stop 2>/dev/null || true
  fi
fi
