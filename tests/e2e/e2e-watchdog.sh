# Sourced by tests/e2e/debian-e2e (after e2e-lib.sh and its helpers): the
# systemd watchdog restarts fibd when an event loop is wedged.
#
# A test plugin that declares itself non-blocking blocks the loop that asks
# it for key "13" forever (tests/plugins/wedges_loop.c, built here on the
# host: plain C, glibc only). fibd then withholds WATCHDOG=1; systemd kills
# it after WatchdogSec (3 s in a drop-in) and Restart=on-failure starts it
# again; the journal names the thread that stopped answering.
#
# Needs: cc on the host; fibd installed, active, serving on $PORT.
# shellcheck shell=bash

e2e_watchdog_step() {
  step "a wedged event loop: no WATCHDOG=1, systemd restarts fibd within WatchdogSec"
  local dir=/usr/lib/fibd-e2e
  mkdir -p "$DMACHINE_ROOT$dir"
  cc -shared -fPIC -O2 -I "$SRC/plugins/include" -o "$DMACHINE_ROOT$dir/wedges_loop.so" \
    "$SRC/tests/plugins/wedges_loop.c" || die "cannot build the wedges_loop test plugin"
  chmod 0755 "$DMACHINE_ROOT$dir"
  chmod 0644 "$DMACHINE_ROOT$dir/wedges_loop.so"
  guest chown -R root:root "$dir"

  guest cp /etc/fibd.yaml /root/fibd.yaml.before-watchdog
  gsh "sed -i -E 's|^(  plugin: )[^ #]+|\1$dir/wedges_loop.so|' /etc/fibd.yaml" ||
    die "could not point cache.plugin at the test plugin"
  gsh 'mkdir -p /etc/systemd/system/fibd.service.d &&
       printf "[Service]\nWatchdogSec=3s\n" >/etc/systemd/system/fibd.service.d/e2e-watchdog.conf &&
       systemctl daemon-reload'
  guest systemctl restart fibd || die "fibd does not start with the wedges_loop plugin"
  expect_eq "$(fetch /fib/10 | cut -d' ' -f1,3)" '200 {"result":55}' "serving with the test plugin"
  local restarts pid since
  restarts=$(guest systemctl show -p NRestarts --value fibd)
  pid=$(main_pid)
  since=$(guest date '+%Y-%m-%d %H:%M:%S')

  # The loop that takes this request never returns from the plugin's get().
  curl -s -m 2 "http://127.0.0.1:$PORT/fib/13" >/dev/null 2>&1 || true
  local newpid=$pid waited=0
  while [ "$waited" -lt 150 ]; do # 15 s: WatchdogSec 3 s, RestartSec 1 s, start-up
    newpid=$(main_pid)
    [ "$newpid" != "$pid" ] && [ "$newpid" != 0 ] && [ "$(state fibd)" = active ] && break
    sleep 0.1
    waited=$((waited + 1))
  done
  [ "$newpid" != "$pid" ] || die "fibd (pid $pid) was not restarted within 15 s of wedging a loop"
  ok "restarted after about $((waited / 10)) s: pid $pid -> $newpid"
  expect_eq "$(guest systemctl show -p NRestarts --value fibd)" "$((restarts + 1))" "NRestarts"
  local journal
  journal=$(guest journalctl -u fibd --since "$since" --no-pager -o cat)
  printf '%s\n' "$journal" | grep -q 'watchdog: withholding WATCHDOG=1: event loop .* (thread fibd-loop, tid [0-9]*) stopped answering' ||
    die "the journal does not name the loop that stopped answering; it says:
$(printf '%s\n' "$journal" | tail -n 20)"
  ok "$(printf '%s\n' "$journal" | grep -m1 'withholding WATCHDOG=1')"
  printf '%s\n' "$journal" | grep -qi 'watchdog timeout' ||
    die "systemd did not report a watchdog timeout for fibd"
  ok "$(printf '%s\n' "$journal" | grep -m1 -i 'watchdog timeout')"
  expect_eq "$(fetch /fib/10 | cut -d' ' -f1,3)" '200 {"result":55}' "serving again after the restart"

  # Back to the packaged unit and configuration.
  guest rm -f /etc/systemd/system/fibd.service.d/e2e-watchdog.conf
  guest rmdir /etc/systemd/system/fibd.service.d 2>/dev/null || true
  guest systemctl daemon-reload
  guest cp /root/fibd.yaml.before-watchdog /etc/fibd.yaml
  guest rm -rf "$dir" /root/fibd.yaml.before-watchdog
  guest systemctl restart fibd || die "fibd does not start again with its configuration"
  guest systemctl reset-failed fibd 2>/dev/null || true
}
