"""The real daemon with redis.so in Redis Cluster mode (cluster_nodes) and
Sentinel mode (sentinels, master_name), against real servers, under bounded
loopback load in which every request is counted and checked against an
independent F(n):

- a cluster master killed: every request answered 200 with the exact F(n),
  none failed, and hits come back from the replica that took over;
- a slot range resharded (redis-cli --cluster reshard): none failed, and
  every value written before is still served as a hit;
- the sentinels' master killed: fibd follows the new master, none failed,
  and no write reaches the old master once it comes back (as a replica);
- a sentinel that is down, or is no sentinel at all, is passed over;
- a poisoned value on any node is refused;
- fibd-plugin-check passes against a cluster and against a sentinel group.

Each test prints its figures (requests, failed, slowest, time to the first
hit after the failover): measurements, not assertions."""

import os
import subprocess
import sys
import time
import unittest

from fibdtest import BUILD_DIR, Daemon, PLUGIN_DIR, SLOW
from fibdtest.load import Load, fib, fib_body
from fibdtest.redis import RedisServer
from fibdtest.redis_fleet import AVAILABLE, RedisCluster, SentinelGroup, key_slot

PREFIX = "fleet:"
NUMBERS = range(20, 620, 3)  # the load's numbers: keys on every master
PLUGIN_CHECK = os.path.join(BUILD_DIR, "bin", "fibd-plugin-check")
REDIS_SO = os.path.abspath(os.path.join(PLUGIN_DIR, "redis.so"))


def config(port, **options):
    options = {"key_prefix": PREFIX, "command_timeout": "250ms", "connect_timeout": "200ms",
               **options}
    lines = "".join(f'    {k}: "{v}"\n' for k, v in options.items())
    return (f'listen: "127.0.0.1:{port}"\nlog_level: info\n'
            f"cache:\n  plugin: redis\n  plugin_dir: {os.path.abspath(PLUGIN_DIR)}\n"
            f"  trust_check: false\n  expiration: 1h\n  options:\n{lines}"
            f"dbus:\n  bus: none\n")


def figures(test, load, extra=""):
    with load.lock:
        sent, failed = len(load.samples), len(load.failures)
        slowest = max((s[1] for s in load.samples), default=0.0)
    print(f"\n{test}: {sent} requests, {failed} failed, slowest {slowest * 1000:.0f} ms{extra}",
          file=sys.stderr)


class FleetDaemonTest(unittest.TestCase):
    def fleet(self, group):
        """Starts `group` (a RedisCluster or SentinelGroup), stopped after the test."""
        self.addCleanup(group.stop)
        return group.start()

    def plugin_check_passes(self, **options):
        args = [a for k, v in options.items() for a in ("--option", f"{k}={v}")]
        r = subprocess.run([PLUGIN_CHECK, REDIS_SO] + args, capture_output=True, text=True,
                           timeout=300 * SLOW)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("RESULT: PASS", r.stdout)

    def kill_master(self, group, master):
        """Kills `master` once the load runs; (killed_at, its successor, seconds
        until the group had failed over)."""
        time.sleep(1)
        killed_at = time.monotonic()
        master.kill()
        new = group.wait_failover(master)
        return killed_at, new, time.monotonic() - killed_at

    def expect_failover_served(self, load, what, killed_at, failed_over, first_hit):
        """Prints the figures; every request answered, some during the failover."""
        figures(what, load, f", failover {failed_over:.1f} s, first hit on the new master "
                f"{first_hit:.1f} s after the kill")
        self.assertEqual(load.failures, [])
        self.assertGreater(len(load.between(killed_at, killed_at + failed_over)), 0)

    def daemon(self, **options):
        d = Daemon(config_text=lambda port: config(port, **options))
        self.addCleanup(d.close)
        d.wait_ready()
        return d

    def warm(self, d, numbers):
        """Every n asked once (a miss, then written to the fleet)."""
        for n in numbers:
            status, _, data = d.get(f"/fib/{n}")
            self.assertEqual((status, data), (200, fib_body(n)))
        d.wait_cache_written()

    def first_hit_on(self, d, node, since, start_n, slot_of=None, timeout=30):
        """Seconds from `since` until a fresh number (on `node`, if the slot
        matters) is a hit on the second ask, its value read from `node`."""
        n = start_n
        deadline = time.monotonic() + timeout * SLOW
        while time.monotonic() < deadline:
            n += 1
            if slot_of is not None and not slot_of(n):
                continue
            d.get(f"/fib/{n}")
            d.wait_cache_written()
            status, headers, data = d.get(f"/fib/{n}")
            self.assertEqual((status, data), (200, fib_body(n)))
            if headers["X-Cache"] == "hit" and node.cli("GET", f"{PREFIX}{n}") == str(fib(n)):
                return time.monotonic() - since, n
            time.sleep(0.05)
        self.fail(f"no hit served from {node} within {timeout}s")


