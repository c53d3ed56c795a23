#!/usr/bin/env bash
# Real artifacts for the Python / Node / Ruby language-cataloger tests
# (crates/bulkhead/tests/lang_scan.rs): `pip install --target` and `npm install` of small pinned
# packages with known advisories, and Debian's ruby (its default gems' specifications are real
# RubyGems output, and `ruby` is the oracle that loads them).
# Output in $BULKHEAD_LANG_FIXTURES (default /var/tmp/bulkhead-lang). Idempotent: a stamp file
# names the exact package set, so a changed set is rebuilt and an unchanged one costs nothing.
set -euo pipefail

out=${BULKHEAD_LANG_FIXTURES:-/var/tmp/bulkhead-lang}
pip_set="urllib3==1.24.1 idna==2.7 sqlparse==0.4.1 six==1.16.0 Pygments==2.5.2"
npm_set="lodash@4.17.4 minimatch@3.0.0 marked@0.3.5 qs@6.5.2"
stamp="$out/stamp"
if ! command -v ruby >/dev/null; then
  start=$SECONDS
  apt-get update -qq && apt-get install -y -qq --no-install-recommends ruby >/dev/null
  echo "setup-lang: apt-get install ruby took $((SECONDS - start)) s"
fi
want="pip: $pip_set; npm: $npm_set"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

command -v pip3 >/dev/null || { apt-get update -qq && apt-get install -y -qq python3-pip >/dev/null; }
command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }

start=$SECONDS
rm -rf "$out" && mkdir -p "$out/node"
# Pure-Python wheels only; --no-deps keeps the set exactly what is pinned.
# shellcheck disable=SC2086
pip3 install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --no-compile \
  --target "$out/site-packages" $pip_set
cd "$out/node"
printf '{"name":"bulkhead-lang-fixture","version":"1.0.0","private":true}\n' > package.json
# shellcheck disable=SC2086
npm install --silent --no-audit --no-fund --save-exact --lockfile-version 3 $npm_set
echo "$want" > "$stamp"
echo "setup-lang: pip and npm fixtures built in $((SECONDS - start)) s ($out)"
