#!/usr/bin/env bash
# Installs what providers/js-mock needs to build, on Debian: Node.js (>= 18,
# with npm) and the npm packages pinned in package-lock.json (componentize-qjs
# and its native binding for this platform), into ./node_modules.
# Idempotent: when everything is present it does nothing, quickly.
set -euo pipefail
cd "$(dirname "$0")"

NODE_MIN_MAJOR=18 # componentize-qjs 0.4.5's "engines"; tested with Node 20

sudo_cmd=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); fi

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Node.js and npm from Debian, only when missing (or too old). A machine that
# has Node from elsewhere (for example NodeSource, which bundles npm) keeps it.
apt_pkgs=()
if ! command -v node >/dev/null 2>&1 || [ "$(node_major)" -lt "$NODE_MIN_MAJOR" ]; then
  apt_pkgs+=(nodejs)
fi
if ! command -v npm >/dev/null 2>&1; then apt_pkgs+=(npm); fi
if [ "${#apt_pkgs[@]}" -gt 0 ]; then
  log=$(mktemp)
  if ! { "${sudo_cmd[@]}" apt-get update -q \
      && "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
           apt-get install -y -q --no-install-recommends "${apt_pkgs[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "js-mock: apt-get install ${apt_pkgs[*]} failed" >&2
    exit 1
  fi
  rm -f "$log"
  if [ "$(node_major)" -lt "$NODE_MIN_MAJOR" ]; then
    echo "js-mock: node $(node --version) is too old; version $NODE_MIN_MAJOR or newer is needed" >&2
    exit 1
  fi
  echo "js-mock: installed ${apt_pkgs[*]} (apt): node $(node --version), npm $(npm --version)"
fi

# npm packages: `npm ci` when node_modules is missing or was installed from
# another package-lock.json (a stamp in node_modules records which).
stamp=node_modules/.landlord-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] \
    || ! node -e 'require("componentize-qjs")' >/dev/null 2>&1; then
  log=$(mktemp)
  if ! npm ci --no-audit --no-fund --ignore-scripts >"$log" 2>&1; then
    cat "$log" >&2
    echo "js-mock: npm ci failed" >&2
    exit 1
  fi
  rm -f "$log"
  echo "$want" >"$stamp"
  echo "js-mock: installed componentize-qjs $(node -p 'require("componentize-qjs/package.json").version') (npm ci)"
fi
