#!/usr/bin/env bash
# Builds the go-mock provider component: build.sh OUT.wasm
#
#   1. `wit-bindgen go` generates the `wit_component` Go module from ../../wit
#      into a build folder ($BUILD_DIR if set, else a temporary one);
#   2. this folder's export_landlord_compute_provider/ (the provider) is copied in;
#   3. go.mod gets a `replace` for go.bytecodealliance.org/pkg pointing at the
#      copy that ships inside the wit-bindgen-go crate (no Go module proxy is
#      reachable here, and GOPROXY=off makes sure none is tried);
#   4. Go builds a wasip1 reactor core module (-buildmode=c-shared);
#   5. wasm-tools embeds the WIT world and wraps the core module into a
#      component, adapting WASI preview1 imports to preview2.
# Nothing is written into this folder; Go's build cache stays in GOCACHE
# (default ~/.cache/go-build).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUT.wasm" >&2
    exit 2
fi
case "$1" in
    /*) out="$1" ;;
    *) out="$PWD/$1" ;;
esac

cd "$(dirname "$0")"
here="$PWD"
wit="$here/../../wit"
adapter="${WASI_ADAPTER:-$HOME/.cache/landlord-toolchains/wasi_snapshot_preview1.reactor.wasm}"

# --- every tool, up front -------------------------------------------------
missing=()
for tool in go wit-bindgen wasm-tools; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    note=""
    case " ${missing[*]} " in
        *" wit-bindgen "* | *" wasm-tools "*)
            note=" (wit-bindgen-cli 0.63 and wasm-tools 1.263 are the project's shared tools, not installed by it)" ;;
    esac
    list="$(printf '%s, ' "${missing[@]}")"
    echo "go-mock: ${list%, } not found; run providers/go-mock/install.sh$note" >&2
    exit 1
fi
if [ ! -f "$adapter" ]; then
    echo "go-mock: WASI adapter $adapter not found; set WASI_ADAPTER to wasi_snapshot_preview1.reactor.wasm" >&2
    exit 1
fi

# The go.bytecodealliance.org/pkg module of the installed wit-bindgen: it is
# the src/pkg folder of the wit-bindgen-go crate of the same version, which
# `cargo install wit-bindgen-cli` left in cargo's registry. GO_WIT_PKG
# overrides the search.
bindgen_version="$(wit-bindgen --version | awk '{print $2}')"
pkg="${GO_WIT_PKG:-}"
if [ -z "$pkg" ]; then
    for candidate in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"wit-bindgen-go-$bindgen_version"/src/pkg; do
        if [ -f "$candidate/go.mod" ]; then
            pkg="$candidate"
            break
        fi
    done
fi
if [ -z "$pkg" ] || ! grep -q '^module go.bytecodealliance.org/pkg$' "$pkg/go.mod" 2>/dev/null; then
    echo "go-mock: go.bytecodealliance.org/pkg not found (the src/pkg folder of crate" \
        "wit-bindgen-go-$bindgen_version in cargo's registry, present after 'cargo install" \
        "wit-bindgen-cli --version $bindgen_version'); set GO_WIT_PKG to it" >&2
    exit 1
fi

# --- build folder -------------------------------------------------------
if [ -n "${BUILD_DIR:-}" ]; then
    work="$BUILD_DIR/go-mock"
    rm -rf "$work"
    mkdir -p "$work"
else
    work="$(mktemp -d "${TMPDIR:-/tmp}/go-mock-build.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
fi
module="$work/module"
mkdir -p "$module"

# Run a step quietly; show its output only if it fails.
quiet() {
    if ! "$@" >"$work/step.log" 2>&1; then
        cat "$work/step.log" >&2
        echo "go-mock: failed: $*" >&2
        exit 1
    fi
}

export GOPROXY=off GOTOOLCHAIN=local GOFLAGS=-mod=mod GOWORK=off GOSUMDB=off

# 1-3: bindings, provider source, module wiring.
quiet wit-bindgen go --world compute-provider --out-dir "$module" "$wit"
cp -R "$here/export_landlord_compute_provider" "$module/"
(cd "$module" && go mod edit -replace "go.bytecodealliance.org/pkg=$pkg")

# 4: the core module. -checklinkname=0 lets the bindings' runtime package
# use go:linkname into the Go runtime.
(cd "$module" && GOOS=wasip1 GOARCH=wasm go build -trimpath -buildmode=c-shared \
    -ldflags=-checklinkname=0 -o "$work/core.wasm" .)

# 5: the component.
quiet wasm-tools component embed "$wit" --world compute-provider "$work/core.wasm" -o "$work/embedded.wasm"
quiet wasm-tools component new "$work/embedded.wasm" \
    --adapt "wasi_snapshot_preview1=$adapter" -o "$out"
