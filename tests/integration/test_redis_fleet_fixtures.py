"""The Redis Cluster and Sentinel fixtures of fibdtest.redis_fleet, proven
on their own: the cluster really forms (every slot served, one replica per
master), a killed master's replica really takes over with the data, a
reshard really moves slots and keys; the sentinels really fail over and the
old master really comes back as a replica."""

import time
import unittest

from fibdtest.redis_fleet import AVAILABLE, RedisCluster, SentinelGroup, key_slot


@unittest.skipUnless(AVAILABLE, "redis-server/redis-cli not installed")
class ClusterFixture(unittest.TestCase):
    def test_forms_fails_over_and_reshards(self):
        with RedisCluster() as cluster:
            masters = cluster.masters()
            self.assertEqual(len(masters), 3)
            served = sorted(s for r in cluster.cluster_nodes() for s in r["slots"])
            self.assertEqual(sum(b - a + 1 for a, b in served), 16384)
            for m in masters:
                self.assertEqual(len(cluster.replicas_of(m)), 1)

            # Keys on every master (redis-cli -c follows MOVED).
            keys = [f"fixture:{i}" for i in range(60)]
            for k in keys + ["{fixture}:1", "a{}b", "x{y}z{w}"]:
                self.assertEqual(key_slot(k), cluster.keyslot(k), k)
            for k in keys:
                owner = cluster.master_of_slot(cluster.keyslot(k))
                self.assertEqual(owner.cli("SET", k, k + "-v"), "OK")
            victim = cluster.master_of_slot(cluster.keyslot(keys[0]))
            victim_slots = [r["slots"] for r in cluster.cluster_nodes()
                            if r["port"] == victim.port][0]
            (replica,) = cluster.replicas_of(victim)
            victim.wait_replicated(replica)  # every write, before the master dies

            victim.kill()
            new = cluster.wait_failover(victim)
            self.assertIs(new, replica)
            self.assertEqual(new.role(), "master")
            owned = [r["slots"] for r in cluster.cluster_nodes() if r["port"] == new.port][0]
            self.assertEqual(owned, victim_slots)
            for k in keys:
                owner = cluster.master_of_slot(cluster.keyslot(k))
                self.assertEqual(owner.cli("GET", k), k + "-v", k)

            victim.restart()
            cluster.wait_healthy()
            self.assertEqual(victim.role(), "slave")
            self.assertNotIn(victim, cluster.masters())

            # Reshard 100 slots from the new master to another one.
            target = next(m for m in cluster.masters() if m is not new)
            moving = owned[0][0]
            key_there = next((k for k in keys if cluster.keyslot(k) == moving), None)
            cluster.reshard(new, target, 100)
            self.assertIs(cluster.master_of_slot(moving), target)
            for k in keys:
                owner = cluster.master_of_slot(cluster.keyslot(k))
                self.assertEqual(owner.cli("GET", k), k + "-v", k)
            if key_there is not None:
                self.assertEqual(target.cli("GET", key_there), key_there + "-v")
        self.assertFalse(any(n.alive() for n in cluster.nodes))


@unittest.skipUnless(AVAILABLE, "redis-server/redis-cli not installed")
class SentinelFixture(unittest.TestCase):
    def test_forms_fails_over_and_the_old_master_rejoins_as_a_replica(self):
        with SentinelGroup() as group:
            old = group.master()
            self.assertIs(old, group.data[0])
            self.assertEqual(old.role(), "master")
            (replica,) = group.data[1:]
            self.assertEqual(replica.role(), "slave")
            self.assertEqual(old.cli("SET", "fixture:k", "v1"), "OK")
            old.wait_replicated(replica)

            old.kill()
            started = time.monotonic()
            new = group.wait_failover(old)
            self.assertIs(new, replica)
            print(f"\nsentinel failover took {time.monotonic() - started:.1f}s")
            self.assertEqual(new.cli("GET", "fixture:k"), "v1")
            self.assertEqual(new.cli("SET", "fixture:k", "v2"), "OK")

            old.restart()
            group.wait_replica_of(old, new)
            self.assertEqual(old.role(), "slave")
            self.assertIs(group.master(), new)
            self.assertTrue(old.cli("SET", "fixture:k", "v3").startswith("READONLY"))
        self.assertFalse(any(n.alive() for n in group.nodes))


if __name__ == "__main__":
    unittest.main()
