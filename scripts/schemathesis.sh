#!/usr/bin/env bash
# Property-based tests of the HTTP API against its own OpenAPI document:
# Schemathesis (pinned, from PyPI, in a virtualenv of its own) generates
# requests for every operation in /v1/openapi.json — valid ones and broken
# ones — sends them to a real `landlord serve` on the embedded mock, and
# checks every answer: no 5xx, a status the document lists, the content type
# it gives, a body that matches its schema, and more (`--checks all`).
# Exits non-zero on any failure. Bounded: SCHEMATHESIS_MAX_EXAMPLES (default
# 100) cases per operation and phase, SCHEMATHESIS_SEED (default 1) for a
# run that can be repeated; well under a minute once built.
#
#   scripts/schemathesis.sh                 # build, serve, test, stop
#   SCHEMATHESIS_MAX_EXAMPLES=500 SCHEMATHESIS_SEED=$RANDOM scripts/schemathesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-100}
venv=${XDG_CACHE_HOME:-$HOME/.cache}/landlord/schemathesis-$SCHEMATHESIS_VERSION

WHO=schemathesis
# shellcheck source=scripts/lib/apt.sh
. scripts/lib/apt.sh

# Schemathesis in a virtualenv of its own under ~/.cache/landlord (Debian's
# python3 is "externally managed", PEP 668; a venv touches nothing of the
# system's), reused while it holds the pinned version.
installed() {
    "$venv/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}' || true
}
if [ "$(installed)" != "$SCHEMATHESIS_VERSION" ]; then
    if ! command -v python3 >/dev/null 2>&1; then
        apt_install python3 python3-venv
        echo "schemathesis: installed python3 (apt)"
    fi
    # Debian's python3 lacks ensurepip (so `-m venv` fails) until
    # python3-venv is installed.
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        apt_install python3-venv
        echo "schemathesis: installed python3-venv (apt)"
    fi
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        "schemathesis==$SCHEMATHESIS_VERSION"
    if [ "$(installed)" != "$SCHEMATHESIS_VERSION" ]; then
        echo "schemathesis: $SCHEMATHESIS_VERSION was installed in $venv but does not run" >&2
        exit 1
    fi
    echo "schemathesis: installed schemathesis $SCHEMATHESIS_VERSION in $venv (pip)"
fi
python=$venv/bin/python

cargo build --locked -q -p landlord
target_dir=${CARGO_TARGET_DIR:-target}
landlord=$target_dir/debug/landlord

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# A config with one read-write token; nothing from the caller's environment.
unset LANDLORD_CONFIG LANDLORD_STATE_DIR COMPUTE_DEFAULT_PROVIDER LANDLORD_LOG
minted=$("$landlord" --output json token new schemathesis)
token=$(printf '%s' "$minted" | "$python" -c 'import json, sys; print(json.load(sys.stdin)["token"])')
printf '%s' "$minted" | "$python" -c '
import json, sys
made = json.load(sys.stdin)
print("[[tokens]]")
print("name = %s" % json.dumps(made["name"]))
print("sha256 = %s" % json.dumps(made["sha256"]))
print("scopes = %s" % json.dumps(made["scopes"]))
' >"$work/landlord.toml"

# What the checks accept beyond their defaults. A spec can have the
# schema's shape and still break a rule no JSON Schema can state (container
# names unique in the spec, a provider's own rules for provider_config): the
# documented answer is 422 with every violation listed, so a schema-valid
# spec may get 422. Any other refusal of schema-valid data (a 400) is still
# a failure.
cat >"$work/schemathesis.toml" <<'TOML'
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "5xx"]
TOML

# tower_http at debug logs one line per request answered: the count below.
LANDLORD_LOG=warn,tower_http=debug \
    "$landlord" --config "$work/landlord.toml" --state-dir "$work/state" \
    serve --listen 127.0.0.1:0 >"$work/stdout" 2>"$work/stderr" &
server_pid=$!

# The one stdout line, `listening on URL`; then /readyz 200 (the mock loaded).
url=$("$python" - "$work/stdout" "$server_pid" <<'PY'
import os, sys, time, urllib.request, urllib.error
stdout, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 120
url = None
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("landlord serve exited before it was ready")
    if url is None:
        line = open(stdout).readline()
        if line.endswith("\n"):
            if not line.startswith("listening on "):
                sys.exit("landlord serve printed %r, not `listening on URL`" % line)
            url = line[len("listening on "):].strip()
    if url is not None:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=5) as answer:
                if answer.status == 200:
                    print(url)
                    sys.exit(0)
        except urllib.error.HTTPError as err:
            if err.code != 503:
                sys.exit("/readyz answered %d" % err.code)
        except OSError:
            pass
    time.sleep(0.1)
sys.exit("landlord serve was not ready (/readyz 200) within 120 s")
PY
) || { echo "error: see the server's stderr:" >&2; cat "$work/stderr" >&2; exit 1; }
echo "schemathesis: testing $url (max $max_examples examples per operation)"

# Run from the scratch directory: schemathesis keeps a `.schemathesis/`
# directory in its working directory, which has no place in the checkout.
status=0
(cd "$work" && "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$url/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks all \
    --max-examples "$max_examples" \
    --request-timeout 30 \
    --seed "${SCHEMATHESIS_SEED:-1}" \
    --generation-database none \
    --no-color) \
    || status=$?

# Stop as a service manager would; the server must drain and exit 0.
kill -TERM "$server_pid"
server_status=0
wait "$server_pid" || server_status=$?
server_pid=
if [ "$server_status" -ne 0 ]; then
    echo "error: landlord serve exited $server_status after SIGTERM; its stderr:" >&2
    cat "$work/stderr" >&2
    exit 1
fi
answered=$(grep -c 'finished processing request' "$work/stderr" || true)
echo "schemathesis: the server answered $answered requests"
if [ "$status" -ne 0 ]; then
    echo "error: schemathesis found failures (exit $status); the server's warnings and errors:" >&2
    grep -E ' (WARN|ERROR) ' "$work/stderr" | tail -n 50 >&2 || true
    exit "$status"
fi
echo "schemathesis: every check passed"
