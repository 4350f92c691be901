#!/usr/bin/env bash
# The README's test command: install what a fresh machine lacks (pinned
# toolchains for the providers in other languages; a Docker engine and the
# test images for the Docker provider; Chromium for the dashboard's test;
# each a no-op when present), then run
# every test in the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-toolchains.sh
# The Docker provider's tests run against a real engine: install Debian's
# docker.io and busybox-static and start dockerd when none answers, then
# build the two test images FROM scratch (there is no registry to pull from).
scripts/docker-engine.sh
scripts/busybox-image.sh landlord-test/busybox:1 landlord-test/busybox:2
# The dashboard's test drives a headless browser: Debian's chromium.
scripts/chromium.sh >/dev/null
cargo test --workspace --locked "$@"
