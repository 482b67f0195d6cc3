# Sourced by tests/e2e/debian-e2e (after e2e-lib.sh and its helpers): the
# users' flow on a Redis Sentinel group made of the release's own units, on
# loopback: redis-server.service the master (6379), redis-server@replica its
# replica (6380), redis-sentinel.service and redis-sentinel@b, @c the three
# sentinels (26379-26381, quorum 2). fibd is configured with the Sentinel
# example fibd-plugin-redis ships, restarted, asked over curl and reloaded
# over D-Bus; then the master is killed while tests/e2e/load-probe keeps four
# keep-alive clients on fibd: every answer must be the exact F(n) (none
# failed), and hits must come back once the sentinels have promoted the
# replica. The old master, started again, becomes a replica.
#
# Needs: fibd, fibd-plugin-redis and redis-sentinel installed, fibd serving
# on $PORT; host ports 6380, 26380 and 26381 free (26379 is checked before
# boot: the image's redis-sentinel.service takes it).
# shellcheck shell=bash

SENTINEL_PORTS="26379 26380 26381"
# Sentinel's default is 30 s; the failover the fleet guide advises is faster.
SENTINEL_DOWN_AFTER_MS=2000

# The unit of the Redis node on PORT.
redis_unit() { case "$1" in 6379) echo redis-server ;; 6380) echo redis-server@replica ;; esac; }
rcli() { guest redis-cli --no-auth-warning -p "$@"; } # rcli PORT ARGS...
# The master the sentinel on PORT names: "host port" on one line.
sentinel_master() { rcli "$1" SENTINEL get-master-addr-by-name mymaster 2>/dev/null | paste -sd' '; }
# A field of SENTINEL master mymaster, as the sentinel on PORT sees it.
sentinel_field() {
  rcli "$1" SENTINEL master mymaster 2>/dev/null | awk -v f="$2" 'prev == f { print; exit } { prev = $0 }'
}
wait_for() { # wait_for SECONDS WHAT COMMAND...: until COMMAND succeeds
  local limit=$(($1 * 10)) what=$2 i
  shift 2
  for ((i = 0; i < limit; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  die "$what: not within $((limit / 10)) s"
}
now() { echo "$EPOCHREALTIME"; }
ms_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
cache_metric() { curl -s -m 10 "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

sentinel_group_formed() {
  local p
  for p in $SENTINEL_PORTS; do
    [ "$(sentinel_field "$p" num-other-sentinels)" = 2 ] || return 1
    [ "$(sentinel_field "$p" num-slaves)" = 1 ] || return 1
  done
  rcli 6380 INFO replication | tr -d '\r' | grep -q '^master_link_status:up'
}

SENTINEL_PROBE_PID=""
e2e_stop_background() {
  if [ -n "$SENTINEL_PROBE_PID" ]; then
    kill -TERM "$SENTINEL_PROBE_PID" 2>/dev/null || true
    wait "$SENTINEL_PROBE_PID" 2>/dev/null || true
    SENTINEL_PROBE_PID=""
  fi
}

e2e_sentinel_steps() {
  local p
  step "apt install redis-sentinel; a Sentinel group of the release's units: 1 master, 1 replica, 3 sentinels"
  for p in 6380 26380 26381; do
    port_busy "$p" && die "host port $p is in use; the guest's Sentinel group needs it"
  done
  apt_install /root redis-sentinel
  # A killed node stays down (the units restart it after 100 ms, before
  # any sentinel could notice) until the test starts it again.
  gsh 'for u in redis-server redis-server@replica; do
         mkdir -p /run/systemd/system/$u.service.d &&
         printf "[Service]\nRestart=no\n" >/run/systemd/system/$u.service.d/e2e-no-restart.conf
       done && systemctl daemon-reload'
  gsh 'umask 027 && cat >/etc/redis/redis-replica.conf <<EOF
port 6380
bind 127.0.0.1 -::1
pidfile /run/redis-replica/redis-server.pid
logfile /var/log/redis/redis-server-replica.log
dir /var/lib/redis
dbfilename dump-replica.rdb
replicaof 127.0.0.1 6379
EOF
chown redis:redis /etc/redis/redis-replica.conf'
  guest systemctl start redis-server@replica || die "redis-server@replica does not start"
  guest systemctl stop redis-sentinel
  for p in $SENTINEL_PORTS; do
    local name=sentinel-$p file=/etc/redis/sentinel-$p.conf unit=redis-sentinel@$p
    if [ "$p" = 26379 ]; then # the packaged sentinel, with its own file
      name=sentinel file=/etc/redis/sentinel.conf unit=redis-sentinel
    fi
    gsh "umask 027 && cat >$file <<EOF
port $p
bind 127.0.0.1 -::1
pidfile /run/$name/redis-sentinel.pid
logfile /var/log/redis/redis-$name.log
dir /var/lib/redis
sentinel monitor mymaster 127.0.0.1 6379 2
sentinel down-after-milliseconds mymaster $SENTINEL_DOWN_AFTER_MS
sentinel failover-timeout mymaster 10000
sentinel parallel-syncs mymaster 1
EOF
chown redis:redis $file"
    guest systemctl start "$unit" || die "$unit does not start"
  done
  wait_for 60 "the sentinels see each other and the replica, which is in sync" sentinel_group_formed
  ok "3 sentinels, each seeing the 2 others and 1 replica; master $(sentinel_master 26379)"

  step "fibd in sentinel mode (the packaged example); systemctl restart fibd; curl /fib/90"
  guest cp /etc/fibd.yaml /root/fibd.yaml.before-sentinel
  local example=./usr/share/doc/fibd-plugin-redis/examples/fibd-redis-sentinel.yaml
  dpkg-deb --fsys-tarfile "$DEBS"/fibd-plugin-redis_*.deb | tar -xO "$example" >"$WORK/fibd-sentinel.yaml" ||
    die "fibd-plugin-redis ships no $example"
  sed -i -E 's/^( +sentinels: ).*/\1"127.0.0.1:26379,127.0.0.1:26380,[::1]:26381"/' "$WORK/fibd-sentinel.yaml"
  grep -q '^    sentinels: "127.0.0.1:26379,' "$WORK/fibd-sentinel.yaml" || die "no sentinels: line in $example"
  cp "$WORK/fibd-sentinel.yaml" "$DMACHINE_ROOT/etc/fibd.yaml"
  guest fibd --check-config --config /etc/fibd.yaml >/dev/null || die "fibd --check-config refuses the example"
  guest systemctl restart fibd || { guest journalctl -u fibd --no-pager -n 30 >&2; die "fibd does not start in sentinel mode"; }
  expect_eq "$(fetch /fib/90)" '200 miss {"result":2880067194370816120}' "GET /fib/90 (first, sentinel mode)"
  expect_eq "$(fetch /fib/90)" '200 hit {"result":2880067194370816120}' "GET /fib/90 (again: a hit from the master)"
  expect_eq "$(rcli 6379 GET fibd:90)" 2880067194370816120 "the master holds fibd:90"
  local line
  line=$(guest journalctl -u fibd --no-pager -o cat | grep "\[plugin/redis\] the master 'mymaster' is at" | tail -n1 || true)
  [ -n "$line" ] || die "fibd's journal does not say which master it uses"
  ok "$line"

  step "busctl call Reload in sentinel mode"
  local reloads
  reloads=$(prop Reloads)
  reload_bus >/dev/null || die "busctl call Reload failed"
  expect_eq "$(prop Reloads)" "$((reloads + 1))" "Reloads counter"
  expect_eq "$(fetch /fib/90)" '200 hit {"result":2880067194370816120}' "GET /fib/90 after the reload"

  step "the master killed under load: 0 failed requests, hits again on the promoted replica"
  # The probe's value, on the replica before the master dies.
  expect_eq "$(fetch /fib/91 | cut -d' ' -f1,3)" '200 {"result":4660046610375530309}' "GET /fib/91"
  wait_for 10 "fibd:91 on the replica" gsh '[ "$(redis-cli -p 6380 GET fibd:91)" = 4660046610375530309 ]'
  local old_port new_port errors_before
  old_port=$(sentinel_master 26379 | cut -d' ' -f2)
  errors_before=$(cache_metric fibd_cache_errors_total)
  rm -f "$WORK/load-sentinel.json"
  "$SRC/tests/e2e/load-probe" "$PORT" keepalive "$WORK/load-sentinel.json" &
  SENTINEL_PROBE_PID=$!
  sleep 2 # load flowing, and hitting, before the master dies
  guest systemctl kill -s KILL "$(redis_unit "$old_port")"
  local killed
  killed=$(now)
  wait_for 5 "the master on $old_port gone" gsh "! redis-cli -p $old_port PING >/dev/null 2>&1"
  log "  killed the master on $old_port (unit $(redis_unit "$old_port")) under load"
  # The first hit after the kill: fibd reads from the promoted replica.
  local answer first_hit_ms="" i
  for ((i = 0; i < 600; i++)); do
    answer=$(fetch /fib/91)
    case "$answer" in
      '200 hit {"result":4660046610375530309}') first_hit_ms=$(ms_since "$killed"); break ;;
      '200 miss {"result":4660046610375530309}') ;;
      *) die "GET /fib/91 during the failover: $answer" ;;
    esac
    sleep 0.1
  done
  [ -n "$first_hit_ms" ] || die "no hit within 60 s of the master's death"
  new_port=$(sentinel_master 26379 | cut -d' ' -f2)
  [ "$new_port" != "$old_port" ] || die "a hit, but the sentinels still name $old_port"
  sleep 2 # hits on the new master under load too
  e2e_stop_background
  [ -f "$WORK/load-sentinel.json" ] || die "the load generator left no summary"
  local summary
  summary=$("$SRC/tests/e2e/load-probe" --verdict "$WORK/load-sentinel.json") ||
    die "requests failed across the failover: $summary"
  ok "failover under load: $summary"
  ok "first hit $first_hit_ms ms after the master's death (down-after-milliseconds $SENTINEL_DOWN_AFTER_MS); master now on $new_port; cache errors counted meanwhile: $(awk -v a="$errors_before" -v b="$(cache_metric fibd_cache_errors_total)" 'BEGIN { print b - a }')"
  line=$(guest journalctl -u fibd --no-pager -o cat |
    grep "\[plugin/redis\] the master 'mymaster' is at 127.0.0.1:$new_port" | tail -n1 || true)
  [ -n "$line" ] || die "fibd's journal does not name the new master $new_port"
  ok "$line"
  expect_eq "$(fetch /fib/92)" '200 miss {"result":7540113804746346429}' "GET /fib/92 (first, written to the new master)"
  expect_eq "$(fetch /fib/92)" '200 hit {"result":7540113804746346429}' "GET /fib/92 (again)"
  expect_eq "$(rcli "$new_port" GET fibd:92)" 7540113804746346429 "the new master holds fibd:92"

  step "the old master started again becomes a replica; fibd stays on the new master"
  guest systemctl start "$(redis_unit "$old_port")" || die "$(redis_unit "$old_port") does not start again"
  wait_for 60 "the old master a replica" gsh "[ \"\$(redis-cli -p $old_port ROLE 2>/dev/null | head -n1)\" = slave ]"
  expect_eq "$(rcli "$old_port" ROLE | sed -n 2p)" 127.0.0.1 "the node on $old_port replicates 127.0.0.1 ..."
  expect_eq "$(rcli "$old_port" ROLE | sed -n 3p)" "$new_port" "... port $new_port"
  expect_eq "$(fetch /fib/93 | cut -d' ' -f1,2)" '200 miss' "GET /fib/93 (first)"
  expect_eq "$(fetch /fib/93 | cut -d' ' -f1,2)" '200 hit' "GET /fib/93 (again)"
  expect_eq "$(rcli "$new_port" EXISTS fibd:93)" 1 "fibd:93 written to the new master"

  step "back to one Redis node: the group stopped, the packaged configuration reloaded"
  guest systemctl stop redis-sentinel redis-sentinel@26380 redis-sentinel@26381 redis-server@replica
  gsh 'redis-cli REPLICAOF NO ONE >/dev/null && redis-cli CONFIG REWRITE >/dev/null && redis-cli FLUSHALL >/dev/null' ||
    die "redis-server does not become a master again"
  gsh 'rm -rf /run/systemd/system/redis-server.service.d /run/systemd/system/redis-server@replica.service.d &&
       systemctl daemon-reload'
  guest cp /root/fibd.yaml.before-sentinel /etc/fibd.yaml
  guest rm -f /root/fibd.yaml.before-sentinel
  reload_bus >/dev/null || die "busctl call Reload failed"
  expect_eq "$(fetch /fib/91)" '200 miss {"result":4660046610375530309}' "GET /fib/91 (first, address mode)"
  expect_eq "$(fetch /fib/91)" '200 hit {"result":4660046610375530309}' "GET /fib/91 (again, address mode)"
}
