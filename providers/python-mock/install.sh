#!/usr/bin/env bash
# Install what providers/python-mock/build.sh needs on a Debian machine:
#   - Python 3 (>= 3.9) with pip, from Debian, if there is none;
#   - componentize-py, pinned, from PyPI. It ships the CPython that runs
#     inside the component, so the machine's Python only runs the CLI.
# Idempotent: when the pinned componentize-py is already on PATH it does
# nothing. Prints one line per thing installed.
set -euo pipefail

COMPONENTIZE_PY_VERSION=0.25.1

WHO=python-mock
# shellcheck source=scripts/lib/apt.sh
. "$(dirname "$0")/../../scripts/lib/apt.sh"

installed() {
    componentize-py --version 2>/dev/null | awk '{print $2}' || true
}

if [ "$(installed)" = "$COMPONENTIZE_PY_VERSION" ]; then
    exit 0
fi

# Python 3 and pip.
if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    apt_install python3 python3-pip
    echo "python-mock: installed python3 $(python3 -c 'import platform; print(platform.python_version())') and pip (apt)"
fi

pip_args=(install --quiet --disable-pip-version-check --no-input
          "componentize-py==$COMPONENTIZE_PY_VERSION")
# Debian's own python3 is "externally managed" (PEP 668): pip refuses it
# unless told. As root it then installs into /usr/local, Debian's place for
# software installed locally, so no Debian package is touched.
if python3 -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'; then
    pip_args+=(--break-system-packages)
fi
# A Python the current user owns (pyenv, a venv) needs no root.
purelib=$(python3 -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
if [ -w "$purelib" ] || { [ ! -e "$purelib" ] && [ -w "$(dirname "$purelib")" ]; }; then
    PIP_ROOT_USER_ACTION=ignore python3 -m pip "${pip_args[@]}"
else
    as_root env PIP_ROOT_USER_ACTION=ignore python3 -m pip "${pip_args[@]}"
fi
# pyenv finds new commands only after a rehash.
if command -v pyenv >/dev/null 2>&1; then
    pyenv rehash
fi
hash -r

if [ "$(installed)" != "$COMPONENTIZE_PY_VERSION" ]; then
    echo "python-mock: componentize-py $COMPONENTIZE_PY_VERSION was installed but is not the one on PATH ($(command -v componentize-py || echo none))" >&2
    exit 1
fi
echo "python-mock: installed componentize-py $COMPONENTIZE_PY_VERSION (pip)"
