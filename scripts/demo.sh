#!/usr/bin/env bash
# The full tenant lifecycle through the landlord CLI, on the embedded mock
# provider, with no configuration, in a fresh state directory.
set -euo pipefail
cd "$(dirname "$0")/.."

# rustup adds rust-toolchain.toml's wasm target only when it installs the
# toolchain itself; the embedded mock is built for that target.
scripts/rust-toolchain.sh
landlord=target/debug/landlord
if [ -x "$landlord" ]; then
    cargo build --quiet --locked -p landlord
else
    # Nothing built yet: say what the wait is (measured on 2 cores).
    echo "== first build of landlord: about 10 minutes on 2 cores (wasmtime and cranelift,"
    echo "   then the embedded mock provider compiled to a wasm component); later runs take seconds"
    start=$SECONDS
    cargo build --locked -p landlord
    echo "== built in $((SECONDS - start)) s"
fi
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
