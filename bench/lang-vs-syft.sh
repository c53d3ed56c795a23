#!/bin/bash
# bench/lang-vs-syft.sh — language packages: bulkhead's list against syft's on the same tree.
#
# Lays out a root filesystem like the image of crates/bulkhead/tests/lang_scan.rs (Debian's
# python3-six, the real `pip install --target` and `npm install` output of .ci/setup-lang.sh,
# ruby's default gemspecs, and the lock files of crates/bulkhead/tests/data/lang), then prints
# the packages only one tool reports, keyed by (lower-case name, version, location), for syft's
# image catalogers (installed packages) and for its directory catalogers (lock files). Each
# difference is explained in the report of issue 3. Also prints both tools' wall times.
#
# Usage: bench/lang-vs-syft.sh   (needs .ci/setup-lang.sh run; installs syft into
#        bench/out/peers with ../shared/tools/install-peers.sh on first use)
# Env:   BULKHEAD=path (default target/debug/bulkhead, built if missing)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OUT=bench/out/lang
PEERDIR=bench/out/peers
FX=${BULKHEAD_LANG_FIXTURES:-/var/tmp/bulkhead-lang}
SHARED=${BULKHEAD_SHARED:-$ROOT/../shared}
[ -f "$FX/stamp" ] || { echo "run .ci/setup-lang.sh first" >&2; exit 1; }
BULKHEAD=${BULKHEAD:-target/debug/bulkhead}
[ -x "$BULKHEAD" ] || cargo build -q -p bulkhead
if [ ! -x "$PEERDIR/bin/syft" ]; then
  rm -rf "$PEERDIR"
  "$SHARED/tools/install-peers.sh" "$PEERDIR" >/dev/null
fi
export SYFT_CHECK_FOR_APP_UPDATE=false

R=$OUT/root
rm -rf "$OUT" && mkdir -p "$R"/{etc,var/lib/dpkg,app,srv/ruby,srv/py,srv/js,srv/php/vendor/composer,srv/dotnet}
printf 'ID=debian\nVERSION_ID="12"\n' >"$R/etc/os-release"
printf 'Package: python3-six\nStatus: install ok installed\nVersion: 1.16.0-4\nArchitecture: all\n\n' \
  >"$R/var/lib/dpkg/status"
mkdir -p "$R/usr/lib/python3/dist-packages/six-1.16.0.dist-info" "$R/usr/local/lib/python3.11"
cp "$FX/site-packages/six-1.16.0.dist-info/METADATA" "$R/usr/lib/python3/dist-packages/six-1.16.0.dist-info/"
cp -r "$FX/site-packages" "$R/usr/local/lib/python3.11/site-packages"
cp -r "$FX/node/." "$R/app/"
specs=$(ruby -e 'print Gem.default_specifications_dir' 2>/dev/null || true)
if [ -n "$specs" ]; then
  mkdir -p "$R/usr/local/lib/ruby/gems/3.1.0/specifications/default"
  cp "$specs"/*.gemspec "$R/usr/local/lib/ruby/gems/3.1.0/specifications/default/"
fi
D=crates/bulkhead/tests/data/lang
cp $D/Gemfile.lock "$R/srv/ruby/"
cp $D/poetry.lock $D/uv.lock $D/Pipfile.lock "$R/srv/py/"
cp $D/yarn.lock $D/pnpm-lock.yaml "$R/srv/js/"
cp $D/composer.lock "$R/srv/php/"
cp $D/installed.json "$R/srv/php/vendor/composer/"
cp $D/App.deps.json $D/packages.lock.json "$R/srv/dotnet/"

DB=$OUT/cache
"$BULKHEAD" --cache-dir "$DB" db import "$SHARED/data/osv/PyPI.jsonl.zst" >/dev/null 2>&1
t() { local s=$(date +%s.%N); "$@"; echo "$(echo "$(date +%s.%N) - $s" | bc)"; }
bt=$(t "$BULKHEAD" --cache-dir "$DB" rootfs --quiet --format json -o "$OUT/bulkhead.json" "$R")
st=$(t "$PEERDIR/bin/syft" scan "dir:$R" -q --override-default-catalogers image -o "syft-json=$OUT/syft-image.json")
t "$PEERDIR/bin/syft" scan "dir:$R" -q -o "syft-json=$OUT/syft-dir.json" >/dev/null
echo "wall: bulkhead rootfs ${bt}s, syft (image catalogers) ${st}s"
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
bh = {(p["name"].lower(), p["version"], p["location"]) for p in json.load(open(f"{out}/bulkhead.json"))["packages"]
      if p["ecosystem"] not in ("debian",)}
for kind in ("image", "dir"):
    sy = set()
    for a in json.load(open(f"{out}/syft-{kind}.json"))["artifacts"]:
        if a["type"] == "deb":
            continue
        # syft lists every evidence file (RECORD, top_level.txt); the first is the one read.
        loc = (a.get("locations") or [{"path": ""}])[0]["path"].lstrip("/")
        sy.add((a["name"].lower(), a["version"], loc))
    print(f"\nsyft {kind} catalogers: {len(sy)} packages; bulkhead: {len(bh)}")
    for label, diff in (("only syft", sy - bh), ("only bulkhead", bh - sy)):
        print(f"  {label}: {len(diff)}")
        for name, version, loc in sorted(diff, key=lambda x: (x[2], x[0])):
            print(f"    {name} {version}  {loc}")
PY
