#!/usr/bin/env bash
# Server tests (crates/bulkhead/tests/server_postgres.rs) need a real PostgreSQL: Debian's
# postgresql-15 server binaries (initdb, postgres, pg_isready). The tests make their own
# cluster with initdb in a temp dir, start it on a free port on 127.0.0.1 as the `postgres`
# user and stop it afterwards; the package's own cluster is not used (it is stopped if the
# install started it).
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster 15 main stop 2>/dev/null || true
  fi
fi
