#!/usr/bin/env bash
# demo-app-layer.sh FIX: give the planted fixture image an application layer, as an application
# image would have: Python packages installed by the real pip, Node packages by the real npm
# (both from their registries), and a Ruby Gemfile.lock. The releases are old on purpose: each
# has advisories in ../shared/data/osv (fixed in later releases). Writes $FIX/oci-demo (OCI
# layout) and $FIX/demo.docker.tar (docker-archive).
set -euo pipefail
FIX=$1
need=""
for tool in umoci:umoci skopeo:skopeo pip3:python3-pip npm:npm; do
  command -v "${tool%%:*}" >/dev/null || need="$need ${tool#*:}"
done
if [ -n "$need" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

PIP_SET="Django==3.2.0 urllib3==1.24.1 requests==2.19.1 GitPython==3.1.30 Jinja2==2.10"
NPM_SET="lodash@4.17.4 minimist@0.0.8 marked@0.3.5"
app=$FIX/demo-app
rm -rf "$app" && mkdir -p "$app/site-packages" "$app/srv"
# --no-deps: exactly the pinned set; --no-compile: no __pycache__ in the layer.
# shellcheck disable=SC2086
pip3 install --quiet --disable-pip-version-check --root-user-action=ignore \
  --no-deps --no-compile --target "$app/site-packages" $PIP_SET
(
  cd "$app/srv"
  printf '{"name":"demo-shop","version":"1.0.0","private":true}\n' > package.json
  # shellcheck disable=SC2086
  npm install --silent --no-audit --no-fund --save-exact --lockfile-version 3 $NPM_SET
)
cat > "$app/srv/Gemfile.lock" <<'LOCK'
GEM
  remote: https://rubygems.org/
  specs:
    mini_portile2 (2.4.0)
    nokogiri (1.10.1)
      mini_portile2 (~> 2.4.0)
    rack (2.0.6)

PLATFORMS
  ruby

DEPENDENCIES
  nokogiri (= 1.10.1)
  rack (= 2.0.6)

BUNDLED WITH
   1.17.3
LOCK

cd "$FIX"
umoci tag --image oci:planted demo
umoci insert --image oci:demo --history.created_by "pip install $PIP_SET" \
  "$app/site-packages" /usr/local/lib/python3.11/site-packages
umoci insert --image oci:demo --history.created_by "npm install $NPM_SET; COPY Gemfile.lock" \
  "$app/srv" /srv/shop
rm -rf oci-demo demo.docker.tar
skopeo copy -q oci:oci:demo oci:oci-demo:demo
skopeo copy -q oci:oci:demo docker-archive:demo.docker.tar:fixtures/bookworm:demo
