#!/usr/bin/env bash
# bench/hostile-memory.sh — peak memory and wall time of bulkhead on the largest hostile inputs
# (issue 11: ≤ 500 MB peak RSS each at default limits, none alive past --timeout), beside trivy
# on the same input when it is installed (../shared/tools/install-peers.sh). Release build.
#   - a package-lock.json of 500,000 packages (33 MB)
#   - a CycloneDX SBOM of 1,000,000 components (refused past sbom-packages)
#   - a layer whose GNU long-name record declares 64 MiB (refused past tar-header)
#   - a YAML alias bomb (refused past yaml-nodes)
#   - a .zst feed that decompresses to 2 GiB of newlines (refused past feed-bytes)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out/hostile-memory; rm -rf "$OUT"; mkdir -p "$OUT"
cargo build -q --release -p bulkhead --bin bulkhead
BIN=$PWD/target/release/bulkhead
export BULKHEAD_CACHE_DIR=$OUT/cache BULKHEAD_TIMEOUT=10m

python3 - "$OUT" <<'PY'
import gzip, io, json, sys, tarfile
out = sys.argv[1]
import os
os.makedirs(f"{out}/lock", exist_ok=True)
packages = {"": {"name": "app", "version": "1.0.0"}}
for i in range(500_000):
    packages[f"node_modules/pkg-{i}"] = {"version": f"1.{i % 100}.{i % 7}", "license": "MIT"}
json.dump({"name": "app", "lockfileVersion": 3, "packages": packages},
          open(f"{out}/lock/package-lock.json", "w"))
with open(f"{out}/million.cdx.json", "w") as f:
    f.write('{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[')
    f.write(",".join(f'{{"type":"library","name":"p{i}","version":"1.0","purl":"pkg:npm/p{i}@1.0"}}'
                     for i in range(1_000_000)))
    f.write("]}")
os.makedirs(f"{out}/yaml", exist_ok=True)
lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
for i in range(1, 12):
    lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]")
open(f"{out}/yaml/bomb.yaml", "w").write("\n".join(lines) + "\nkind: Pod\napiVersion: v1\n")
PY
# A 64 MiB GNU long name in a gzip layer of an OCI layout, built with Python's tarfile.
python3 - "$OUT" <<'PY'
import gzip, hashlib, json, os, sys
out = sys.argv[1] + "/longname"
os.makedirs(out + "/blobs/sha256", exist_ok=True)
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(data)
    return "sha256:" + d, len(data)
size = 64 << 20
h = bytearray(512)
h[0:13] = b"././@LongLink"
h[100:108] = b"0000644\0"; h[108:116] = h[116:124] = b"0000000\0"
h[124:136] = f"{size:011o}\0".encode(); h[136:148] = b"00000000000\0"; h[156:157] = b"L"
h[257:263] = b"ustar "; h[263:265] = b" \0"
h[148:156] = b" " * 8; h[148:156] = f"{sum(h):06o}\0 ".encode()
raw = bytes(h) + b"a" * size + b"\0" * 1024
tar_digest = "sha256:" + hashlib.sha256(raw).hexdigest()
layer, layer_size = blob(gzip.compress(raw, 9))
config, config_size = blob(json.dumps({"architecture": "amd64", "os": "linux",
    "rootfs": {"type": "layers", "diff_ids": [tar_digest]}}).encode())
manifest, manifest_size = blob(json.dumps({"schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": config_size},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": layer_size}]}).encode())
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": manifest, "size": manifest_size}]}, open(out + "/index.json", "w"))
PY
{ echo '{"id":"X-1","modified":"2026-01-01T00:00:00Z","affected":[]}'; head -c 2G /dev/zero | tr '\0' '\n'; } \
  | zstd -q -19 -o "$OUT/bomb.jsonl.zst"
$BIN -q db import ../shared/data/osv/Alpine-secdb-2020.jsonl.zst >/dev/null 2>&1 \
  || $BIN -q db import /work/shared/data/osv/Alpine-secdb-2020.jsonl.zst >/dev/null

measure() { # name, command...
  local name=$1; shift
  local start end code
  start=$(date +%s.%N)
  set +e
  /usr/bin/time -f "%M" -o "$OUT/rss" "$@" >"$OUT/stdout" 2>"$OUT/stderr"
  code=$?
  set -e
  end=$(date +%s.%N)
  printf "%-44s exit %-3s %7.2f s  %6d MiB  %s\n" "$name" "$code" "$(echo "$end - $start" | bc)" \
    "$(( $(tail -1 "$OUT/rss") / 1024 ))" "$(grep -m1 -o 'error: .\{0,70\}' "$OUT/stderr" || true)"
}
echo "input                                        outcome    wall     peak RSS"
measure "bulkhead fs: package-lock, 500k packages" $BIN -q fs --scanners vuln --format json -o "$OUT/lock.json" "$OUT/lock"
if command -v trivy >/dev/null; then
  measure "trivy fs: package-lock, 500k packages" trivy -q fs --scanners vuln --skip-db-update --offline-scan -f json -o "$OUT/lock.trivy.json" "$OUT/lock"
fi
measure "bulkhead sbom: 1,000,000 components" $BIN -q sbom --format json "$OUT/million.cdx.json"
if command -v trivy >/dev/null; then
  measure "trivy sbom: 1,000,000 components" trivy -q sbom --skip-db-update --offline-scan -f json "$OUT/million.cdx.json"
fi
measure "bulkhead image: 64 MiB long name" $BIN -q image --format json "$OUT/longname"
measure "bulkhead config: YAML alias bomb" $BIN -q config --format json "$OUT/yaml"
measure "bulkhead db import: zstd feed of 2 GiB" env BULKHEAD_CACHE_DIR="$OUT/cache2" $BIN -q db import "$OUT/bomb.jsonl.zst"
