#!/usr/bin/env bash
# Build the test image the Docker provider's tests run: FROM scratch with a
# static busybox, because this machine and CI have no image registry to pull
# from. Every busybox applet is a symlink in /bin (sh, httpd, wget, sleep, nc,
# cat, echo, ...), and the default command serves /www on port 8080:
#   GET /         -> "landlord-test busybox: hello from <TAG>"
#   GET /healthz  -> "ok"
#
#   scripts/busybox-image.sh [--force] [TAG...]   (TAG: landlord-test/busybox:1)
#
# Several tags build several images, each with its own page (the Docker
# provider's tests use :1 and :2 to change a container's image).
#
# Skips the build when TAG already exists, unless --force. Needs a running
# engine (scripts/docker-engine.sh) and a static busybox at $BUSYBOX
# (default /bin/busybox, from Debian's busybox-static).
set -euo pipefail

force=0
tags=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    -*) echo "busybox-image: unknown option $arg" >&2; exit 2 ;;
    *) tags+=("$arg") ;;
  esac
done
if [ "${#tags[@]}" -gt 1 ]; then
  for tag in "${tags[@]}"; do
    if [ "$force" = 1 ]; then "$0" --force "$tag"; else "$0" "$tag"; fi
  done
  exit 0
fi
tag=${tags[0]:-landlord-test/busybox:1}
busybox=${BUSYBOX:-/bin/busybox}

if [ "$force" = 0 ] && docker image inspect "$tag" >/dev/null 2>&1; then
  echo "== image $tag: present ($(docker image inspect --format '{{.Id}}' "$tag" | cut -c1-19)); --force rebuilds"
  exit 0
fi

[ -x "$busybox" ] || { echo "busybox-image: no busybox at $busybox (apt-get install busybox-static, or scripts/docker-engine.sh)" >&2; exit 1; }
# A scratch image has no dynamic loader or libraries: a dynamically linked
# busybox (Debian's "busybox" package) would fail with "no such file" at run
# time, so refuse it here with a clear message instead.
if LC_ALL=C grep -aq '/lib64/ld-linux' "$busybox" || LC_ALL=C grep -aq '/lib/ld-' "$busybox"; then
  echo "busybox-image: $busybox is dynamically linked; a FROM scratch image needs a static one (busybox-static)" >&2
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/landlord-busybox-image.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
ctx=$tmp/context
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/www" "$ctx/rootfs/tmp" "$ctx/rootfs/etc"
cp "$busybox" "$ctx/rootfs/bin/busybox"
# Symlinks, not `busybox --install`, so the image needs no RUN step (which
# would start a container during the build) and the layer is deterministic.
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$ctx/rootfs/bin/$applet"
done
printf 'landlord-test busybox: hello from %s\n' "$tag" >"$ctx/rootfs/www/index.html"
printf 'ok\n' >"$ctx/rootfs/www/healthz"
# The static glibc busybox resolves names itself (files, then DNS); say so
# explicitly, so container names on a user-defined network resolve through
# Docker's embedded DNS (127.0.0.11) from the resolv.conf the engine mounts.
printf 'hosts: files dns\n' >"$ctx/rootfs/etc/nsswitch.conf"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$ctx/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$ctx/rootfs/etc/group"
chmod 1777 "$ctx/rootfs/tmp"

# sed reads all of busybox's help (a `head` here could make busybox die of
# SIGPIPE mid-write, which pipefail turns into this script's failure).
bb_version=$("$busybox" 2>/dev/null | sed -n '1s/^BusyBox \(v[^ ]*\).*/\1/p')
cat >"$ctx/Dockerfile" <<EOF
FROM scratch
COPY rootfs/ /
ENV PATH=/bin
LABEL org.opencontainers.image.title="landlord-test busybox" \\
      org.opencontainers.image.description="static busybox ${bb_version:-unknown}; httpd on 8080 serving /www (index.html, healthz)"
EXPOSE 8080
WORKDIR /www
# -f: stay in the foreground as PID 1, so the container keeps running.
CMD ["/bin/busybox", "httpd", "-f", "-v", "-p", "8080", "-h", "/www"]
EOF

echo "== image $tag: docker build (FROM scratch, busybox ${bb_version:-unknown})"
start=$(date +%s%N)
# The legacy builder: no buildx plugin is installed here (a newer client
# without it refuses BuildKit builds), and a scratch image with one COPY
# needs nothing BuildKit adds. Its deprecation notice is not repeated; on
# failure everything the build printed is.
if ! DOCKER_BUILDKIT=0 docker build --quiet --tag "$tag" "$ctx" >"$tmp/build.out" 2>&1; then
  cat "$tmp/build.out" >&2
  echo "busybox-image: docker build failed" >&2
  exit 1
fi
# A container from it must run busybox: catches a busybox that cannot run
# from scratch before a test does.
built=$(date +%s%N)
echo "== image $tag: built in $(( (built - start) / 1000000 )) ms ($(docker image inspect --format '{{.Id}}' "$tag" | cut -c1-19), $(docker image inspect --format '{{.Size}}' "$tag") bytes)"
out=$(docker run --rm --network none "$tag" sh -c 'for c in sh httpd wget sleep nc cat echo; do command -v $c >/dev/null || echo "no $c"; done; sleep 0 && echo ok')
[ "$out" = ok ] || { echo "busybox-image: $tag built but its check printed: $out" >&2; exit 1; }
echo "== image $tag: sh, httpd, wget, sleep, nc, cat, echo present in a container ($(( ($(date +%s%N) - built) / 1000000 )) ms)"
