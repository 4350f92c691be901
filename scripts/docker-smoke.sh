#!/usr/bin/env bash
# Check, against the running engine, what the Docker provider relies on:
# the busybox test image serves HTTP on a port published on loopback;
# containers on a user-defined bridge reach each other by name; a health
# check turns healthy; memory and CPU limits are accepted; the Engine API
# answers HTTP/1.1 on the unix socket; everything is removed again.
#
#   scripts/docker-engine.sh && scripts/busybox-image.sh && scripts/docker-smoke.sh
#
# Every name carries this run's pid, so runs by others on the same engine
# do not collide. Each command is printed before it runs.
set -euo pipefail

image=${1:-landlord-test/busybox:1}
sock=/var/run/docker.sock
case "${DOCKER_HOST:-}" in unix://*) sock=${DOCKER_HOST#unix://} ;; esac
net=landlord-smoke-$$
server=landlord-smoke-server-$$
health=landlord-smoke-health-$$
published=

cleanup() {
  docker rm -f ${published:+"$published"} "$server" "$health" >/dev/null 2>&1 || true
  docker network rm "$net" >/dev/null 2>&1 || true
}
trap cleanup EXIT

run() { printf '$ %s\n' "$*" >&2; "$@"; }
fail() { echo "docker-smoke: FAIL: $*" >&2; exit 1; }
# Poll a command (up to $1 tenths of a second) until it succeeds.
poll() { local n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; "$@"; }
if command -v wget >/dev/null 2>&1; then http_get() { wget -qO- "$1"; }; else http_get() { busybox wget -qO- "$1"; }; fi

docker image inspect "$image" >/dev/null 2>&1 || fail "no image $image (scripts/busybox-image.sh)"
expected="landlord-test busybox: hello from $image"

echo "== a port published on 127.0.0.1, reached from the host"
published=$(run docker run -d -p 127.0.0.1::8080 "$image")
mappings=$(run docker port "$published" 8080/tcp)
mapping=${mappings%%$'\n'*}
echo "$mapping"
port=${mapping##*:}
poll 50 http_get "http://127.0.0.1:$port/" || true
body=$(run http_get "http://127.0.0.1:$port/")
echo "$body"
[ "$body" = "$expected" ] || fail "GET / on 127.0.0.1:$port returned '$body'"

echo "== a user-defined bridge network: a container reaches another by name"
run docker network create "$net" >/dev/null
run docker run -d --name "$server" --network "$net" "$image" >/dev/null
body=$(run docker run --rm --network "$net" "$image" \
  sh -c "for i in \$(seq 50); do wget -qO- http://$server:8080/ && exit 0; sleep 0.1; done; exit 1")
echo "$body"
[ "$body" = "$expected" ] || fail "GET http://$server:8080/ from a second container returned '$body'"

echo "== a health check, and memory and CPU limits"
run docker run -d --name "$health" --memory 64m --cpus 0.5 \
  --health-cmd "wget -qO- http://127.0.0.1:8080/healthz || exit 1" --health-interval 1s "$image" >/dev/null
status=
for _ in $(seq 300); do
  status=$(docker inspect -f '{{.State.Health.Status}}' "$health")
  [ "$status" = starting ] || break
  sleep 0.1
done
run docker inspect -f 'health={{.State.Health.Status}} Memory={{.HostConfig.Memory}} NanoCpus={{.HostConfig.NanoCpus}}' "$health"
[ "$status" = healthy ] || fail "health status is '$status'"
[ "$(docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}' "$health")" = "67108864 500000000" ] \
  || fail "limits not as given"

echo "== the Engine API over the unix socket ($sock), HTTP/1.1"
if command -v curl >/dev/null 2>&1; then
  run curl -sS --http1.1 --unix-socket "$sock" http://localhost/_ping
  echo
  version=$(run curl -sS --http1.1 --unix-socket "$sock" http://localhost/v1.41/version)
  echo "$version" | grep -o '"\(Version\|ApiVersion\|MinAPIVersion\)":"[^"]*"' | head -n 3 | paste -sd ' ' -
  echo "$version" | grep -q '"ApiVersion":"' || fail "no ApiVersion in /v1.41/version"
else
  echo "(no curl: skipped)"
fi

echo "== removal"
run docker rm -f "$published" "$server" "$health" >/dev/null
run docker network rm "$net" >/dev/null
left=$(docker ps -aq --filter "name=landlord-smoke-.*-$$"; docker network ls -q --filter "name=$net")
[ -z "$left" ] || fail "left behind: $left"
docker inspect "$published" >/dev/null 2>&1 && fail "container $published still exists"
echo "docker-smoke: all checks passed"
