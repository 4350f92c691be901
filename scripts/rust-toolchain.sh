#!/usr/bin/env bash
# The Rust toolchain that rust-toolchain.toml pins, with its components and
# the wasm32-wasip2 target every Rust guest (the embedded mock, the hostile
# suite) is built for. rustup adds a toolchain file's targets only when it
# installs the toolchain itself, so a machine that already had the toolchain
# lacks the target until it is added here. Cheap when everything is present
# (three `rustup` queries). Run by scripts/demo.sh and
# scripts/install-toolchains.sh alike.
set -euo pipefail
cd "$(dirname "$0")/.."

toolchain=$(sed -n 's/^channel = "\(.*\)"$/\1/p' rust-toolchain.toml)
target=wasm32-wasip2

if ! command -v rustup >/dev/null 2>&1; then
  echo "error: rustup is not installed; install it (https://rustup.rs), then run this again" >&2
  exit 1
fi
if ! rustup toolchain list 2>/dev/null | grep -q "^$toolchain-"; then
  echo "== installing the Rust $toolchain toolchain with the $target target (once; about a minute)"
  rustup toolchain install "$toolchain" --profile minimal --component rustfmt,clippy --target "$target"
fi
if ! rustup target list --installed --toolchain "$toolchain" 2>/dev/null | grep -qx "$target"; then
  echo "== adding the $target target to Rust $toolchain (once; about 20 s)"
  rustup target add --toolchain "$toolchain" "$target"
fi
components=$(rustup component list --installed --toolchain "$toolchain" 2>/dev/null)
for component in rustfmt clippy; do
  if ! grep -q "^$component" <<<"$components"; then
    echo "== adding $component to Rust $toolchain (once)"
    rustup component add --toolchain "$toolchain" "$component"
  fi
done
