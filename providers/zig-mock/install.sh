#!/usr/bin/env bash
# Install what providers/zig-mock needs beyond the project's shared tools
# (wit-bindgen, wasm-tools and the WASI adapter are installed by the caller):
# the Zig compiler, pinned, from PyPI's `ziglang` wheel (run as
# `python3 -m ziglang`; it bundles wasi-libc). Idempotent: when the pinned
# version is present this does nothing. One line per thing installed.
set -euo pipefail

ZIG_VERSION=0.17.1

if [ "$(id -u)" -eq 0 ]; then
    as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
    as_root() { sudo "$@"; }
else
    as_root() { "$@"; }
fi

apt_updated=
apt_install() {
    if [ -z "$apt_updated" ]; then
        as_root apt-get update -qq >/dev/null
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    echo "zig-mock: installed $* (apt)"
}

command -v python3 >/dev/null 2>&1 || apt_install python3

have="$(python3 -m ziglang version 2>/dev/null || true)"
if [ "$have" != "$ZIG_VERSION" ]; then
    python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
    # Debian's own python3 refuses system-wide pip installs (PEP 668) unless told.
    pip_flags=()
    if python3 -c 'import sys, sysconfig, os; sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'; then
        pip_flags+=(--break-system-packages)
    fi
    as_root python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore "${pip_flags[@]}" "ziglang==$ZIG_VERSION"
    echo "zig-mock: installed zig $ZIG_VERSION (pip ziglang)"
fi
