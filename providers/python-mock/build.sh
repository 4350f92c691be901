#!/usr/bin/env bash
# Build the python-mock provider component: providers/python-mock/build.sh OUT.wasm
#
# componentize-py generates the Python bindings for ../../wit internally,
# snapshots CPython (bundled with componentize-py) after importing app.py,
# and writes a complete component: no wasm-tools or WASI adapter needed.
# Intermediates go to $BUILD_DIR if set, else a temp dir removed on exit.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUT.wasm" >&2
    exit 2
fi

# Check every tool up front.
for tool in componentize-py; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "python-mock: $tool not found; run providers/python-mock/install.sh" >&2
        exit 1
    fi
done

# OUT is relative to the caller's directory: make it absolute before cd.
case "$1" in
    /*) out=$1 ;;
    *) out="$PWD/$1" ;;
esac
mkdir -p "$(dirname "$out")"

cd "$(dirname "$0")"
here=$PWD
wit="$here/../../wit"

if [ -n "${BUILD_DIR:-}" ]; then
    work="$BUILD_DIR/python-mock"
    rm -rf "$work"
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi

# componentize-py runs the app at build time and writes __pycache__ next to
# the sources it imports, so build from a copy (this also keeps test_mock.py
# out of the component).
mkdir -p "$work/src" "$work/venv/lib/site-packages"
cp app.py checks.py diff.py record.py "$work/src/"

# The app imports only the standard library. Without VIRTUAL_ENV,
# componentize-py adds the build machine's own site-packages to the path;
# an empty venv keeps the component the same on every machine.
cd "$work/src"
VIRTUAL_ENV="$work/venv" PYTHONDONTWRITEBYTECODE=1 \
    componentize-py --quiet -d "$wit" -w compute-provider \
    componentize app -p "$work/src" -o "$out"
