#!/bin/bash
# bench/compare-k8s.sh — checkov vs Bulkhead on the same Kubernetes manifests, per object.
#
# Runs checkov 3.3.30 (--framework kubernetes, offline) and Bulkhead's k8s rules over the test
# corpus (crates/misconfig/tests/corpus/k8s and k8s-input) plus the first SAMPLE files of the
# bench corpus, then prints a table (bench/compare-k8s.py): for each checkov check that fired,
# how many objects, how many of those a Bulkhead rule for the same control also flagged, and
# the misses. checkov comes from PATH, or is installed into bench/out/peers with
# ../shared/tools/install-peers.sh (a few minutes, PyPI only).
# Usage: bench/compare-k8s.sh     Env: SAMPLE=100, CHECKOV=path
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SAMPLE=${SAMPLE:-100}
CHECKOV=${CHECKOV:-$(command -v checkov || true)}
if [ -z "$CHECKOV" ]; then
    for candidate in /opt/peers/bin/checkov bench/out/peers/bin/checkov; do
        [ -x "$candidate" ] && CHECKOV=$candidate && break
    done
fi
if [ -z "$CHECKOV" ]; then
    bash ../shared/tools/install-peers.sh "$ROOT/bench/out/peers"
    CHECKOV=bench/out/peers/bin/checkov
fi
WORK=bench/out/compare-k8s
rm -rf "$WORK" && mkdir -p "$WORK/files"
cp -r crates/misconfig/tests/corpus/k8s "$WORK/files/corpus"
mkdir -p "$WORK/files/input"
# the malformed inputs are error tests, not manifests to compare
ls crates/misconfig/tests/corpus/k8s-input/* | grep -v -e malformed -e bad-indent | xargs -I{} cp {} "$WORK/files/input/"
[ -d bench/out/k8s-1000 ] || python3 bench/make-k8s.py "$(mkdir -p bench/out/k8s-1000 && echo bench/out/k8s-1000)" 1000
mkdir -p "$WORK/files/bench"
sample=(bench/out/k8s-1000/*)
cp "${sample[@]:0:$SAMPLE}" "$WORK/files/bench/"

cargo build -q -p misconfig --example k8s_check
# each pair directory is its own input set, as checkov sees each file on its own
: > "$WORK/bulkhead.jsonl"
for dir in $(find "$WORK/files" -type f -printf '%h\n' | sort -u); do
    for file in "$dir"/*; do
        target/debug/examples/k8s_check "$file" >> "$WORK/bulkhead.jsonl"
    done
done
echo "checkov: $("$CHECKOV" --version) over $(find "$WORK/files" -type f | wc -l) files…" >&2
"$CHECKOV" -d "$WORK/files" --framework kubernetes --skip-download -o json --quiet > "$WORK/checkov.json" 2> "$WORK/checkov.err" || true
python3 bench/compare-k8s.py "$WORK/checkov.json" "$WORK/bulkhead.jsonl" "$WORK/files"