@unittest.skipUnless(AVAILABLE, "redis-server/redis-cli not installed")
class ClusterDaemonTest(FleetDaemonTest):
    def setUp(self):
        self.cluster = self.fleet(RedisCluster())

    def test_master_killed_under_load(self):
        d = self.daemon(cluster_nodes=self.cluster.seeds())
        self.warm(d, NUMBERS)
        victim = self.cluster.master_of_slot(key_slot(f"{PREFIX}{NUMBERS[0]}"))
        replicas = self.cluster.replicas_of(victim)
        self.assertTrue(replicas, self.cluster.cluster_nodes())
        for replica in replicas:
            victim.wait_replicated(replica)
        with Load(d.port, threads=4, numbers=NUMBERS) as load:
            killed_at, new, failed_over = self.kill_master(self.cluster, victim)
            slots = self.cluster.slots_of(new)
            first_hit, _ = self.first_hit_on(
                d, new, killed_at, 5000, lambda n: key_slot(f"{PREFIX}{n}") in slots)
            time.sleep(1)
        self.expect_failover_served(load, "cluster master killed", killed_at, failed_over,
                                    first_hit)
        self.assertIn(new, replicas)
        # What was written before is served as hits from the new master.
        on_new = [n for n in NUMBERS if key_slot(f"{PREFIX}{n}") in slots]
        self.assertTrue(on_new)
        for n in on_new:
            status, headers, data = d.get(f"/fib/{n}")
            self.assertEqual((status, headers["X-Cache"], data), (200, "hit", fib_body(n)))

    def test_slots_resharded_under_load(self):
        d = self.daemon(cluster_nodes=self.cluster.seeds())
        self.warm(d, NUMBERS)
        masters = self.cluster.masters()
        source, target = masters[0], masters[1]
        with Load(d.port, threads=4, numbers=NUMBERS) as load:
            time.sleep(0.5)
            started = time.monotonic()
            self.cluster.reshard(source, target, 500)
            took = time.monotonic() - started
            time.sleep(0.5)
        figures("cluster reshard of 500 slots", load, f", reshard {took:.1f} s")
        self.assertEqual(load.failures, [])
        self.assertGreater(len(load.between(started, started + took)), 0)
        # The redirections followed and the maps learnt again, in /metrics.
        moved = d.plugin_metric("cluster_redirects_moved")
        ask = d.plugin_metric("cluster_redirects_ask")
        print(f"  redirections: {moved:.0f} MOVED, {ask:.0f} ASK", file=sys.stderr)
        self.assertGreaterEqual(moved, 1)
        self.assertGreaterEqual(d.plugin_metric("cluster_map_refreshes"), 2)
        self.assertEqual(d.plugin_metric("cluster_nodes_known"), 3)
        # No value written before is lost: each is on its slot's master, a hit.
        for n in NUMBERS:
            owner = self.cluster.master_of_slot(key_slot(f"{PREFIX}{n}"))
            self.assertEqual(owner.cli("GET", f"{PREFIX}{n}"), str(fib(n)), n)
            status, headers, data = d.get(f"/fib/{n}")
            self.assertEqual((status, headers["X-Cache"], data), (200, "hit", fib_body(n)))

    def test_poisoned_values_on_every_master_are_refused(self):
        d = self.daemon(cluster_nodes=self.cluster.seeds())
        poisoned = {}
        for master in self.cluster.masters():
            mine = self.cluster.slots_of(master)
            n = next(n for n in range(700, 5000) if key_slot(f"{PREFIX}{n}") in mine
                     and n not in poisoned)
            master.cli("SET", f"{PREFIX}{n}", str(fib(n) + 1))
            poisoned[n] = master
        for n, master in poisoned.items():
            status, headers, data = d.get(f"/fib/{n}")
            self.assertEqual((status, headers["X-Cache"], data), (200, "miss", fib_body(n)))
        self.assertEqual(d.metric("fibd_cache_rejected_total"), len(poisoned))
        d.wait_cache_written()
        for n, master in poisoned.items():  # overwritten with F(n)
            self.assertEqual(master.cli("GET", f"{PREFIX}{n}"), str(fib(n)))

    def test_plugin_check_passes(self):
        self.plugin_check_passes(cluster_nodes=self.cluster.seeds())


