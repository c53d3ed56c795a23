#!/bin/bash
# bench/lang-binaries.sh — Go binaries and Java archives of a real directory tree, checked
# against independent readers, with time and peak memory of the scan.
#
# Runs `bulkhead rootfs --format json DIR` (default /usr), then compares
#   every Go binary's modules with `go version -m` (local-directory replacements and `(devel)`
#   modules left out on both sides, as bulkhead reports them), and that each has `stdlib`;
#   every top-level archive with pom.properties with Python's zipfile reading the same files.
# Prints counts, differences, wall time and peak RSS.
#
# Usage: bench/lang-binaries.sh [DIR]
# Env:   BULKHEAD=path  binary to measure (default target/release/bulkhead, else target/debug)
#        CACHE=dir      advisory cache (default bench/out/lang-cache, filled from ../shared Go
#                       and crates.io feeds on first use)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-/usr}
BULKHEAD=${BULKHEAD:-$ROOT/target/release/bulkhead}
[ -x "$BULKHEAD" ] || BULKHEAD=$ROOT/target/debug/bulkhead
SHARED=${BULKHEAD_SHARED:-$ROOT/../shared}
CACHE=${CACHE:-$ROOT/bench/out/lang-cache}
OUT=$ROOT/bench/out
mkdir -p "$OUT"
command -v go >/dev/null || { echo "needs go: bash .ci/setup-lang-binaries.sh" >&2; exit 1; }
if [ ! -e "$CACHE" ]; then
  "$BULKHEAD" --cache-dir "$CACHE" db import "$SHARED/data/osv/Go.jsonl.zst" \
    "$SHARED/data/osv/crates.io.jsonl.zst" >/dev/null 2>&1
fi
/usr/bin/time -f "%e %M" -o "$OUT/lang-binaries.time" \
  "$BULKHEAD" --cache-dir "$CACHE" rootfs --quiet --format json "$DIR" >"$OUT/lang-binaries.json"
read -r wall rss <"$OUT/lang-binaries.time"
echo "scan of $DIR: ${wall} s, peak RSS $((rss / 1024)) MiB ($BULKHEAD)"
python3 - "$DIR" "$OUT/lang-binaries.json" <<'PY'
import json, os, subprocess, sys, zipfile
root, report = sys.argv[1], json.load(open(sys.argv[2]))
by = {}
for p in report["packages"]:
    by.setdefault((p["ecosystem"], p["location"]), set()).add((p["name"], p["version"]))

def go_oracle(path):
    out = subprocess.run(["go", "version", "-m", path], capture_output=True, text=True).stdout
    mods = []
    for line in out.splitlines()[1:]:
        f = line.strip("\t").split("\t")
        if f[0] in ("mod", "dep"):
            mods.append([f[1], f[2] if len(f) > 2 else ""])
        elif f[0] == "=>" and mods:
            v = f[2] if len(f) > 2 else ""
            mods[-1] = [f[1], v] if v and v != "(devel)" else [mods[-1][0], "(devel)"]
    return {(n, v) for n, v in mods if v and v != "(devel)"}

go = [loc for (eco, loc) in by if eco == "go" and not loc.endswith(("go.mod", "go.sum"))]
go_diff = 0
for loc in sorted(go):
    got = by[("go", loc)]
    want = go_oracle(os.path.join(root, loc))
    if {x for x in got if x[0] != "stdlib"} != want or not any(n == "stdlib" for n, _ in got):
        go_diff += 1
        print("  go differs:", loc)
print(f"Go binaries: {len(go)} found, {go_diff} differ from go version -m")

def props(z, name):
    d = {}
    for l in z.read(name).decode("utf8", "replace").splitlines():
        l = l.strip()
        if l and not l.startswith(("#", "!")) and "=" in l:
            k, v = l.split("=", 1)
            d[k.strip()] = v.strip()
    return d

jars = jar_diff = 0
for (eco, loc), got in by.items():
    if eco != "maven" or "!" in loc:
        continue
    try:
        z = zipfile.ZipFile(os.path.join(root, loc))
    except Exception:
        continue
    poms = [n for n in z.namelist()
            if n.startswith("META-INF/maven/") and n.endswith("/pom.properties") and n.count("/") == 4]
    want = set()
    for n in poms:
        d = props(z, n)
        if {"groupId", "artifactId", "version"} <= d.keys():
            want.add((d["groupId"] + ":" + d["artifactId"], d["version"]))
    if not want:
        continue
    jars += 1
    if want != got:
        jar_diff += 1
        print("  jar differs:", loc, sorted(want ^ got)[:4])
print(f"Java archives with pom.properties: {jars} compared, {jar_diff} differ from zipfile")
counts = {}
for p in report["packages"]:
    counts[p["ecosystem"]] = counts.get(p["ecosystem"], 0) + 1
print("packages by ecosystem:", counts, "| vulnerabilities:", len(report["vulnerabilities"]),
      "| warnings:", len(report["warnings"]))
PY
