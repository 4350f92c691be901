#!/usr/bin/env bash
# The performance summary (docs/performance.md): the provider-call benchmark
# (native baseline vs sandboxed, thread scaling, compile vs cache, memory per
# live instance), then the CLI's cold start with a warm cache, timed from
# outside the process (hyperfine if installed, else Python's clock), next to
# the cost of starting any process at all.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--cli-only" ]; then
  cargo bench --locked -p landlord --bench provider_calls
fi

cargo build --locked --release -q -p landlord
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Timed as an installed binary: copied, as `cargo install` or a package would
# put it. (The file the linker just wrote starts about 1 ms slower here, every
# time: its page-cache pages are mapped in smaller pieces.)
cp target/release/landlord "$work/landlord"
landlord=$work/landlord
state=$work/state
export LANDLORD_STATE_DIR=$state

unset LANDLORD_CONFIG COMPUTE_DEFAULT_PROVIDER LANDLORD_LOG   # the embedded mock, quiet
# Fills the compiled-component cache; every timed run below finds it warm.
"$landlord" provision examples/tenant.json >/dev/null

runs=${CLI_RUNS:-50}
echo
echo "CLI with a warm cache, $runs runs each (state dir $state):"
echo
if command -v hyperfine >/dev/null 2>&1; then
  hyperfine --warmup 5 --runs "$runs" -N --export-markdown /dev/stdout \
    "/bin/true" \
    "$landlord tenants list" \
    "$landlord status acme" \
    "$landlord provision examples/tenant.json" 2>/dev/null | grep '^|'
else
  python3 - "$landlord" "$runs" <<'PY'
import statistics, subprocess, sys, time
landlord, runs = sys.argv[1], int(sys.argv[2])
commands = [
    ["/bin/true"],
    [landlord, "tenants", "list"],
    [landlord, "status", "acme"],
    [landlord, "provision", "examples/tenant.json"],
]
print("| command | median | p90 |")
print("|---|---|---|")
for command in commands:
    samples = []
    for i in range(runs + 5):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        if i >= 5:  # warm-up
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    name = " ".join(["landlord"] + command[1:]) if command[0] == landlord else command[0]
    print(f"| `{name}` | {statistics.median(samples):.2f} ms | {samples[int(len(samples) * 0.9)]:.2f} ms |")
PY
fi
