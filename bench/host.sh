#!/usr/bin/env bash
# bench/host.sh — `bulkhead host` on this machine (issue 16: under 2 s): wall time, peak memory,
# and what it found. docker-bench-security and kube-bench need a live daemon or kubelet and are
# not run here. Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p bulkhead --bin bulkhead
OUT=bench/out/host; rm -rf "$OUT"; mkdir -p "$OUT"
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$OUT/rss" target/release/bulkhead host -q --format json -o "$OUT/host.json"
end=$(date +%s.%N)
python3 - "$OUT/host.json" "$start" "$end" "$(cat "$OUT/rss")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
k = r["host"].get("kernel") or {}
print(f"bulkhead host: {float(sys.argv[3]) - float(sys.argv[2]):.2f} s wall, peak RSS {int(sys.argv[4]) // 1024} MiB")
print(f"  kernel {k.get('release')} ({'running' if k.get('running') else 'installed'}), "
      f"{len(r['components'])} components ({', '.join(c['name'] + ' ' + c['version'] for c in r['components'])}), "
      f"{len(r['misconfigurations'])} failed checks, {len(r['vulnerabilities'])} vulnerabilities, "
      f"{len(r['containers'])} containers, {len(r['escape_paths'])} escape paths, {len(r['warnings'])} warnings")
PY
