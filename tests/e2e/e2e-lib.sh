# shellcheck shell=bash
# What the end-to-end tests share (sourced by debian-e2e and debian-upgrade):
# arguments, preflight, the release's debs (packaging/build-debs), a booted
# machine of that release on a cached image, and the helpers of the steps.
#
# Common usage: TEST --release RELEASE [--boot-only]
#
# Environment:
#   FIBD_E2E_DEBS=DIR      use the debs in DIR (as packaging/build-debs leaves
#                          them, with old/) instead of building them
#   FIBD_CACHE=DIR         roots, images and debs, default /var/cache/fibd
#   FIBD_E2E_WORKDIR=DIR   logs and the per-run machine directory,
#                          default $FIBD_BUILD_DIR/e2e or build/e2e
#   FIBD_E2E_KEEP=1        leave the machine running at the end (or on failure)
#                          and print how to enter it; clean up by hand then
#
# Requirements: root, systemd-container, debootstrap, util-linux (nsenter),
# the Debian mirror the first time (roots, images) and host ports 8080,
# 6379 and 26379 free (the guest shares the host's network; debian-e2e's
# Sentinel group also takes 6380, 26380 and 26381). Exits 77 (skipped) when
# not root or the tools are missing.
set -Eeuo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TEST_NAME=$(basename "$0")
RELEASE=bookworm
BOOT_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --release) RELEASE=$2; shift 2 ;;
    --release=*) RELEASE=${1#*=}; shift ;;
    --boot-only) BOOT_ONLY=1; shift ;;
    *) echo "usage: $0 --release RELEASE [--boot-only]" >&2; exit 2 ;;
  esac
done

BASE_PACKAGES="systemd systemd-sysv dbus procps curl ca-certificates redis-server redis-tools redis-sentinel autopkgtest"
IMAGE_RECIPE=4 # bump when e2e_image_setup changes
PORT=8080

T0=$SECONDS
# The original stderr, for the cleanup: a signal can end the script while a
# command's output is redirected to a log file.
exec 3>&2
log() { printf '[%s %s %4ss] %s\n' "$TEST_NAME" "$RELEASE" "$((SECONDS - T0))" "$*" >&2; }
die() {
  log "FAIL: $*"
  exit 1
}
trap 'log "FAIL: command failed at line $LINENO: $BASH_COMMAND"' ERR
skip() {
  log "SKIP: $*"
  exit 77
}
# shellcheck source=packaging/debian-root.sh
. "$SRC/packaging/debian-root.sh"
droot_check_release "$RELEASE"

# ---------------------------------------------------------------- preflight
[ "$(id -u)" -eq 0 ] || skip "needs root (systemd-nspawn, cgroups, nsenter, mount)"
missing=$(droot_missing_tool)
[ -z "$missing" ] || skip "$missing missing (packaging/install-deps installs it)"
[ -n "$(droot_cgroup_mode)" ] || skip "unknown cgroup layout under /sys/fs/cgroup"
port_busy() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }
port_busy "$PORT" && die "host port $PORT is in use; the guest shares the host's network"
port_busy 6379 && die "host port 6379 is in use; the guest's redis-server needs it"
port_busy 26379 && die "host port 26379 is in use; the guest's redis-sentinel needs it"

WORK=${FIBD_E2E_WORKDIR:-${FIBD_BUILD_DIR:-$SRC/build}/e2e}/$TEST_NAME-$RELEASE
mkdir -p "$WORK"

# ---------------------------------------------------------------- the debs
DEBS=""
if [ "$BOOT_ONLY" -eq 0 ]; then
  if [ -n "${FIBD_E2E_DEBS:-}" ]; then
    DEBS=$(cd "$FIBD_E2E_DEBS" && pwd)
  else
    DEBS=$WORK/debs
    FIBD_DEBS_OUT=$DEBS "$SRC/packaging/build-debs" "$RELEASE" ||
      die "packaging/build-debs $RELEASE failed"
  fi
  for p in fibd fibd-plugin-memory fibd-plugin-redis; do
    compgen -G "$DEBS/${p}_*.deb" >/dev/null || die "no ${p}_*.deb in $DEBS"
    compgen -G "$DEBS/old/${p}_*.deb" >/dev/null || die "no ${p}_*.deb in $DEBS/old"
  done
fi

# ---------------------------------------------------------------- the image
# The runtime dependencies of the packages go into the image (apt-get
# satisfy resolves them with the release's own apt), so that installing the
# debs needs no download.
runtime_depends() {
  local p
  for p in fibd fibd-plugin-memory fibd-plugin-redis fibd-dev; do
    dpkg-deb -f "$DEBS/${p}"_*.deb Depends
  done | tr ',' '\n' | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' |
    grep -v -E '^$|^fibd' | sort -u | paste -sd, | sed 's/,/, /g'
}

