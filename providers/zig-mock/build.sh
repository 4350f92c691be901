#!/usr/bin/env bash
# Build the zig-mock provider component: providers/zig-mock/build.sh OUT.wasm
#
#   1. wit-bindgen c      ../../wit -> compute_provider.{h,c} + component-type .o
#   2. zig translate-c    the header -> wit.zig (Zig 0.17 has no @cImport)
#   3. zig build-exe      our Zig + the generated .c -> a wasm32-wasi reactor module
#   4. wasm-tools component new --adapt   module + WASI preview1 adapter -> OUT.wasm
#
# Intermediates go to $BUILD_DIR if set, else a temporary directory removed
# at exit. Nothing is written into this folder. Zig's global cache
# (~/.cache/zig: the compiled wasi-libc and translate-c) makes repeat builds fast.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
wit_dir="$here/../../wit"

if [ $# -ne 1 ]; then
    echo "usage: $0 OUT.wasm" >&2
    exit 2
fi
case "$1" in
    /*) out="$1" ;;
    *) out="$PWD/$1" ;;
esac

missing() {
    echo "zig-mock: $1 not found; run providers/zig-mock/install.sh" >&2
    exit 1
}

# Check every tool up front. The Zig compiler comes from the PyPI wheel
# `ziglang` (see install.sh), run as `python3 -m ziglang`.
command -v python3 >/dev/null 2>&1 || missing python3
python3 -c 'import ziglang' >/dev/null 2>&1 || missing "zig (python3 -m ziglang)"
command -v wit-bindgen >/dev/null 2>&1 || missing wit-bindgen
command -v wasm-tools >/dev/null 2>&1 || missing wasm-tools
adapter="${WASI_ADAPTER:-$HOME/.cache/landlord-toolchains/wasi_snapshot_preview1.reactor.wasm}"
[ -f "$adapter" ] || missing "WASI adapter $adapter (set WASI_ADAPTER)"

zig() { python3 -m ziglang "$@"; }

if [ -n "${BUILD_DIR:-}" ]; then
    work="$BUILD_DIR/zig-mock"
    mkdir -p "$work"
else
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
fi

# 1. C bindings for the world. wit-bindgen reports each file it writes on
#    stderr: show its output only if it fails.
if ! log="$(wit-bindgen c "$wit_dir" --world compute-provider --out-dir "$work/gen" 2>&1)"; then
    echo "$log" >&2
    exit 1
fi

# 2. The header as Zig declarations, imported by the sources as `wit`.
zig translate-c -target wasm32-wasi -lc "$work/gen/compute_provider.h" >"$work/wit.zig"

# 3. A reactor module (no main; exports called by the host) linked with
#    wasi-libc, whose malloc/free the generated glue and our results use.
#    The generated .c and the component-type object belong to the build;
#    `-Mroot` is our code, `-Mwit` the translated header. `--stack`: Zig's
#    wasm default is a 16 MiB stack, all of it initial memory, a quarter of
#    the host's 64 MiB per-call limit; 1 MiB is plenty here. No `-rdynamic`:
#    it would also export every Zig `export fn` and `__stack_pointer`; the
#    generated C marks the component's exports with `__export_name__` already.
zig build-exe \
    -target wasm32-wasi -mexec-model=reactor -fno-entry -lc -O ReleaseSmall -fstrip \
    --stack 1048576 \
    --cache-dir "$work/zig-cache" \
    -femit-bin="$work/core.wasm" \
    --name zig-mock \
    -cflags -std=c11 -- "$work/gen/compute_provider.c" \
    "$work/gen/compute_provider_component_type.o" \
    --dep wit -Mroot="$here/src/main.zig" \
    -Mwit="$work/wit.zig"

# 4. The component: the core module plus the preview1 -> preview2 adapter.
wasm-tools component new "$work/core.wasm" \
    --adapt "wasi_snapshot_preview1=$adapter" -o "$out"
