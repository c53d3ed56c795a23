#!/usr/bin/env bash
# Secret-scanner throughput: MB/s of text per core on this machine's docs and Python library
# (target: >= 300 MB/s/core), then the end-to-end `bulkhead fs` wall and CPU time on the same
# trees. Release build. Usage: bench/secrets.sh [DIR...]
set -euo pipefail
cd "$(dirname "$0")/.."
roots=("$@")
if [ ${#roots[@]} -eq 0 ]; then
  roots=(/usr/share/doc)
  for d in /usr/lib/python3 /usr/lib/python3.*; do [ -d "$d" ] && roots+=("$d"); done
fi
cargo build --release -q -p bulkhead
cargo build --release -q -p analyzers --example secret_throughput
echo "== scanner alone, files in memory, one core"
./target/release/examples/secret_throughput "${roots[@]}"
echo
echo "== bulkhead fs --scanners secret (walk + read + scan), per tree"
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
for root in "${roots[@]}"; do
  mb=$(du -sm --apparent-size "$root" | cut -f1)
  /usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB max RSS" \
    ./target/release/bulkhead fs --scanners secret -q -f json --cache-dir "$cache" "$root" \
    2> "$cache/time" > "$cache/out.json"
  n=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['secrets']))" "$cache/out.json")
  echo "$root: ${mb} MB on disk, $n findings, $(tail -1 "$cache/time")"
done
