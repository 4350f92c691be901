#!/usr/bin/env bash
# The full tenant lifecycle through the landlord CLI, on the embedded mock
# provider, with no configuration, in a fresh state directory.
#
#   scripts/demo.sh          the mock provider
#   scripts/demo.sh docker   the Docker provider on a real engine: starts one
#                            if none answers (scripts/docker-engine.sh), builds
#                            the test image, provisions a web container,
#                            fetches a page from the port it printed, destroys
set -euo pipefail
cd "$(dirname "$0")/.."
provider=${1:-mock}
case "$provider" in
  mock | docker) ;;
  *) echo "usage: scripts/demo.sh [mock|docker]" >&2; exit 2 ;;
esac

# rustup adds rust-toolchain.toml's wasm target only when it installs the
# toolchain itself; the embedded mock is built for that target.
scripts/rust-toolchain.sh
landlord=target/debug/landlord
if [ -x "$landlord" ]; then
    cargo build --quiet --locked -p landlord
else
    # Nothing built yet: say what the wait is (measured on 2 cores).
    echo "== first build of landlord: about 10 minutes on 2 cores (wasmtime and cranelift,"
    echo "   then the embedded mock and Docker providers compiled to wasm components); later runs take seconds"
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

if [ "$provider" = docker ]; then
    scripts/docker-engine.sh
    scripts/busybox-image.sh landlord-test/busybox:1
    spec=examples/docker-tenant.json
    tenant=demo-docker
    "$landlord" destroy "$tenant" --provider docker >/dev/null 2>&1 || true
    run providers list
    run validate "$spec"
    echo
    echo "\$ landlord provision $spec"
    out=$("$landlord" provision "$spec")
    echo "$out"
    urls=$(echo "$out" | sed -n 's/^  endpoint  \(http:[^ ]*\)$/\1/p')
    url=${urls%%$'\n'*}
    [ -n "$url" ] || { echo "demo: provision printed no http endpoint" >&2; exit 1; }
    echo
    echo "\$ GET $url"
    python3 - "$url" <<'PY'
import sys, time, urllib.request
url = sys.argv[1]
for attempt in range(50):
    try:
        print(urllib.request.urlopen(url, timeout=2).read().decode().strip())
        break
    except OSError as err:
        last = err
        time.sleep(0.2)
else:
    sys.exit(f"demo: {url} did not answer: {last}")
PY
    run status "$tenant"
    run destroy "$tenant"
    left=$(docker ps -aq --filter "label=landlord.tenant_id=$tenant")
    [ -z "$left" ] || { echo "demo: containers left behind: $left" >&2; exit 1; }
    echo
    echo "(no container with the tenant's label is left)"
    exit 0
fi

run providers list
run validate examples/tenant.json
run provision examples/tenant.json
run status acme
run update acme examples/tenant.json
run update acme examples/tenant-v2.json
run tenants list
run reconcile --once
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
