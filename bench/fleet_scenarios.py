"""The fleet scenarios of fibd's benchmark suite (issue 20): redis.so hits
on a Sentinel group and on a Redis Cluster against hits on one Redis node,
interleaved in the same run, and the time from a master's death to the
first hit served by its successor. Mixed into fibdbench.Suite, which
provides the helpers (keep, row, throughput_rows, cpu_rows)."""

import time

from benchkit import Fibd, Redis, log, warm, with_cpu, wrk
from fibdtest.redis_fleet import RedisCluster, SentinelGroup
from report import fmt

KEYS = 1000
PREFIX = "fibd:"


def first_hit_after(fibd, path, since, timeout=60):
    """Seconds from `since` until `path` is answered from the cache."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, headers, _ = fibd.get(path)
        if status == 200 and headers.get("X-Cache") == "hit":
            return time.monotonic() - since
        time.sleep(0.01)
    return None


class FleetScenarios:
    def fleet(self):
        paths = [f"/fib/{i}" for i in range(KEYS)]
        single = self.keep(Redis())
        group = self.keep(SentinelGroup().start())
        self.closers.append(_Stopper(group))
        cluster = RedisCluster()
        self.closers.append(_Stopper(cluster))
        cluster.start()
        common = {"key_prefix": PREFIX}
        one = self.keep(Fibd("redis", options={**common,
                                               "address": f"127.0.0.1:{single.port}"}))
        sen = self.keep(Fibd("redis", options={**common,
                                               "sentinels": group.sentinels_option(),
                                               "master_name": group.MASTER_NAME}))
        clu = self.keep(Fibd("redis", options={**common, "cluster_nodes": cluster.seeds()}))
        for f in (one, sen, clu):
            warm(f, paths)
            assert f.get("/fib/90")[1].get("X-Cache") == "hit"
            wrk(f.url("/"), 64, 1, keys=KEYS)
        results = {"one": [], "sentinel": [], "cluster": []}
        tiers = [("one", one), ("sentinel", sen), ("cluster", clu)]
        for i in range(self.rounds):
            # Each round in another order: no tier always runs first.
            for name, f in tiers[i % 3:] + tiers[:i % 3]:
                results[name].append(
                    with_cpu([f.pid], lambda f=f: wrk(f.url("/"), 64, self.d, keys=KEYS)))
            log(f"fleet round {i + 1}: one node {fmt(results['one'][-1])} | sentinel "
                f"{fmt(results['sentinel'][-1])} | cluster {fmt(results['cluster'][-1])}")
        self.raw["fleet"] = results
        a, s, c = results["one"], results["sentinel"], results["cluster"]
        base = "redis hit on one node, c64, 1000 keys"
        self.throughput_rows("sentinel hit, c64, 1000 keys", s, a, base, target=0.95)
        self.throughput_rows("cluster hit, c64, 1000 keys", c, a, base, target=0.9)
        self.cpu_rows("sentinel hit, c64, 1000 keys", s, a, base)
        self.cpu_rows("cluster hit, c64, 1000 keys", c, a, base)

        # A master's death: the time until a hit comes from its successor.
        old = group.master()
        group.data[0].wait_replicated(group.data[1])
        killed = time.monotonic()
        old.kill()
        took = first_hit_after(sen, "/fib/90", killed)
        self.failover_row("sentinel: master killed, first hit on its successor", took)
        path = "/fib/91"
        owner = cluster.master_of_slot(cluster.keyslot(PREFIX + "91"))
        killed = time.monotonic()
        owner.kill()
        took = first_hit_after(clu, path, killed)
        self.failover_row("cluster: the key's master killed, first hit on its successor",
                          took)

    def failover_row(self, scenario, seconds):
        log(f"{scenario}: {'never' if seconds is None else f'{seconds:.2f} s'}")
        self.row(scenario, seconds if seconds is not None else "never", None, None,
                 "reported", None, "s", "")


class _Stopper:
    """close() for a fleet fixture, whose own method is stop()."""

    def __init__(self, group):
        self.group = group

    def close(self):
        self.group.stop()
