# shellcheck shell=bash
# Debian release roots and throw-away machines on them; sourced by
# packaging/release-root, packaging/build-debs and tests/e2e/*.
#
#   droot_ensure RELEASE KIND PACKAGES RECIPE [SETUP]
#       A debootstrapped RELEASE (minbase, apt pointed at the release,
#       -updates and -security, upgraded to them, plus PACKAGES), cached under
#       $FIBD_CACHE/roots/ and keyed by a hash of RELEASE, the mirror,
#       PACKAGES, RECIPE and $DROOT_SETUP_KEY. SETUP, a function, runs as
#       `SETUP TREE` before the tree is published (e.g. apt-get build-dep).
#       Sets DROOT (the tree) and DROOT_KEY. A root older than
#       FIBD_ROOT_MAX_AGE_DAYS (default 7) is made again, which brings in the
#       release's security updates.
#   droot_machine DIR ROOT       DIR/root becomes an overlay on ROOT (a copy
#                                without overlayfs); sets DMACHINE_ROOT
#   droot_run ROOT [NSPAWN-ARGS...] -- CMD...
#                                runs CMD in ROOT with systemd-nspawn (no boot)
#   droot_boot NAME CONSOLE-LOG  boots systemd in $DMACHINE_ROOT; sets
#                                DMACHINE_LEADER, the guest's PID 1
#   guest CMD...                 runs CMD in the booted machine
#   droot_cleanup                powers the machine off, removes its cgroup,
#                                unmounts and removes DIR (call it on EXIT)
#
# The caller defines log() and die().

FIBD_CACHE=${FIBD_CACHE:-/var/cache/fibd}
DEBIAN_MIRROR=${FIBD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY_MIRROR=${FIBD_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
DROOT_RELEASES="bookworm trixie"
GUEST_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
DROOT_RECIPE=2 # bump when droot_ensure's steps change
DROOT_SETUP_KEY=${DROOT_SETUP_KEY:-}

droot_check_release() {
  case " $DROOT_RELEASES " in
    *" $1 "*) ;;
    *) die "unsupported release '$1' (supported: $DROOT_RELEASES)" ;;
  esac
}

# The tools the machinery needs on the host; echoes the first one missing.
droot_missing_tool() {
  local tool
  for tool in systemd-nspawn debootstrap nsenter pgrep flock mountpoint; do
    command -v "$tool" >/dev/null || {
      echo "$tool"
      return
    }
  done
}

droot_cgroup_mode() {
  if [ -d /sys/fs/cgroup/unified ] && [ -d /sys/fs/cgroup/systemd ]; then
    echo hybrid
  elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    echo unified
  fi
}

droot_write_sources() { # TREE RELEASE
  rm -f "$1/etc/apt/sources.list"
  cat >"$1/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $DEBIAN_MIRROR
Suites: $2 $2-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $DEBIAN_SECURITY_MIRROR
Suites: $2-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
}

