#!/bin/bash
# bench/k8s.sh — Kubernetes checks over 1,000 realistic manifest files (target: under 1 s).
#
# Generates (once) bench/out/k8s: 1,000 chart-like files, multi-document YAML and JSON Lists,
# about 4,000 objects (bench/make-k8s.py, fixed seed), then times reading and checking them
# all with the release build of crates/misconfig/examples/k8s_check.rs (the same
# `misconfig::k8s::check_all` that `bulkhead config` calls), and prints PASS/FAIL.
#
# Usage: bench/k8s.sh        Env: RUNS=5 (median of), COUNT=1000, BUILD=0 (skip cargo build)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${RUNS:-5}
COUNT=${COUNT:-1000}
CORPUS=bench/out/k8s-$COUNT
if [ ! -d "$CORPUS" ]; then
    mkdir -p "$CORPUS"
    python3 bench/make-k8s.py "$CORPUS" "$COUNT"
fi
if [ "${BUILD:-1}" != 0 ]; then
    cargo build --release -q -p misconfig --example k8s_check
fi
BIN=target/release/examples/k8s_check
echo "corpus: $CORPUS ($(ls "$CORPUS" | wc -l) files, $(du -sh "$CORPUS" | cut -f1)); load: $(cut -d' ' -f1-3 /proc/loadavg)"
times=()
for _ in $(seq "$RUNS"); do
    start=$(date +%s%N)
    line=$("$BIN" --bench "$CORPUS")
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
done
echo "in-process: $line"
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
echo "wall (process start to exit), median of $RUNS: ${median} ms  [runs: ${times[*]}]"
if [ "$median" -lt 1000 ]; then echo "PASS: under 1 s"; else echo "FAIL: 1 s target"; fi
