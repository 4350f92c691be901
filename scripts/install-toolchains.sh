#!/usr/bin/env bash
# Install what the test build needs to build every provider from source, on
# a fresh Debian machine: the Rust toolchain pinned by rust-toolchain.toml
# with the wasm32-wasip2 target, the wit-bindgen and wasm-tools CLIs, and
# each language's toolchain (providers/<language>-mock/install.sh). Every
# step checks first and does nothing when the pinned version is present, so
# a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

WIT_BINDGEN_VERSION=0.63.0
WASM_TOOLS_VERSION=1.263.0

step() { printf '== %s (%s s so far)\n' "$*" "$SECONDS"; }

step "rust toolchain (rust-toolchain.toml) + wasm32-wasip2"
scripts/rust-toolchain.sh

# `cargo install` compiles from crates.io; only the generators and
# subcommands the providers use are built (a few minutes each on 2 cores).
installed() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -q "$2"; }
if installed wit-bindgen "$WIT_BINDGEN_VERSION"; then
  step "wit-bindgen $WIT_BINDGEN_VERSION: present"
else
  step "wit-bindgen $WIT_BINDGEN_VERSION: cargo install (C and Go generators)"
  cargo install --locked "wit-bindgen-cli@$WIT_BINDGEN_VERSION" --no-default-features --features c,go
fi
if installed wasm-tools "$WASM_TOOLS_VERSION"; then
  step "wasm-tools $WASM_TOOLS_VERSION: present"
else
  step "wasm-tools $WASM_TOOLS_VERSION: cargo install (component subcommands)"
  cargo install --locked "wasm-tools@$WASM_TOOLS_VERSION" --no-default-features --features component
fi

# The WASI preview1 -> component adapter that the C, Zig and Go builds
# wrap their modules with, taken from the crate that ships it for this
# wasmtime (Cargo.lock pins its version), to where build.sh looks by default.
adapter_dir="$HOME/.cache/landlord-toolchains"
adapter="$adapter_dir/wasi_snapshot_preview1.reactor.wasm"
adapter_version=$(grep -A1 '^name = "wasi-preview1-component-adapter-provider"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
stamp="$adapter_dir/adapter-version"
if [ -f "$adapter" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$adapter_version" ]; then
  step "WASI adapter $adapter_version: present"
else
  step "WASI adapter $adapter_version: from the crate into $adapter"
  cargo fetch --locked --quiet
  crate=$(ls "$HOME"/.cargo/registry/cache/*/"wasi-preview1-component-adapter-provider-$adapter_version.crate" | head -n 1)
  mkdir -p "$adapter_dir"
  tar -xzf "$crate" -O "wasi-preview1-component-adapter-provider-$adapter_version/artefacts/wasi_snapshot_preview1.reactor.wasm" >"$adapter"
  echo "$adapter_version" >"$stamp"
fi

for script in providers/*-mock/install.sh; do
  step "$script"
  bash "$script"
done
step "all toolchains present"
