#!/usr/bin/env bash
# Make a Docker engine reachable for the Docker provider's tests, on a fresh
# Debian machine without systemd (this sandbox and CI): install docker.io
# and busybox-static (the test image's only binary) if missing, start
# dockerd in the background and wait until `docker info` answers.
#
# Idempotent: when an engine already answers (at $DOCKER_HOST, or at
# /var/run/docker.sock) it prints one line and exits 0; when a dockerd is
# already starting it waits for that one. The engine is left running.
#
# Debian 12's docker.io is Engine 20.10.24: Engine API 1.41 at most (a
# request to /v1.42/... gets 400 "client version 1.42 is too new"), 1.12 at
# least. A first run here: apt-get about 20 s, dockerd ready in about 1 s.
#
# Environment:
#   LANDLORD_DOCKERD_LOG             dockerd's log (default /var/log/landlord-dockerd.log
#                                    when writable, else ${TMPDIR:-/tmp}/landlord-dockerd.log)
#   LANDLORD_DOCKERD_TIMEOUT         seconds to wait for the engine (default 60)
#   LANDLORD_DOCKER_STORAGE_DRIVER   skip the probe and use this driver
set -euo pipefail

timeout=${LANDLORD_DOCKERD_TIMEOUT:-60}
data_root=/var/lib/docker
pidfile=/var/run/docker.pid
default_sock=/var/run/docker.sock

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
script_start=$(now_ms)
step_start=$script_start
step() { step_start=$(now_ms); printf '== %s\n' "$*"; }
secs() { local ms=$(( $(now_ms) - $1 )); printf '%d.%03d s' $((ms / 1000)) $((ms % 1000)); }
took() { printf '   %s (%s)\n' "$*" "$(secs "$step_start")"; }
die() { printf 'docker-engine: %s\n' "$*" >&2; exit 1; }

sudo=
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "dockerd and apt-get need root, and there is no sudo"
  sudo="sudo -n"
fi

# Bounded: a socket whose daemon hangs must not hang this script.
engine_answers() { command -v docker >/dev/null 2>&1 && timeout 10 docker info >/dev/null 2>&1; }
describe() {
  printf '%s, %s' \
    "$(timeout 10 docker version --format 'dockerd {{.Server.Version}}, API {{.Server.APIVersion}} (min {{.Server.MinAPIVersion}})' 2>/dev/null || echo 'dockerd ?')" \
    "$(timeout 10 docker info --format 'storage driver {{.Driver}}, cgroup v{{.CgroupVersion}}' 2>/dev/null || echo 'storage driver ?')"
}
where=${DOCKER_HOST:-unix://$default_sock}

# 1. Already there: nothing to do.
if engine_answers; then
  echo "== docker engine already running at $where: $(describe)"
  exit 0
fi
case "$where" in
  "unix://$default_sock" | unix:///run/docker.sock) ;;
  *) die "DOCKER_HOST=$DOCKER_HOST does not answer, and this script starts an engine only at unix://$default_sock (unset DOCKER_HOST to use it)" ;;
esac

# One run at a time past this point (two at once would both install and
# both start a dockerd); a second run waits here, then finds the engine up.
# The lock's descriptor is closed for dockerd, which must not hold it. It
# lives in /run/lock, not $TMPDIR, which differs between sessions.
lock=/run/lock/landlord-docker-engine.lock
[ -w /run/lock ] || lock=${TMPDIR:-/tmp}/landlord-docker-engine.lock
exec 9>>"$lock"
if ! flock -w $((timeout + 300)) 9; then die "another scripts/docker-engine.sh holds $lock"; fi
if engine_answers; then
  echo "== docker engine started meanwhile by another run, at $where: $(describe)"
  exit 0
fi

# Alive and named $2: a killed process stays a zombie (state Z, same name,
# kill -0 succeeds, /proc/<pid> exists) until init reaps it, which can take
# seconds here.
alive() {
  local _pid comm state _rest
  [ -n "${1:-}" ] && read -r _pid comm state _rest 2>/dev/null <"/proc/$1/stat" || return 1
  [ "$state" != Z ] && [ "$state" != X ] && { [ -z "${2:-}" ] || [ "$comm" = "($2)" ]; }
}

# 2. A dockerd that is alive but not answering yet (started by an earlier
#    run, or by the package's init script) is waited for, not doubled: two
#    daemons on one data root corrupt it. Pid files whose process is gone or
#    is something else (left by a killed session) are removed: dockerd
#    refuses to start while its pid file names any existing process, even a
#    zombie, and it takes a containerd pid file's process for its managed
#    containerd and then times out connecting to it.
containerd_pidfile=/var/run/docker/containerd/containerd.pid
running_pid=
pid=$(cat "$pidfile" 2>/dev/null || true)
if alive "$pid" dockerd; then
  running_pid=$pid
else
  for stale in "$pidfile:dockerd" "$containerd_pidfile:containerd"; do
    file=${stale%:*}
    [ -f "$file" ] || continue
    pid=$(cat "$file" 2>/dev/null || true)
    if ! alive "$pid" "${stale##*:}"; then
      step "stale $file (pid ${pid:-none} is not a running ${stale##*:}): removing it"
      $sudo rm -f "$file"
    fi
  done
