#!/usr/bin/env bash
# Builds the c-mock provider component: build.sh OUT.wasm
#   1. wit-bindgen c      generates the C bindings of ../../wit (world compute-provider)
#   2. clang-19           compiles them and src/*.c into a core wasm module (a WASI reactor)
#   3. wasm-tools         wraps the module into a component, adapting WASI preview1 to p2
# Intermediates go to $BUILD_DIR if set, else to a temporary directory removed afterwards;
# nothing is written into this folder.
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUT.wasm" >&2
    exit 2
fi
case "$1" in
    /*) out=$1 ;;
    *) out=$PWD/$1 ;;
esac
cd "$(dirname "$0")"

missing() {
    echo "c-mock: $1 not found; run providers/c-mock/install.sh" >&2
    exit 1
}
# WASM_CC, not CC: a CC set for the host (gcc, say) cannot target wasm32.
wasm_cc=${WASM_CC:-clang-19}
command -v "$wasm_cc" >/dev/null 2>&1 || missing "$wasm_cc"
command -v wasm-ld-19 >/dev/null 2>&1 || command -v wasm-ld >/dev/null 2>&1 || missing "wasm-ld (lld-19)"
[ -f /usr/include/wasm32-wasi/stdlib.h ] || missing "wasi-libc (/usr/include/wasm32-wasi)"
[ -n "$(find /usr/lib/llvm-19/lib/clang/19/lib/wasi -name 'libclang_rt.builtins-wasm32.a' 2>/dev/null)" ] ||
    missing "libclang-rt-19-dev-wasm32"
# wit-bindgen, wasm-tools and the WASI adapter are the project's shared tools
# (scripts/install-toolchains.sh installs them, not install.sh).
shared() {
    echo "c-mock: $1 not found; run scripts/install-toolchains.sh (it installs the shared tools)" >&2
    exit 1
}
command -v wit-bindgen >/dev/null 2>&1 || shared wit-bindgen
command -v wasm-tools >/dev/null 2>&1 || shared wasm-tools
adapter=${WASI_ADAPTER:-$HOME/.cache/landlord-toolchains/wasi_snapshot_preview1.reactor.wasm}
if [ ! -f "$adapter" ]; then
    echo "c-mock: WASI adapter not found at $adapter; set WASI_ADAPTER to wasi_snapshot_preview1.reactor.wasm" >&2
    exit 1
fi

if [ -n "${BUILD_DIR:-}" ]; then
    work=$BUILD_DIR/c-mock
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi

# wit-bindgen names each file it writes on stderr: shown only if it fails.
if ! wit-bindgen c ../../wit --world compute-provider --out-dir "$work/bindings" \
    >"$work/wit-bindgen.log" 2>&1; then
    cat "$work/wit-bindgen.log" >&2
    exit 1
fi

# -Os and link-time optimisation for size; --strip-all drops symbol names but keeps
# the component-type custom section that `component new` reads.
flags=(--target=wasm32-wasi -Os -flto -std=c11 -I "$work/bindings")
# Generated code: compiled on its own, without -Werror (its warnings are not ours to fix).
"$wasm_cc" "${flags[@]}" -c "$work/bindings/compute_provider.c" -o "$work/compute_provider.o"
# Our code: strict. A reactor: no main; the host calls the exports.
"$wasm_cc" "${flags[@]}" -mexec-model=reactor -Wall -Wextra -Werror -pedantic \
    src/*.c "$work/compute_provider.o" "$work/bindings/compute_provider_component_type.o" \
    -Wl,--strip-all -o "$work/core.wasm"

wasm-tools component new "$work/core.wasm" \
    --adapt "wasi_snapshot_preview1=$adapter" -o "$out"
