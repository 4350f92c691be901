#!/usr/bin/env bash
# The full tenant lifecycle through the landlord CLI, on the embedded mock
# provider, with no configuration, in a fresh state directory.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet --locked -p landlord
landlord=target/debug/landlord
LANDLORD_STATE_DIR=$(mktemp -d)
export LANDLORD_STATE_DIR
trap 'rm -rf "$LANDLORD_STATE_DIR"' EXIT

run() {
    echo
    echo "\$ landlord $*"
    "$landlord" "$@"
}

run providers list
run validate examples/tenant.json
run provision examples/tenant.json
run status acme
run update acme examples/tenant.json
run update acme examples/tenant-v2.json
run tenants list
run destroy acme
echo
echo "\$ landlord status acme"
if "$landlord" status acme; then
    echo "demo: the tenant should be gone" >&2
    exit 1
else
    echo "(exit status $?: tenant not found, as expected after destroy)"
fi
run destroy acme
run history acme