droot_ensure() { # RELEASE KIND PACKAGES RECIPE [SETUP]
  local release=$1 kind=$2 packages recipe=$4 setup=${5:-} dir key tree tmp logf
  droot_check_release "$release"
  packages=$(echo "$3" | tr ', ' '\n\n' | sed '/^$/d' | sort -u | tr '\n' ',' | sed 's/,$//')
  key=$(printf '%s\n' "$release" "$DEBIAN_MIRROR" "$DEBIAN_SECURITY_MIRROR" "$packages" \
    "$recipe" "$DROOT_RECIPE" "$DROOT_SETUP_KEY" | sha256sum | cut -c1-16)
  dir=$FIBD_CACHE/roots
  tree=$dir/$kind-$release-$key
  logf=$tree.log
  mkdir -p "$dir"
  exec {lockfd}>"$tree.lock"
  flock "$lockfd"
  if [ -f "$tree.complete" ] &&
    [ -z "$(find "$tree.complete" -mtime +"${FIBD_ROOT_MAX_AGE_DAYS:-7}")" ]; then
    log "root: reusing $tree"
  else
    rm -rf "$tree" "$tree.complete" "$tree".tmp.* # and what an interrupted run left
    tmp=$tree.tmp.$$
    log "root: debootstrap $release ($kind) with $packages"
    local t0=$SECONDS
    # Only minbase from debootstrap, which does not order the configuration
    # of larger dependency trees well; apt installs the rest.
    if ! debootstrap --variant=minbase "$release" "$tmp" "$DEBIAN_MIRROR" >"$logf" 2>&1; then
      rm -rf "$tmp"
      tail -n 20 "$logf" >&2
      flock -u "$lockfd"
      die "debootstrap $release failed, see $logf"
    fi
    droot_write_sources "$tmp" "$release"
    # Documentation is never read in these roots; leaving it out (and the
    # man-db index) saves minutes of unpacking and triggers.
    printf '%s\n' 'path-exclude=/usr/share/doc/*' 'path-include=/usr/share/doc/*/copyright' \
      'path-exclude=/usr/share/man/*' 'path-exclude=/usr/share/info/*' \
      >"$tmp/etc/dpkg/dpkg.cfg.d/01-nodoc"
    # No fsync per unpacked file: a root that breaks is made again anyway.
    echo force-unsafe-io >"$tmp/etc/dpkg/dpkg.cfg.d/02-unsafe-io"
    # The release's updates and security fixes on top of the point release.
    if ! droot_run "$tmp" -- sh -c "apt-get update -q && export DEBIAN_FRONTEND=noninteractive &&
          echo 'man-db man-db/auto-update boolean false' | debconf-set-selections &&
          apt-get -y -q -o Dpkg::Use-Pty=0 dist-upgrade &&
          apt-get -y -q -o Dpkg::Use-Pty=0 --no-install-recommends install $(echo "$packages" | tr , ' ')" \
      >>"$logf" 2>&1 || { [ -n "$setup" ] && ! "$setup" "$tmp" >>"$logf" 2>&1; }; then
      rm -rf "$tmp"
      tail -n 30 "$logf" >&2
      flock -u "$lockfd"
      die "preparing the $release root failed, see $logf"
    fi
    droot_run "$tmp" -- apt-get clean >>"$logf" 2>&1 || true
    mv "$tmp" "$tree"
    touch "$tree.complete"
    log "root: $tree ready in $((SECONDS - t0))s ($(du -sh "$tree" | cut -f1))"
  fi
  touch -a "$tree.complete" # last use, for the clean-up below
  # Roots nobody used for two weeks (older inputs) are dropped.
  find "$dir" -maxdepth 1 -name '*.complete' -atime +14 -print |
    while read -r old; do rm -rf "${old%.complete}" "$old" "${old%.complete}.log" "${old%.complete}.lock"; done
  flock -u "$lockfd"
  exec {lockfd}>&-
  DROOT=$tree
  DROOT_KEY=$key
}

# ------------------------------------------------------------ machines
DMACHINE_DIR=""
DMACHINE_ROOT=""
DMACHINE_PID=""
DMACHINE_LEADER=""
DMACHINE_CG=""

droot_cgroup_dirs() { # NAME
  case "$(droot_cgroup_mode)" in
    hybrid) echo "/sys/fs/cgroup/systemd/$1 /sys/fs/cgroup/unified/$1" ;;
    *) echo "/sys/fs/cgroup/$1" ;;
  esac
}

# systemd-nspawn from a cgroup of its own (the host's PID 1 need not be
# systemd), so that the container gets a unified (v2) hierarchy.
droot_nspawn() { # CGROUP-NAME NSPAWN-ARGS...
  local cg=$1 d rc=0
  shift
  for d in $(droot_cgroup_dirs "$cg"); do mkdir -p "$d"; done
  (
    for d in $(droot_cgroup_dirs "$cg"); do echo "$BASHPID" >"$d/cgroup.procs"; done
    export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
    exec systemd-nspawn -q --register=no --keep-unit "$@"
  ) || rc=$?
  droot_remove_cgroup "$cg"
  return "$rc"
}

droot_remove_cgroup() { # NAME
  local d
  for d in $(droot_cgroup_dirs "$1"); do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    [ -d "$d" ] && log "cleanup: could not remove cgroup $d"
  done
  return 0
}

