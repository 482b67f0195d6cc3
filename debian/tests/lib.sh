# shellcheck shell=sh
# What the tests of debian/tests share: checks that say what they expected,
# the installed service's HTTP and D-Bus faces, and /etc/fibd.yaml put back
# as it was on exit.
set -eu

say() { echo "$(basename "$0"): $*"; }
fail() {
  say "FAIL: $*"
  journalctl -u fibd --no-pager -n 30 -o cat || true
  exit 1
}
expect_eq() { # GOT WANT WHAT
  [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
  say "ok: $3"
}

PORT=8080
# fetch PATH -> "STATUS XCACHE BODY"
fetch() {
  out=$(curl -s -m 30 -D - "http://127.0.0.1:$PORT$1") || {
    echo curl-failed
    return 0
  }
  status=$(printf '%s' "$out" | head -n1 | cut -d' ' -f2)
  xcache=$(printf '%s' "$out" | tr -d '\r' | sed -n 's/^[Xx]-[Cc]ache: *//p' | head -n1)
  body=$(printf '%s' "$out" | tr -d '\r' | sed '1,/^$/d')
  echo "$status ${xcache:--} $body"
}
prop() { # NAME -> the property's value, without its type and quotes
  busctl get-property org.fibd.Fibd1 /org/fibd/Fibd1 org.fibd.Fibd1.Manager "$1" |
    sed -E 's/^[a-z] //; s/^"(.*)"$/\1/'
}
reload_bus() {
  busctl --timeout=60 call org.fibd.Fibd1 /org/fibd/Fibd1 org.fibd.Fibd1.Manager Reload
}
state() { systemctl is-active fibd || true; }
# Waits until fibd answers /healthz (after a start or a restart).
wait_serving() {
  i=0
  while [ "$(fetch /healthz)" != '200 - {"status":"ok"}' ]; do
    i=$((i + 1))
    [ "$i" -lt 100 ] || fail "fibd does not answer /healthz"
    sleep 0.1
  done
}
metric() { # NAME{LABELS} -> its value in /metrics (labels as fibd orders them)
  curl -s -m 30 "http://127.0.0.1:$PORT/metrics" | awk -v name="$1" '$1 == name { print $2 }'
}
# fibd answers a miss first and writes the cache after: wait for the write.
wait_written() {
  i=0
  while [ "$(metric fibd_cache_writes_pending)" != 0 ]; do
    i=$((i + 1))
    [ "$i" -lt 100 ] || fail "cache writes still pending"
    sleep 0.1
  done
}
# The tests restart fibd more often than its unit's start rate limit allows
# (each test's package installation restarts it too): the limit is reset
# first, which a crash loop would not get past anyway (NRestarts is checked).
restart_fibd() {
  systemctl reset-failed fibd 2>/dev/null || true
  systemctl restart fibd
}
set_plugin() { # NAME: the packaged configuration with cache.plugin NAME
  sed -i -E "s/^(  plugin: )[^ #]+/\1$1/" /etc/fibd.yaml
  grep -q -E "^  plugin: $1( |\$)" /etc/fibd.yaml || fail "could not set cache.plugin to $1"
}

# set_options "KEY: VALUE"...: cache.options of the packaged configuration
# become these, one per line (the file as installed, plugin and the rest kept).
set_options() {
  opts=""
  for o in "$@"; do opts="$opts    $o\n"; done
  awk -v opts="$opts" '/^  options: / { printf "  options:\n%s", opts; next } { print }' \
    "${AUTOPKGTEST_TMP:-/tmp}/fibd.yaml.orig" >/etc/fibd.yaml
  grep -qxF "    $1" /etc/fibd.yaml || fail "could not set cache.options"
}
# wait_until WHAT COMMAND...: COMMAND succeeds within 60 s, or the test fails.
wait_until() {
  what=$1
  shift
  i=0
  until "$@"; do
    i=$((i + 1))
    [ "$i" -lt 600 ] || fail "not within 60 s: $what"
    sleep 0.1
  done
}

cp /etc/fibd.yaml "${AUTOPKGTEST_TMP:-/tmp}/fibd.yaml.orig"
restore() {
  cp "${AUTOPKGTEST_TMP:-/tmp}/fibd.yaml.orig" /etc/fibd.yaml
  restart_fibd || true
}
trap restore EXIT

# As installed: enabled and started by the package.
[ "$(state)" = active ] || restart_fibd
wait_serving
