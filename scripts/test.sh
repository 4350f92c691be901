#!/usr/bin/env bash
# The README's test command: install what a fresh machine lacks (pinned
# toolchains for the providers in other languages; a no-op when present),
# then run every test in the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-toolchains.sh
cargo test --workspace --locked "$@"