droot_run() { # ROOT [NSPAWN-ARGS...] -- CMD...
  local root=$1
  shift
  local args=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    args+=("$1")
    shift
  done
  shift
  droot_nspawn "fibd-run-$$-$RANDOM" -D "$root" --pipe --setenv=PATH="$GUEST_PATH" \
    --setenv=LANG=C.UTF-8 --setenv=HOME=/root "${args[@]}" -- "$@"
}

droot_machine() { # DIR ROOT
  DMACHINE_DIR=$1
  DMACHINE_ROOT=$1/root
  mkdir -p "$1/upper" "$1/work" "$DMACHINE_ROOT"
  if mount -t overlay overlay \
    -o "lowerdir=$2,upperdir=$1/upper,workdir=$1/work" "$DMACHINE_ROOT" 2>/dev/null; then
    log "machine: overlay on $2"
  else
    log "machine: copying $2 (no overlayfs)"
    cp -a --reflink=auto "$2/." "$DMACHINE_ROOT/"
  fi
}

droot_boot() { # NAME CONSOLE-LOG
  DMACHINE_CG=$1
  local d state=""
  for d in $(droot_cgroup_dirs "$DMACHINE_CG"); do mkdir -p "$d"; done
  (
    for d in $(droot_cgroup_dirs "$DMACHINE_CG"); do echo "$BASHPID" >"$d/cgroup.procs"; done
    export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1
    exec systemd-nspawn -D "$DMACHINE_ROOT" --boot --register=no --keep-unit \
      --console=pipe --machine="$1"
  ) </dev/null >"$2" 2>&1 3>&- &
  DMACHINE_PID=$!
  log "machine: systemd-nspawn pid $DMACHINE_PID"
  for _ in $(seq 1 100); do
    DMACHINE_LEADER=$(pgrep -P "$DMACHINE_PID" -x systemd || true)
    [ -n "$DMACHINE_LEADER" ] && break
    kill -0 "$DMACHINE_PID" 2>/dev/null || {
      cat "$2" >&2
      die "systemd-nspawn exited"
    }
    sleep 0.1
  done
  [ -n "$DMACHINE_LEADER" ] || die "no systemd in the guest after 10s"
  for _ in $(seq 1 60); do
    state=$(guest systemctl is-system-running --wait 2>/dev/null || true)
    case "$state" in running | degraded) break ;; esac
    sleep 0.5
  done
  case "$state" in
    running | degraded) ;;
    *) die "guest systemd did not come up (state: '${state}')" ;;
  esac
  log "machine: guest systemd is $state (PID 1 is host pid $DMACHINE_LEADER)"
  [ "$state" = degraded ] && guest systemctl --failed --no-legend >&2 || true
}

# Runs a command inside the booted guest (all its namespaces, a clean environment).
guest() {
  nsenter -t "$DMACHINE_LEADER" -a env -i PATH="$GUEST_PATH" LANG=C.UTF-8 \
    SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 HOME=/root "$@"
}
gsh() { guest sh -c "$1"; }

droot_cleanup() {
  if [ -n "$DMACHINE_PID" ] && kill -0 "$DMACHINE_PID" 2>/dev/null; then
    if [ -n "$DMACHINE_LEADER" ]; then
      guest systemctl poweroff >/dev/null 2>&1 || true
    fi
    for _ in $(seq 1 150); do
      kill -0 "$DMACHINE_PID" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$DMACHINE_PID" 2>/dev/null; then
      log "cleanup: the guest did not power off, killing it"
      [ -n "$DMACHINE_LEADER" ] && kill -KILL "$DMACHINE_LEADER" 2>/dev/null || true
      sleep 1
      kill -KILL "$DMACHINE_PID" 2>/dev/null || true
    fi
    wait "$DMACHINE_PID" 2>/dev/null || true
  fi
  DMACHINE_PID=""
  DMACHINE_LEADER=""
  [ -n "$DMACHINE_CG" ] && droot_remove_cgroup "$DMACHINE_CG"
  DMACHINE_CG=""
  if [ -n "$DMACHINE_DIR" ]; then
    if mountpoint -q "$DMACHINE_ROOT"; then
      umount "$DMACHINE_ROOT" || log "cleanup: could not unmount $DMACHINE_ROOT"
    fi
    mountpoint -q "$DMACHINE_ROOT" || rm -rf "$DMACHINE_DIR"
    DMACHINE_DIR=""
  fi
  return 0
}
