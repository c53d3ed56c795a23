#!/usr/bin/env bash
# bench/fuzz.sh [SECONDS] [TARGET...] — runs the cargo-fuzz targets in fuzz/ (stable toolchain
# through RUSTC_BOOTSTRAP=1, no sanitizer runtime needed: `-s none`) for SECONDS each (default
# 600), two at a time, each corpus seeded from ../shared's real fixtures and the tests' own
# fixtures, and prints executions and crashes per target. Crash inputs land in
# fuzz/artifacts/TARGET/; each one found becomes a regression test.
# Env: SHARED=../shared  PARALLEL=2  MAX_LEN=1048576
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${SHARED:-${BULKHEAD_SHARED:-$(cd .. && pwd)/shared}}
EACH=${1:-600}
shift || true
PARALLEL=${PARALLEL:-2}
command -v cargo-fuzz >/dev/null || cargo install --locked --quiet cargo-fuzz
cd fuzz
export RUSTC_BOOTSTRAP=1
cargo fuzz build -s none >/dev/null
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)

# seed TARGET: real inputs of the format the target reads.
seed() {
  local t=$1 dir=corpus/$1 pkgdb=$SHARED/data/fixtures/pkgdb n=0
  mkdir -p "$dir"
  case $t in
    layer)
      local tmp; tmp=$(mktemp -d)
      mkdir -p "$tmp/var/lib/dpkg" "$tmp/lib/apk/db" "$tmp/etc"
      cp "$pkgdb/local-debian12/status" "$tmp/var/lib/dpkg/status"
      printf 'ID=debian\nVERSION_ID="12"\n' > "$tmp/etc/os-release"
      find "$pkgdb" -path '*lib/apk/db/installed' | head -1 | xargs -I{} cp {} "$tmp/lib/apk/db/installed"
      tar -C "$tmp" -cf "$dir/plain.tar" .
      gzip -c "$dir/plain.tar" > "$dir/layer.tar.gz"
      rm -rf "$tmp" ;;
    catalogers)
      # The first byte picks the path (fuzz_targets/catalogers.rs, PATHS).
      local i=0
      for f in "$pkgdb/local-debian12/status" x x x \
               "$(find "$pkgdb" -path '*lib/apk/db/installed' | head -1)" \
               "$(find "$pkgdb" -name rpmdb.sqlite | head -1)" \
               "$(find "$pkgdb" -name Packages | head -1)" \
               "$(find "$pkgdb" -name Packages.db | head -1)"; do
        [ -f "$f" ] && { printf "\\x$(printf %02x $i)" | cat - "$f" > "$dir/seed-$i"; }
        i=$((i + 1))
      done
      for f in "$ROOT"/crates/bulkhead/tests/data/lang/*; do
        case $(basename "$f") in
          yarn.lock) i=13 ;; pnpm-lock.yaml) i=14 ;; poetry.lock) i=18 ;; Pipfile.lock) i=19 ;;
          uv.lock) i=20 ;; Gemfile.lock) i=22 ;; composer.lock) i=24 ;; installed.json) i=25 ;;
          App.deps.json) i=26 ;; packages.lock.json) i=27 ;; *) continue ;;
        esac
        printf "\\x$(printf %02x $i)" | cat - "$f" > "$dir/lang-$(basename "$f")"
      done ;;
    image_documents)
      printf '{"schemaVersion":2,"config":{"digest":"sha256:%064d","size":2},"layers":[{"digest":"sha256:%064d","size":3}]}' 0 0 > "$dir/manifest"
      printf '{"manifests":[{"digest":"sha256:%064d","platform":{"os":"linux","architecture":"amd64"}}]}' 0 > "$dir/index"
      printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"User":"root","Env":["A=1"]}}' > "$dir/config" ;;
    sbom)
      for f in "$ROOT"/crates/bulkhead/tests/fixtures/sbom/*.json; do cp "$f" "$dir/"; done ;;
    yaml | config)
      local k=0
      while IFS= read -r f; do
        case $t:$f in
          config:*Dockerfile* | config:*dockerfile*) printf '\x00' | cat - "$f" > "$dir/$k" ;;
          config:*compose*) printf '\x02' | cat - "$f" > "$dir/$k" ;;
          config:*) printf '\x01' | cat - "$f" > "$dir/$k" ;;
          yaml:*) cp "$f" "$dir/$k" ;;
        esac
        k=$((k + 1))
      done < <(find "$ROOT/crates/misconfig/tests/corpus" -type f | head -300) ;;
    osv)
      for feed in "$SHARED"/data/osv/*.jsonl.zst; do
        # head closes the pipe early: zstd's SIGPIPE is expected here.
        { zstd -dc "$feed" 2>/dev/null || true; } | head -40 | split -l 1 - "$dir/$(basename "$feed" .jsonl.zst)-"
      done ;;
    versions)
      for v in "$SHARED"/data/fixtures/version-vectors/*.txt; do
        head -200 "$v" | awk -v d="$dir" -v b="$(basename "$v" .txt)" \
          '{ split($0, p, " [<>=] "); f = d "/" b "-" NR; printf "%s\n%s", p[1], p[2] > f; close(f) }'
      done ;;
  esac
}

mkdir -p logs
run() {
  local t=$1
  seed "$t" || echo "fuzz.sh: seeding $t failed; running from an empty corpus" >&2
  cargo fuzz run -s none "$t" "corpus/$t" -- -max_total_time="$EACH" -max_len="${MAX_LEN:-1048576}" \
    -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 >"logs/$t.log" 2>&1 || true
}
for t in "${targets[@]}"; do
  while [ "$(jobs -r | wc -l)" -ge "$PARALLEL" ]; do sleep 1; done
  run "$t" &
done
wait

printf '%-18s %14s %8s %8s\n' target executions crashes seconds
total=0 crashes=0
for t in "${targets[@]}"; do
  execs=$(grep -so 'stat::number_of_executed_units: [0-9]*' "logs/$t.log" | tail -1 | awk '{print $2}' || true)
  found=$(find "artifacts/$t" -type f 2>/dev/null | wc -l)
  printf '%-18s %14s %8s %8s\n' "$t" "${execs:-?}" "$found" "$EACH"
  total=$((total + ${execs:-0})) crashes=$((crashes + found))
done
printf '%-18s %14s %8s\n' total "$total" "$crashes"
