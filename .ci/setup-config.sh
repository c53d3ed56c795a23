#!/usr/bin/env bash
# Tools the `bulkhead config` / SARIF tests need: the official SARIF 2.1.0 schema and
# Microsoft's SARIF Multitool validator (npm @microsoft/sarif-multitool-linux ships both),
# and Python's jsonschema to check the schema. Idempotent and quiet.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=""
command -v npm >/dev/null || need="$need npm"
python3 -c 'import jsonschema' 2>/dev/null || python3 -m pip --version >/dev/null 2>&1 || need="$need python3-jsonschema"
if [ -n "$need" ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
if ! python3 -c 'import jsonschema' 2>/dev/null; then
  python3 -m pip install -q --disable-pip-version-check 'jsonschema>=4.18' 2>/dev/null \
    || python3 -m pip install -q --disable-pip-version-check --break-system-packages 'jsonschema>=4.18'
fi
pkg=@microsoft/sarif-multitool-linux
root=$(npm root -g 2>/dev/null)
if [ ! -x "$root/$pkg/Sarif.Multitool" ] || [ ! -f "$root/$pkg/sarif-2.1.0.json" ]; then
  npm install -g --silent --no-fund --no-audit "$pkg@5.7.0" >/dev/null 2>&1
fi
