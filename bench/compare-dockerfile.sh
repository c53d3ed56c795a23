#!/usr/bin/env bash
# Compares Dockerfile rule coverage with hadolint, checkov and trivy on our corpus
# (crates/misconfig/tests/corpus/dockerfile/<ID>/{bad,good}/Dockerfile).
# For each of our rules it prints which tool tells the insecure case from the hardened one:
# the peer's check IDs that fire on bad/ and not on good/. Peers come from
# `bash /work/shared/tools/install-peers.sh DIR` (PEERS=DIR, default /opt/peers).
# Usage: bench/compare-dockerfile.sh [BULKHEAD_BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=${PEERS:-/opt/peers}
export PATH="$PEERS/bin:$PATH"
BIN=${1:-target/release/bulkhead}
[ -x "$BIN" ] || cargo build --release -q -p bulkhead
CORPUS=crates/misconfig/tests/corpus/dockerfile
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

for dir in "$CORPUS"/*/{bad,good}; do
  key=$(echo "$dir" | sed "s|$CORPUS/||; s|/|.|")
  "$BIN" config --quiet --format json -o "$OUT/$key.bulkhead.json" "$dir" || true
  if command -v hadolint >/dev/null; then
    hadolint --no-fail -f json "$dir/Dockerfile" > "$OUT/$key.hadolint.json" 2>/dev/null || echo '[]' > "$OUT/$key.hadolint.json"
  fi
done
# checkov and trivy start slowly: one run each over the whole corpus, split by file below.
if command -v checkov >/dev/null; then
  checkov --skip-download --quiet --compact -o json --framework dockerfile -d "$CORPUS" \
    > "$OUT/all.checkov.json" 2>/dev/null || true
fi
if command -v trivy >/dev/null; then
  trivy config --quiet --skip-check-update --format json "$CORPUS" > "$OUT/all.trivy.json" 2>/dev/null || true
fi

python3 - "$OUT" "$CORPUS" <<'PY'
import json, os, sys
out, corpus = sys.argv[1], sys.argv[2]

def load(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None

checkov_all = load(os.path.join(out, "all.checkov.json"))
trivy_all = load(os.path.join(out, "all.trivy.json"))

def file_of(key):
    rule, case = key.split(".")
    return f"{rule}/{case}/Dockerfile"

def ids(key, tool):
    if tool == "checkov":
        if checkov_all is None:
            return None
        reports = checkov_all if isinstance(checkov_all, list) else [checkov_all]
        return {c["check_id"] for r in reports for c in r.get("results", {}).get("failed_checks", [])
                if c.get("file_path", "").endswith(file_of(key))}
    if tool == "trivy":
        if trivy_all is None:
            return None
        return {m["ID"] for r in trivy_all.get("Results", []) or [] if r.get("Target", "").endswith(file_of(key))
                for m in r.get("Misconfigurations", []) or []}
    data = load(os.path.join(out, f"{key}.{tool}.json"))
    if data is None:
        return None
    if tool == "bulkhead":
        return {m["rule_id"] for m in data.get("misconfigurations", [])}
    if tool == "hadolint":
        return {m["code"] for m in data}

tools = ["bulkhead", "hadolint", "checkov", "trivy"]
rules = sorted(d for d in os.listdir(corpus) if d.startswith("BH-DF-"))
available = [t for t in tools if ids(f"{rules[0]}.bad", t) is not None]
print(f"{'rule':<10} " + " ".join(f"{t:<22}" for t in available))
covered = {t: 0 for t in available}
seen = {t: set() for t in available}
for rule in rules:
    row = []
    for tool in available:
        bad, good = ids(f"{rule}.bad", tool) or set(), ids(f"{rule}.good", tool) or set()
        seen[tool] |= bad | good
        if tool == "bulkhead":
            hit = rule in bad and rule not in good
            cell = "yes" if hit else "NO"
        else:
            diff = sorted(bad - good)
            hit = bool(diff)
            cell = ",".join(diff) if diff else "-"
        covered[tool] += hit
        row.append(f"{cell[:22]:<22}")
    print(f"{rule:<10} " + " ".join(row))
print()
for tool in available:
    print(f"{tool}: tells bad from good on {covered[tool]}/{len(rules)} rule ideas; distinct check IDs fired on the corpus: {len(seen[tool])}")
for tool in available:
    if tool != "bulkhead":
        print(f"{tool} IDs fired anywhere on the corpus: {' '.join(sorted(seen[tool]))}")
PY
