#!/usr/bin/env bash
# Recall and false positives of bulkhead's secret scanner against detect-secrets (and trivy,
# when installed) on the same corpora: a planted corpus (bench/planted-corpus.py: one fake
# credential per file, in the providers' documented formats) and a clean corpus (this
# machine's /usr/share/doc and /usr/lib/python3*). Each tool runs with its defaults.
# Peers: bash /work/shared/tools/install-peers.sh DIR (or pip install detect-secrets==1.5.0);
# PEERS=DIR points at them (default /opt/peers). Usage: bench/compare-secrets.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=${PEERS:-/opt/peers}
export PATH="$PEERS/bin:$PATH"
command -v detect-secrets >/dev/null || { echo "detect-secrets missing: bash /work/shared/tools/install-peers.sh $PEERS" >&2; exit 1; }
cargo build --release -q -p bulkhead
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/planted-corpus.py "$work/planted" 7
clean=(/usr/share/doc)
for d in /usr/lib/python3 /usr/lib/python3.*; do [ -d "$d" ] && clean+=("$d"); done

# Each runner: run TOOL on DIR, write "file<TAB>line" per finding to OUT (paths relative to DIR).
run_bulkhead() {
  ./target/release/bulkhead fs --scanners secret -q -f json --cache-dir "$work/cache" "$1" > "$work/b.json"
  python3 -c 'import json,sys
for s in json.load(open(sys.argv[1]))["secrets"]: print(s["file"], s["line"], sep="\t")' "$work/b.json" > "$2"
}
run_detect_secrets() {
  (cd "$1" && detect-secrets scan --all-files . > "$work/d.json")
  python3 -c 'import json,sys
for f, items in json.load(open(sys.argv[1]))["results"].items():
    for i in items: print(f.removeprefix("./"), i["line_number"], sep="\t")' "$work/d.json" > "$2"
}
run_trivy() {
  trivy fs --scanners secret --format json --quiet --skip-check-update --skip-version-check \
    --cache-dir "$work/trivy-cache" "$1" > "$work/t.json" 2>/dev/null
  python3 -c 'import json,sys
for r in json.load(open(sys.argv[1])).get("Results") or []:
    for s in r.get("Secrets") or []: print(r["Target"], s["StartLine"], sep="\t")' "$work/t.json" > "$2"
}

tools=(bulkhead detect_secrets)
command -v trivy >/dev/null && tools+=(trivy)
printf "%-16s %-18s %-24s %s\n" tool "planted recall" "clean-corpus findings" "seconds (planted + clean)"
for tool in "${tools[@]}"; do
  start=$(date +%s.%N)
  "run_$tool" "$work/planted" "$work/$tool.planted"
  recall=$(python3 -c 'import sys
found = {l.split("\t")[0] for l in open(sys.argv[1])}
expected = [l.split("\t")[0] for l in open(sys.argv[2])]
missed = [e for e in expected if e not in found]
print(f"{len(expected)-len(missed)}/{len(expected)}")
open(sys.argv[3], "w").write("\n".join(missed))' "$work/$tool.planted" "$work/planted/expected.tsv" "$work/$tool.missed")
  fp=0
  for root in "${clean[@]}"; do
    "run_$tool" "$root" "$work/$tool.clean"
    fp=$((fp + $(wc -l < "$work/$tool.clean")))
  done
  secs=$(python3 -c "import time,sys; print(f'{time.time()-float(sys.argv[1]):.1f}')" "$start")
  printf "%-16s %-18s %-24s %s\n" "${tool//_/-}" "$recall" "$fp" "$secs"
  [ -s "$work/$tool.missed" ] && echo "   missed: $(tr '\n' ' ' < "$work/$tool.missed")"
done
