#!/usr/bin/env bash
# Every test, on a fresh machine: install what the tests need (each .ci/setup-*.sh is
# idempotent and quiet when its tools are already there), then run the whole workspace's tests.
# Extra arguments go to `cargo test` (e.g. `bash scripts/test.sh -p misconfig`).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never} DEBIAN_FRONTEND=noninteractive
# Incremental state is useless on a one-shot build and costs disk.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
for setup in .ci/setup-*.sh; do
  bash "$setup"
done
cargo test --workspace --locked "$@"
