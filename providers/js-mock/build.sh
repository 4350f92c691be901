#!/usr/bin/env bash
# Builds the js-mock provider component: ./build.sh OUT.wasm
#
# componentize-qjs embeds the QuickJS engine and app.js (with the modules it
# imports) into a component for the world `compute-provider` in ../../wit,
# generating the WIT bindings as it goes; Wizer snapshots the initialised
# engine, so each call starts from already-parsed JavaScript.
#   --sync      the non-async runtime: this host does not enable the
#               component-model async ABI (the default runtime needs it)
#   --opt-size  the runtime built for size: 1.1 MB instead of 1.6 MB
# Intermediates go to $BUILD_DIR/js-mock if BUILD_DIR is set, else a temp dir.
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: $0 OUT.wasm" >&2
  exit 2
fi
out=$1
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
cd "$(dirname "$0")"

missing() {
  echo "js-mock: $1 not found; run providers/js-mock/install.sh" >&2
  exit 1
}
command -v node >/dev/null 2>&1 || missing node
node -e 'require("componentize-qjs")' >/dev/null 2>&1 || missing componentize-qjs
[ -d ../../wit ] || { echo "js-mock: WIT folder $(pwd)/../../wit not found" >&2; exit 1; }

if [ -n "${BUILD_DIR:-}" ]; then
  work="$BUILD_DIR/js-mock"
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi

if ! node node_modules/componentize-qjs/cli.mjs --wit ../../wit --world compute-provider \
    --js app.js --module-root . --sync --opt-size -o "$work/js-mock.wasm" >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  exit 1
fi
# Quiet on success: drop the tool's progress lines, keep anything else.
grep -Ev '^(componentize-qjs$|  (WIT|JS|Output|Size): |Component written to )' \
  "$work/build.log" >&2 || true

mkdir -p "$(dirname "$out")"
cp "$work/js-mock.wasm" "$out"
