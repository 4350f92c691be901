# Sourced by install scripts (scripts/schemathesis.sh,
# providers/python-mock/install.sh): run a command as root, and install
# Debian packages.
#   as_root CMD...       CMD as root: directly, else through sudo; without
#                        either, a message naming CMD and exit 1
#   apt_install PKG...   the packages, quietly (apt-get update once a run)
# The caller sets WHO, the prefix of its messages.

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "${WHO:-install}: need root (or sudo) for: $*" >&2
        exit 1
    fi
}

apt_updated=
apt_install() {
    if [ -z "$apt_updated" ]; then
        as_root apt-get update -qq >/dev/null
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