@unittest.skipUnless(AVAILABLE, "redis-server/redis-cli not installed")
class SentinelDaemonTest(FleetDaemonTest):
    def setUp(self):
        self.group = self.fleet(SentinelGroup())

    def options(self):
        return {"sentinels": self.group.sentinels_option(),
                "master_name": SentinelGroup.MASTER_NAME}

    def test_failover_under_load_and_the_old_master_gets_no_write(self):
        d = self.daemon(**self.options())
        self.warm(d, NUMBERS)
        old = self.group.master()
        (replica,) = self.group.data[1:]
        old.wait_replicated(replica)
        with Load(d.port, threads=4, numbers=NUMBERS) as load:
            killed_at, new, failed_over = self.kill_master(self.group, old)
            first_hit, last_n = self.first_hit_on(d, new, killed_at, 5000)
            # The old master comes back empty (no persistence) and calls itself
            # a master until the sentinels turn it into a replica: any key it
            # holds before that would be a write fibd sent it.
            old.start()
            deadline = time.monotonic() + 60 * SLOW
            while old.role() == "master" and time.monotonic() < deadline:
                self.assertEqual(old.cli("DBSIZE"), "0", "fibd wrote to the old master")
                time.sleep(0.05)
            self.group.wait_replica_of(old, new)
            fresh = range(last_n + 1, last_n + 200)
            self.warm(d, fresh)  # writes after it rejoined, all to the new master
            time.sleep(0.5)
        self.expect_failover_served(load, "sentinel failover", killed_at, failed_over,
                                    first_hit)
        # fibd followed a new master named by the sentinels: in /metrics.
        self.assertGreaterEqual(d.plugin_metric("sentinel_master_changes"), 1)
        self.assertGreaterEqual(d.plugin_metric("connections_discarded"), 1)
        self.assertIs(new, replica)
        self.assertNotIn("errorstat_READONLY", old.cli("INFO", "errorstats"))
        for n in fresh:
            self.assertEqual(new.cli("GET", f"{PREFIX}{n}"), str(fib(n)))
        for n in NUMBERS:  # written before the failover, still hits
            status, headers, data = d.get(f"/fib/{n}")
            self.assertEqual((status, headers["X-Cache"], data), (200, "hit", fib_body(n)))

    def test_a_dead_sentinel_and_one_that_is_no_sentinel_are_tolerated(self):
        with RedisServer() as impostor:  # answers, but SENTINEL is no command of it
            self.group.sentinels[0].kill()
            listed = ",".join([impostor.option_address()] +
                              [repr(s) for s in self.group.sentinels])
            d = self.daemon(sentinels=listed, master_name=SentinelGroup.MASTER_NAME)
            self.warm(d, [77])
            status, headers, data = d.get("/fib/77")
            self.assertEqual((status, headers["X-Cache"], data), (200, "hit", fib_body(77)))
            self.assertEqual(self.group.master().cli("GET", f"{PREFIX}77"), str(fib(77)))
            self.assertEqual(impostor.cli("DBSIZE"), "0")

    def test_poisoned_value_is_refused(self):
        d = self.daemon(**self.options())
        master = self.group.master()
        master.cli("SET", f"{PREFIX}90", '1,"admin":true')
        status, headers, data = d.get("/fib/90")
        self.assertEqual((status, headers["X-Cache"], data), (200, "miss", fib_body(90)))
        self.assertEqual(d.metric("fibd_cache_rejected_total"), 1)

    def test_plugin_check_passes(self):
        self.plugin_check_passes(**self.options())


if __name__ == "__main__":
    unittest.main()