e2e_image_setup() { # TREE
  echo fibd-e2e >"$1/etc/hostname"
  mkdir -p "$1/var/log/journal"
  if [ -n "$E2E_RUNTIME_DEPENDS" ]; then
    droot_run "$1" -- env DEBIAN_FRONTEND=noninteractive apt-get satisfy -y -q \
      -o Dpkg::Use-Pty=0 --no-install-recommends "$E2E_RUNTIME_DEPENDS"
  fi
}

E2E_RUNTIME_DEPENDS=""
[ -n "$DEBS" ] && E2E_RUNTIME_DEPENDS=$(runtime_depends)
DROOT_SETUP_KEY=$E2E_RUNTIME_DEPENDS \
  droot_ensure "$RELEASE" boot "$BASE_PACKAGES" "$IMAGE_RECIPE" e2e_image_setup
IMAGE=$DROOT
log "image: $IMAGE"

# ---------------------------------------------------------------- the machine
RESULT=1
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  exec 2>&3
  if [ "${FIBD_E2E_KEEP:-0}" = 1 ] && [ -n "$DMACHINE_LEADER" ]; then
    log "kept: enter with: nsenter -t $DMACHINE_LEADER -a env -i PATH=$GUEST_PATH bash"
    log "kept: clean up with: kill $DMACHINE_PID; rmdir cgroups $(droot_cgroup_dirs "$DMACHINE_CG"); umount $DMACHINE_ROOT; rm -rf $DMACHINE_DIR"
    exit "$rc"
  fi
  type e2e_stop_background >/dev/null 2>&1 && e2e_stop_background
  if [ "$rc" -ne 0 ] && [ -n "$DMACHINE_ROOT" ] && [ -d "$DMACHINE_ROOT/var/log/journal" ]; then
    journalctl -D "$DMACHINE_ROOT/var/log/journal" --no-pager -o short-monotonic \
      >"$WORK/journal-last-failure.txt" 2>&1 || true
    log "guest journal saved to $WORK/journal-last-failure.txt"
  fi
  droot_cleanup
  log "done in $((SECONDS - T0))s: $([ "$rc" -eq 0 ] && echo PASS || echo "FAIL ($rc)")"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

droot_machine "$WORK/machine-$$" "$IMAGE"
if [ -n "$DEBS" ]; then
  mkdir -p "$DMACHINE_ROOT/root/debs/old"
  cp "$DEBS"/fibd*.deb "$DMACHINE_ROOT/root/debs/"
  cp "$DEBS"/old/fibd*.deb "$DMACHINE_ROOT/root/debs/old/"
fi
droot_boot "fibd-e2e-$$" "$WORK/console.log"
[ "$(guest stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || log "note: guest is not on cgroup v2"

if [ "$BOOT_ONLY" -eq 1 ]; then
  RESULT=0
  exit 0
fi

# ---------------------------------------------------------------- helpers
STEP=0
step() {
  STEP=$((STEP + 1))
  log "step $STEP: $*"
}
ok() { log "  ok: $*"; }
expect_eq() {
  [ "$1" = "$2" ] || die "$3: expected '$2', got '$1'"
  ok "$3"
}
prop() { # prop NAME -> the value of a property, without the type letter and quotes
  guest busctl get-property org.fibd.Fibd1 /org/fibd/Fibd1 org.fibd.Fibd1.Manager "$1" |
    sed -E 's/^[a-z] //; s/^"(.*)"$/\1/'
}
reload_bus() { guest busctl call org.fibd.Fibd1 /org/fibd/Fibd1 org.fibd.Fibd1.Manager Reload; }
fetch() { # fetch PATH -> "STATUS XCACHE BODY" from the host side
  local out
  out=$(curl -s -m 20 -D - "http://127.0.0.1:$PORT$1") || {
    echo "curl-failed"
    return
  }
  local status xcache body
  status=$(printf '%s' "$out" | awk 'NR == 1 { print $2 }') # reads all: no SIGPIPE
  xcache=$(printf '%s' "$out" | tr -d '\r' | sed -n 's/^[Xx]-[Cc]ache: *//p' | head -n1)
  body=$(printf '%s' "$out" | tr -d '\r' | sed '1,/^$/d')
  echo "$status ${xcache:--} $body"
}
set_plugin() { # set_plugin NAME: the packaged config with cache.plugin = NAME
  gsh "sed -i -E 's/^(  plugin: )[^ #]+/\1$1/' /etc/fibd.yaml && grep -E '^  plugin: $1( |\$)' /etc/fibd.yaml >/dev/null" ||
    die "could not set cache.plugin to $1 in /etc/fibd.yaml"
}
main_pid() { guest systemctl show -p MainPID --value fibd; }
state() { guest systemctl is-active "$1" || true; } # non-zero unless active
# apt-get install in the guest, run in DIR. Without Recommends: everything
# comes from the image and the debs, nothing from the mirror.
apt_install() { # DIR PACKAGES...
  local dir=$1
  shift
  gsh "cd $dir && DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 \
         --no-install-recommends $*" \
    >>"$WORK/apt.log" 2>&1 || {
    tail -n 30 "$WORK/apt.log" >&2
    die "apt-get install $* failed"
  }
}
