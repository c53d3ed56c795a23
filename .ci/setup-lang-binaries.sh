#!/usr/bin/env bash
# Tools for the Go / Rust / Java binary catalogers' tests (crates/bulkhead/tests/lang_binaries.rs
# and the analyzers' unit tests): Debian's Go toolchain, the JDK's `jar`/`javac`, and
# cargo-auditable. Idempotent and quiet; prints the time of each step it had to run.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

step() { # step NAME COMMAND...: run, print how long it took
  local name=$1 start=$SECONDS
  shift
  "$@"
  echo "setup-lang-binaries: $name took $((SECONDS - start)) s"
}

need=""
command -v go >/dev/null || need="$need golang-go"
command -v jar >/dev/null && command -v javac >/dev/null || need="$need openjdk-17-jdk-headless"
if [ -n "$need" ]; then
  step "apt-get install$need" bash -c \
    "apt-get update -qq && apt-get install -y -qq --no-install-recommends $need >/dev/null"
fi

# cargo-auditable builds the Rust test binary; pinned so CI builds the same version every time.
if ! cargo auditable --version >/dev/null 2>&1; then
  step "cargo install cargo-auditable" \
    cargo install cargo-auditable --version 0.7.2 --locked --quiet
fi
