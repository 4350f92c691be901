#!/usr/bin/env bash
# Installs what providers/c-mock needs to build, on Debian (12, bookworm):
# clang 19 with the wasm32 linker (lld), compiler runtime and WASI libc.
# Idempotent: when every package is already installed it does nothing.
# The shared tools (wit-bindgen, wasm-tools, the WASI adapter) are installed
# by the project, not here.
set -euo pipefail

PACKAGES=(clang-19 lld-19 libclang-rt-19-dev-wasm32 wasi-libc)

installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    installed "$pkg" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
fi

# apt's chatter goes to a log that is shown only when a step fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
apt_get() {
    if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$log" 2>&1; then
        cat "$log" >&2
        echo "c-mock: apt-get $1 failed" >&2
        exit 1
    fi
}
apt_get update -qq
apt_get install -y -qq --no-install-recommends "${missing[@]}"
for pkg in "${missing[@]}"; do
    installed "$pkg" || { echo "c-mock: failed to install $pkg" >&2; exit 1; }
    echo "c-mock: installed $pkg $(dpkg-query -W -f='${Version}' "$pkg")"
done
