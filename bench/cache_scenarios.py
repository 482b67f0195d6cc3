"""The cache scenarios of fibd's benchmark suite: redis.so hits with and
without the near cache, a Redis that stops answering, and the cost of the
check of cached values. Mixed into fibdbench.Suite, which provides the
helpers (keep, interleave, row, throughput_rows, p99_rows)."""

import contextlib
import threading

from benchkit import (FIBD_UNCHECKED, Fibd, Redis, log, redis_benchmark, warm, with_cpu,
                      wrk)
from report import error_free, fmt, med


class CacheScenarios:
    def redis(self):
        keys = 1000
        paths = [f"/fib/{i}" for i in range(keys)]
        redis = self.keep(Redis())
        red = self.keep(Fibd("redis", options={"address": f"127.0.0.1:{redis.port}"}))
        # The same Redis behind an in-process near cache (cache.near.max_bytes).
        near = self.keep(Fibd("redis", options={"address": f"127.0.0.1:{redis.port}"},
                              near="64MiB"))
        mem = self.keep(Fibd("memory"))
        warm(red, paths)
        warm(near, paths)
        warm(mem, paths)
        assert red.get("/fib/90")[1].get("X-Cache") == "hit"
        rb_requests = int(max(20000, 60000 * self.d))
        results = {"redis": [], "near": [], "memory": [], "rb": []}
        wrk(red.url("/"), 64, 1, keys=keys)
        wrk(near.url("/"), 64, 1, keys=keys)
        for i in range(self.rounds):
            results["redis"].append(
                with_cpu([red.pid], lambda: wrk(red.url("/"), 64, self.d, keys=keys)))
            results["near"].append(wrk(near.url("/"), 64, self.d, keys=keys))
            results["memory"].append(
                with_cpu([mem.pid], lambda: wrk(mem.url("/"), 64, self.d, keys=keys)))
            results["rb"].append(redis_benchmark(redis.port, 64, rb_requests, "fibd:90"))
            log(f"redis round {i + 1}: redis.so {fmt(results['redis'][-1])} | near+redis "
                f"{fmt(results['near'][-1])} | memory.so {fmt(results['memory'][-1])} | "
                f"redis-benchmark GET {fmt(results['rb'][-1])}")
        self.raw["redis"] = results
        a, nr, m, rb = results["redis"], results["near"], results["memory"], results["rb"]
        self.throughput_rows("redis hit, c64, 1000 keys", a, m, "memory hit c64, 1000 keys",
                             target=0.6)
        self.throughput_rows("near cache warm + redis, c64, 1000 keys", nr, m,
                             "memory hit c64, 1000 keys", target=0.95)
        self.throughput_rows("redis hit, c64, 1000 keys", a, rb, "redis-benchmark GET c64")
        self.p99_rows("redis hit, c64, 1000 keys", a, m, "memory hit c64, 1000 keys")
        self.cpu_rows("redis hit, c64, 1000 keys", a, m, "memory hit c64, 1000 keys",
                      switches=True)
        self.plot.append(("redis hit c64", med(a, "rps"), med(rb, "rps"),
                          med(a, "p99_us") / 1000, med(rb, "p99_us") / 1000))
        red.close()
        near.close()
        mem.close()
        redis.close()

    def redis_stall(self):
        """Issue 15: a Redis that stops answering (SIGSTOP) costs no request
        more than its deadline (redis.so's command_timeout here, shorter than
        limits.compute_timeout), and holds no worker: lookups wait without a
        thread, the misses that follow (n < 1000) are computed on the loop."""
        deadline_ms = 200
        redis = self.keep(Redis())
        fibd = self.keep(Fibd("redis", workers=1, options={
            "address": f"127.0.0.1:{redis.port}", "command_timeout": f"{deadline_ms}ms"}))
        warm(fibd, ["/fib/90"])
        peak = [0.0]
        stop = threading.Event()

        def sample():
            while not stop.wait(0.05):
                with contextlib.suppress(Exception):
                    peak[0] = max(peak[0], fibd.metric("fibd_computations_in_flight"))

        redis.pause()  # SIGSTOP
        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            r = wrk(fibd.url("/"), 16, max(self.d, 3), keys=1000)
        finally:
            stop.set()
            sampler.join()
            redis.resume()
        log(f"redis stopped: {fmt(r)}, slowest {r['max_us'] / 1000:.1f} ms, "
            f"computations in flight at most {peak[0]:.0f}")
        self.raw["redis stall"] = {"a": [r], "b": []}
        slowest = r["max_us"] / 1000
        self.row("Redis stopped (SIGSTOP), c16, 1000 keys: slowest request", slowest,
                 deadline_ms, slowest / deadline_ms, "≤ deadline + 50 ms",
                 slowest <= deadline_ms + 50 and error_free([r]), "ms",
                 "the lookup's deadline (command_timeout)")
        self.row("Redis stopped: computations in flight (workers held), at most", peak[0], 0,
                 0.0, "0", peak[0] == 0, "", "none")
        fibd.close()
        redis.close()

    def value_check(self):
        """What checking every cached value costs (issue 14): this fibd
        against the same build without the check (build/bench/fibd-unchecked),
        memory hits at c64, interleaved."""
        checked = self.keep(Fibd("memory"))
        unchecked = self.keep(Fibd("memory", binary=FIBD_UNCHECKED))
        for n, target in ((90, 0.97), (1000000, 0.90)):
            path = f"/fib/{n}"
            warm(checked, [path])
            warm(unchecked, [path])
            assert checked.get(path)[1].get("X-Cache") == "hit"
            wrk(checked.url(path), 64, 1)
            wrk(unchecked.url(path), 64, 1)
            a, b = self.interleave(
                f"value check n={n} c64",
                lambda: with_cpu([checked.pid], lambda: wrk(checked.url(path), 64, self.d)),
                lambda: with_cpu([unchecked.pid], lambda: wrk(unchecked.url(path), 64, self.d)),
                rounds=self.rounds + 2)
            self.throughput_rows(f"memory hit n={n} with the value check, c64", a, b,
                                 "without the check", target=target)
            self.cpu_rows(f"memory hit n={n} with the value check, c64", a, b,
                          "without the check")
