#!/usr/bin/env bash
# The headless browser the dashboard test (host/tests/dashboard.rs) drives
# over the Chrome DevTools Protocol: Debian's `chromium`, installed when no
# `chromium` is on PATH (a no-op otherwise). Prints the browser's path.
#
#   scripts/chromium.sh
set -euo pipefail
cd "$(dirname "$0")/.."

WHO=chromium
# shellcheck source=scripts/lib/apt.sh
. scripts/lib/apt.sh

if ! command -v chromium >/dev/null 2>&1; then
    echo "chromium: installing Debian's chromium (for the dashboard test)" >&2
    apt_install chromium
fi
command -v chromium