fi

if [ -z "$running_pid" ]; then
  # 3. Storage driver, chosen by trying it on the data root's filesystem
  #    rather than by guessing: overlay2 when the kernel can mount an
  #    overlay there (ext4 here: it can, and it is far faster and smaller
  #    than vfs); not on an overlayfs/aufs root (Docker in a container),
  #    where Docker rejects overlay2; then fuse-overlayfs when /dev/fuse
  #    exists; else vfs, which works on anything (a full copy per layer,
  #    fine for a 2 MB busybox image).
  storage_flag=()
  if grep -qs '"storage-driver"' /etc/docker/daemon.json; then
    driver="(from /etc/docker/daemon.json)"
  elif [ -n "${LANDLORD_DOCKER_STORAGE_DRIVER:-}" ]; then
    driver=$LANDLORD_DOCKER_STORAGE_DRIVER
  else
    step "storage driver: probing an overlay mount under $data_root"
    $sudo mkdir -p "$data_root"
    fstype=$(findmnt -n -o FSTYPE --target "$data_root" 2>/dev/null || stat -f -c %T "$data_root" 2>/dev/null || echo unknown)
    driver=vfs
    probe=$($sudo mktemp -d "$data_root/.landlord-overlay-probe.XXXXXX")
    $sudo mkdir -p "$probe/lower" "$probe/upper" "$probe/work" "$probe/merged"
    if [ "$fstype" != overlayfs ] && [ "$fstype" != aufs ] \
      && $sudo mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" 2>/dev/null; then
      if $sudo touch "$probe/merged/file" 2>/dev/null; then driver=overlay2; fi
      $sudo umount "$probe/merged"
    elif [ -c /dev/fuse ]; then
      driver=fuse-overlayfs
    fi
    $sudo rm -rf "$probe"
    took "storage driver: $driver ($data_root is on $fstype)"
  fi
  case "$driver" in "("*) ;; *) storage_flag=(--storage-driver "$driver") ;; esac

  # 4. Packages, only what is missing, with one apt-get update before.
  #    Recommends are skipped (git, needrestart, criu, ...: not needed to run
  #    containers); the two that matter are added only when this machine
  #    needs them: cgroupfs-mount when no cgroup hierarchy is mounted, and
  #    apparmor when the kernel enforces AppArmor (runc then needs
  #    apparmor_parser to load Docker's default profile).
  installed() { [ "$(dpkg-query -W -f '${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
  want=()
  command -v dockerd >/dev/null 2>&1 || installed docker.io || want+=(docker.io)
  installed busybox-static || want+=(busybox-static)
  [ "$driver" != fuse-overlayfs ] || command -v fuse-overlayfs >/dev/null 2>&1 || want+=(fuse-overlayfs)
  if [ ! -e /sys/fs/cgroup/cgroup.controllers ] && [ ! -d /sys/fs/cgroup/memory ]; then
    command -v cgroupfs-mount >/dev/null 2>&1 || want+=(cgroupfs-mount)
  fi
  if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; then
    command -v apparmor_parser >/dev/null 2>&1 || want+=(apparmor)
  fi
  if [ "${#want[@]}" -gt 0 ]; then
    step "apt-get install ${want[*]}"
    apt_log=$(mktemp "${TMPDIR:-/tmp}/landlord-apt.XXXXXX")
    if ! { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}"; } >"$apt_log" 2>&1; then
      tail -n 30 "$apt_log" >&2
      die "apt-get could not install ${want[*]} (log: $apt_log)"
    fi
    rm -f "$apt_log"
    took "installed ${want[*]}"
  else
    step "packages: docker.io and busybox-static present"
  fi
  command -v dockerd >/dev/null 2>&1 || die "no dockerd on PATH after installing docker.io"
  command -v docker >/dev/null 2>&1 || die "no docker client on PATH after installing docker.io"

  # 5. cgroups: dockerd needs a mounted hierarchy (v1 controllers or v2);
  #    without systemd nobody else mounts one.
  if [ ! -e /sys/fs/cgroup/cgroup.controllers ] && [ ! -d /sys/fs/cgroup/memory ]; then
    step "cgroups: none mounted, cgroupfs-mount"
    $sudo cgroupfs-mount
    took "cgroups mounted"
  fi

  # 6. iptables: dockerd programs NAT and filter rules for the bridge and for
  #    published ports through the `iptables` command. Debian's default is
  #    the nf_tables backend (it works here); a kernel without nf_tables
  #    gets the legacy backend; with neither, dockerd runs with
  #    --iptables=false: containers on one bridge still reach each other,
  #    and ports published on 127.0.0.1 still answer through docker-proxy.
  iptables_flag=()
  if ! $sudo iptables -t nat -S >/dev/null 2>&1; then
    if command -v iptables-legacy >/dev/null 2>&1 && $sudo iptables-legacy -t nat -S >/dev/null 2>&1; then
      step "iptables: nf_tables backend unusable, switching to iptables-legacy"
      $sudo update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null
      $sudo update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null 2>&1 || true
    elif ! grep -qs '"iptables"' /etc/docker/daemon.json; then
      echo "== iptables: no usable backend; dockerd --iptables=false (no NAT; loopback ports via docker-proxy)"
      iptables_flag=(--iptables=false)
    fi
  fi

  # 7. dockerd in its own session (setsid), so it outlives this script and
  #    the terminal or CI step that ran it; its output appended to a log.
  log=${LANDLORD_DOCKERD_LOG:-}
  if [ -z "$log" ]; then
    if [ -w /var/log ] || [ -n "$sudo" ]; then log=/var/log/landlord-dockerd.log; else log=${TMPDIR:-/tmp}/landlord-dockerd.log; fi
  fi
  step "starting dockerd ${storage_flag[*]} ${iptables_flag[*]} (log: $log)"
  printf '\n==== %s: scripts/docker-engine.sh starts dockerd %s %s\n' "$(date -u +%FT%TZ)" "${storage_flag[*]}" "${iptables_flag[*]}" | $sudo tee -a "$log" >/dev/null
  # shellcheck disable=SC2016 # $@ and $0 are the inner shell's: dockerd's flags and the log
  $sudo setsid sh -c 'exec dockerd "$@" >>"$0" 2>&1 </dev/null 9>&-' "$log" "${storage_flag[@]}" "${iptables_flag[@]}" 9>&- &
  launcher=$!
else
  step "dockerd (pid $running_pid) is running but not answering yet: waiting for it"
  log=${LANDLORD_DOCKERD_LOG:-/var/log/landlord-dockerd.log}
  launcher=$running_pid
fi

# What went wrong, first: dockerd's errors since this script last started
# one (the "==== " line it writes to the log), then the end of the log
# (mostly containerd and grpc chatter).
show_log() {
  local since
  since=$($sudo grep -n '^==== ' "$log" 2>/dev/null | tail -n 1 | cut -d: -f1)
  echo "--- errors in $log since its last \"==== \" line:" >&2
  $sudo tail -n +"${since:-1}" "$log" 2>/dev/null | grep -E 'level=(error|fatal)|^failed|^panic:' | tail -n 10 >&2 || true
  echo "--- the last 15 lines of $log:" >&2
  $sudo tail -n 15 "$log" >&2 || true
}

# 8. Wait, bounded, for the engine to answer; stop early if dockerd exits.
deadline=$(( $(now_ms) + timeout * 1000 ))
until timeout 10 docker info >/dev/null 2>&1; do
  # $launcher is dockerd itself, or sudo around it; either is gone or a
  # zombie once dockerd exits. Another run's dockerd may hold the pid file
  # (ours then exits at once): that one is waited for.
  if ! alive "$launcher" && ! alive "$(cat "$pidfile" 2>/dev/null)" dockerd; then
    echo "docker-engine: dockerd exited before it answered" >&2
    show_log
    # One more start, after removing what is known to block one. A dockerd
    # killed while it created a network can leave a network store it then
    # cannot read: every later start panics in libnetwork's reservePools
    # (seen here with 20.10.24 after `pkill dockerd` during a provision).
    # That store is moved aside (kept); Docker recreates its default
    # networks, and the next provision re-creates a tenant's (the Docker
    # provider adopts what exists). A start can also fail once while the
    # killed daemon's containerd is still going away (seen here: a
    # containerd connect timeout, then the next start worked).
    if [ -z "${LANDLORD_DOCKERD_RECOVERED:-}" ]; then
      store=$data_root/network/files/local-kv.db
      since=$($sudo grep -n '^==== ' "$log" 2>/dev/null | tail -n 1 | cut -d: -f1)
      # (grep reads to the end: with -q it could stop early, and the
      # pipeline would fail on tail's SIGPIPE under pipefail.)
      if $sudo test -f "$store" \
        && $sudo tail -n +"${since:-1}" "$log" 2>/dev/null | grep 'libnetwork.(\*controller).reservePools' >/dev/null; then
        aside=$store.unreadable-$(date -u +%Y%m%dT%H%M%SZ)
        echo "docker-engine: dockerd cannot read its network store; moving it to $aside" >&2
        $sudo mv "$store" "$aside"
      fi
      echo "docker-engine: starting dockerd once more" >&2
      sleep 2
      flock -u 9
      LANDLORD_DOCKERD_RECOVERED=1 exec "$0" "$@"
    fi
    die "dockerd failed to start"
  fi
  if [ "$(now_ms)" -ge "$deadline" ]; then
    echo "docker-engine: no answer from dockerd within ${timeout} s" >&2
    show_log
    die "dockerd did not become ready in ${timeout} s (it is left running; pid $(cat "$pidfile" 2>/dev/null || echo "$launcher"))"
  fi
  sleep 0.2
done
took "engine ready at $where, dockerd pid $(cat "$pidfile" 2>/dev/null || echo ?): $(describe)"
echo "== docker-engine: done in $(secs "$script_start")"
