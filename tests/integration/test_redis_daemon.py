"""The real daemon with redis.so against real redis-server processes: hits
shared through Redis, TTLs, and a Redis that dies, freezes, restarts or is
missing, while fibd keeps answering every request, in bounded time.

(That the daemon binary does not link hiredis is checked by the plugin's unit
test, tests/unit/redis_plugin_test.cpp.)"""

import http.client
import os
import sys
import time
import unittest

from fibdtest import Daemon, PLUGIN_DIR, SLOW, free_port
from fibdtest import redis as fibd_redis
from fibdtest.dbus import PrivateBus, ERROR_PLUGIN_LOAD_FAILED
from fibdtest.redis import RedisServer
from fibdtest.load import Load, fib, fib_body

COMMAND_TIMEOUT = 0.2  # seconds; the plugin's command_timeout in these tests
# Scheduling noise of a loaded test machine (2 cores, Python client threads):
# a liveness bound, not a performance assertion.
SLACK = 0.5 * SLOW


def config(port, address, *, prefix="e2e:", expiration="15s", password=None,
           command_timeout=f"{int(COMMAND_TIMEOUT * 1000)}ms", connect_timeout="200ms",
           bus="none", near=None):
    options = {"address": address, "key_prefix": prefix, "command_timeout": command_timeout,
               "connect_timeout": connect_timeout}
    if password is not None:
        options["password"] = password
    lines = "".join(f'    {k}: "{v}"\n' for k, v in options.items())
    near_lines = f"  near:\n    max_bytes: {near}\n" if near is not None else ""
    return (f'listen: "127.0.0.1:{port}"\nlog_level: info\n'
            f"cache:\n  plugin: redis\n  plugin_dir: {os.path.abspath(PLUGIN_DIR)}\n"
            f"  trust_check: false\n  expiration: {expiration}\n{near_lines}"
            f"  options:\n{lines}"
            f"dbus:\n  bus: {bus}\n")


def timed_get(port, n, timeout=30):
    """GET /fib/n on a fresh connection: (status, X-Cache, body, seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout * SLOW)
    try:
        started = time.monotonic()
        conn.request("GET", f"/fib/{n}")
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, resp.getheader("X-Cache"), data, time.monotonic() - started
    finally:
        conn.close()


def wait_for_hit(port, first_n, timeout):
    """Asks for fresh numbers twice each until the second answer is a hit (the
    cache works again); returns the seconds that took and the number."""
    started = time.monotonic()
    n = first_n
    while time.monotonic() - started < timeout:
        timed_get(port, n)
        status, cache, data, _ = timed_get(port, n)
        if status == 200 and cache == "hit" and data == fib_body(n):
            return time.monotonic() - started, n
        n += 1
        time.sleep(0.02)
    raise AssertionError(f"no cache hit within {timeout}s")


def check_clean_exit(test, d):
    """SIGTERM, then exit 0 with nothing from the sanitizers in the log."""
    test.assertEqual(d.stop(), 0, d.log()[-3000:])
    test.assertNotIn("Sanitizer", d.log())


@unittest.skipUnless(fibd_redis.AVAILABLE, "redis-server not installed")
class RedisDaemonTest(unittest.TestCase):
    def setUp(self):
        self.redis = RedisServer().start()
        self.addCleanup(self.redis.stop)

    def daemon(self, **kw):
        kw.setdefault("address", self.redis.option_address())
        d = Daemon(config_text=lambda port: config(port, **kw))
        self.addCleanup(d.close)
        self.addCleanup(check_clean_exit, self, d)
        return d.wait_ready()

    def test_miss_then_hit_stored_under_prefix_with_ttl(self):
        d = self.daemon(prefix="e2e-one:", expiration="7s")
        status, headers, data = d.get("/fib/90")
        self.assertEqual((status, headers["X-Cache"], data), (200, "miss", fib_body(90)))
        d.wait_cache_written()
        self.assertEqual(self.redis.cli("GET", "e2e-one:90"), str(fib(90)))
        pttl = int(self.redis.cli("PTTL", "e2e-one:90"))
        self.assertTrue(5000 < pttl <= 7000, pttl)
        self.assertEqual(self.redis.cli("KEYS", "*"), "e2e-one:90")
        status, headers, data = d.get("/fib/090")  # canonical key: the same entry
        self.assertEqual((status, headers["X-Cache"], data), (200, "hit", fib_body(90)))
        self.assertEqual(d.metric("fibd_cache_errors_total"), 0)

    def test_two_daemons_share_one_redis(self):
        a, b = self.daemon(), self.daemon()
        for n in (123, 1000, 4321):
            status, headers, data = a.get(f"/fib/{n}")
            self.assertEqual((status, headers["X-Cache"], data), (200, "miss", fib_body(n)))
            a.wait_cache_written()
            status, headers, data = b.get(f"/fib/{n}")
            self.assertEqual((status, headers["X-Cache"], data), (200, "hit", fib_body(n)))
        status, headers, _ = b.get("/fib/77")
        self.assertEqual(headers["X-Cache"], "miss")
        b.wait_cache_written()
        self.assertEqual(a.get("/fib/77")[1]["X-Cache"], "hit")
        # A daemon with another key_prefix shares nothing.
        c = self.daemon(prefix="other:")
        self.assertEqual(c.get("/fib/123")[1]["X-Cache"], "miss")

    def wait_in_redis(self, key, timeout=10):
        """Until Redis holds key: a's write reached the shared tier."""
        deadline = time.monotonic() + timeout * SLOW
        while self.redis.cli("EXISTS", key) != "1":
            self.assertLess(time.monotonic(), deadline, f"{key} never reached Redis")
            time.sleep(0.01)

    def test_two_daemons_with_near_caches_still_share_one_redis(self):
        a, b = self.daemon(near="1MiB"), self.daemon(near="1MiB")
        for n in (123, 1000, 4321):
            self.assertEqual(a.get(f"/fib/{n}")[1]["X-Cache"], "miss")
            a.wait_cache_written()
            self.wait_in_redis(f"e2e:{n}")
            # b has never seen n: its near tier misses, Redis has a's result.
            status, headers, data = b.get(f"/fib/{n}")
            self.assertEqual((status, headers["X-Cache"], data), (200, "hit", fib_body(n)))
        self.assertEqual(b.metric("fibd_near_cache_hits_total"), 0)
        # Asked again, b answers from its near tier, counted apart.
        self.assertEqual(b.get("/fib/1000")[1]["X-Cache"], "hit")
        self.assertEqual(b.metric("fibd_near_cache_hits_total"), 1)
        self.assertEqual(b.metric("fibd_near_cache_misses_total"), 3)
        self.assertGreater(b.metric("fibd_near_cache_bytes"), 0)
        self.assertEqual(b.metric("fibd_near_cache_max_bytes"), 1 << 20)
        # Without the near tier there is no such metric.
        c = self.daemon()
        self.assertNotIn("fibd_near_cache", c.get("/metrics")[2].decode())

    def test_near_entries_never_outlive_cache_expiration(self):
        d = self.daemon(near="1MiB", expiration="1s")
        self.assertEqual(d.get("/fib/321")[1]["X-Cache"], "miss")
        d.wait_cache_written()
        self.assertEqual(d.get("/fib/321")[1]["X-Cache"], "hit")
        self.assertEqual(d.metric("fibd_near_cache_hits_total"), 1)
        time.sleep(1.5)
        # Gone from both tiers: Redis expired it (PX), the near tier as well.
        self.assertEqual(d.get("/fib/321")[1]["X-Cache"], "miss")
        self.assertEqual(d.metric("fibd_near_cache_hits_total"), 1)

    def test_killed_mid_load_then_restarted(self):
        d = self.daemon()
        bound = COMMAND_TIMEOUT + SLACK
        with Load(d.port, threads=6, numbers=range(100, 400)) as load:
            time.sleep(1.0)
            warm_hits = d.metric("fibd_cache_hits_total")
            killed_at = time.monotonic()
            self.redis.kill()
            time.sleep(2.5)  # long enough for the breaker to back off to its cap
            errors = d.metric("fibd_cache_errors_total")
            hits_during = d.metric("fibd_cache_hits_total")
            self.redis.start()
            restarted_at = time.monotonic()
            recovered = None
            while time.monotonic() - restarted_at < 30 * SLOW:  # against a hang
                if d.metric("fibd_cache_hits_total") > hits_during:
                    recovered = time.monotonic() - restarted_at
                    break
                time.sleep(0.02)
            time.sleep(0.3)
        self.assertEqual(load.failures, [])
        self.assertGreater(warm_hits, 0)
        outage = load.between(killed_at, restarted_at)
        self.assertGreater(len(outage), 100, "the load kept going during the outage")
        slowest = max(s[1] for s in load.samples)
        self.assertLess(slowest, bound, f"slowest request {slowest:.3f}s")
        self.assertIsNotNone(recovered, "no cache hit after Redis came back")
        # The connections the kill took away and the breaker opening, in /metrics.
        self.assertGreaterEqual(d.plugin_metric("connections_discarded"), 1)
        self.assertGreaterEqual(d.plugin_metric("breaker_opens"), 1)
        # How soon is the breaker's cap and the machine's speed: a figure.
        print(f"  [redis] hits resumed {recovered:.2f} s after Redis came back",
              file=sys.stderr)

        # Errors are counted (in /metrics) but logged at about one line per
        # second and per layer (the daemon's and the plugin's limiters), plus
        # the breaker opening and closing once.
        self.assertGreater(errors, 50)
        log = d.log()
        daemon_lines = [l for l in log.splitlines() if "cache get failed" in l
                        or "cache set failed" in l]
        plugin_lines = [l for l in log.splitlines() if "[plugin/redis]" in l and "warn" in l]
        outage_s = restarted_at - killed_at + 1
        self.assertGreaterEqual(len(daemon_lines), 1, log)
        self.assertLessEqual(len(daemon_lines), outage_s + 2, log)
        self.assertLessEqual(len(plugin_lines), outage_s + 3, log)
        self.assertIn("circuit breaker open", log)
        self.assertIn("answers again", log)
        self.assertIn("similar errors suppressed", log)

    def test_restart_between_requests_costs_nothing(self):
        d = self.daemon()
        self.assertEqual(d.get("/fib/50")[1]["X-Cache"], "miss")
        d.wait_cache_written()
        self.assertEqual(d.get("/fib/50")[1]["X-Cache"], "hit")
        self.redis.restart()  # the pooled connection is now dead; the data gone
        status, headers, data = d.get("/fib/50")
        self.assertEqual((status, headers["X-Cache"], data), (200, "miss", fib_body(50)))
        d.wait_cache_written()
        self.assertEqual(d.get("/fib/50")[1]["X-Cache"], "hit")
        self.assertEqual(d.metric("fibd_cache_errors_total"), 0)

    def test_paused_redis_bounds_every_request(self):
        # A longer command_timeout, and slack below it: a request that waited
        # for the frozen Redis twice (its GET, then its SET) does not pass.
        timeout = 0.5
        d = self.daemon(command_timeout=f"{int(timeout * 1000)}ms")
        bound = timeout + 0.35 * SLOW
        for n in range(10, 20):
            d.get(f"/fib/{n}")
        d.wait_cache_written()
        self.assertEqual(d.get("/fib/10")[1]["X-Cache"], "hit")
        self.redis.pause()
        try:
            # One client at a time, fresh numbers: each request pays a GET and
            # then a SET against a Redis that never answers.
            times = []
            for n in range(500, 520):
                status, cache, data, elapsed = timed_get(d.port, n)
                self.assertEqual((status, data), (200, fib_body(n)))
                self.assertEqual(cache, "miss")
                times.append(elapsed)
            # And several at once, hits and misses.
            with Load(d.port, threads=6, numbers=range(10, 30)) as load:
                time.sleep(1.0)
            self.assertEqual(load.failures, [])
            times += [s[1] for s in load.samples]
            slowest = max(times)
            self.assertLess(slowest, bound, f"slowest request {slowest:.3f}s, {sorted(times)[-5:]}")
            self.assertGreater(d.metric("fibd_cache_errors_total"), 0)
        finally:
            self.redis.resume()
        wait_for_hit(d.port, 600, 30 * SLOW)  # hits come back

    def test_unreachable_at_start_then_appears(self):
        port = free_port()
        d = self.daemon(address=f"127.0.0.1:{port}")
        self.assertIn("not reachable", d.log())
        for n in (20, 20, 21):
            status, headers, data = d.get(f"/fib/{n}")
            self.assertEqual((status, headers["X-Cache"], data), (200, "miss", fib_body(n)))
        # The refused connection and the open breaker, in fibd's /metrics.
        self.assertGreaterEqual(d.plugin_metric("connect_failures"), 1)
        self.assertEqual(d.plugin_metric("breaker_opens"), 1)
        self.assertEqual(d.plugin_metric("breaker_state"), 1)
        self.assertEqual(d.plugin_metric("connections"), 0)
        self.assertEqual(d.plugin_metric("connects"), 0)
        self.assertGreaterEqual(d.plugin_metric("errors"), 1)
        late = RedisServer(port=port).start()
        self.addCleanup(late.stop)
        _, n = wait_for_hit(d.port, 700, 30 * SLOW)
        self.assertEqual(late.cli("GET", f"e2e:{n}"), str(fib(n)))
        self.assertEqual(d.plugin_metric("breaker_state"), 0)
        self.assertEqual(d.plugin_metric("breaker_opens"), 1)
        self.assertGreaterEqual(d.plugin_metric("connects"), 1)
        self.assertGreaterEqual(d.plugin_metric("connections"), 1)


@unittest.skipUnless(fibd_redis.AVAILABLE, "redis-server not installed")
class RedisPasswordTest(unittest.TestCase):
    def setUp(self):
        self.redis = RedisServer(password="right-password", unix_socket=True).start()
        self.addCleanup(self.redis.stop)

    def test_wrong_password_refuses_to_start(self):
        d = Daemon(config_text=lambda port: config(port, self.redis.option_address(unix=True),
                                                   password="wrong-password"))
        self.addCleanup(d.close)
        self.assertNotEqual(d.proc.wait(10 * SLOW), 0)
        log = d.log()
        self.assertEqual(log.count("cannot load cache plugin"), 1, log)
        self.assertIn("authentication", log)
        self.assertIn("password", log)
        self.assertNotIn("wrong-password", log)  # never the secret itself
        self.assertNotIn("Sanitizer", log)
        self.assertNotIn("READY=1", "".join(d.notify.messages))

    def test_wrong_password_on_reload_keeps_the_old_plugin(self):
        bus = PrivateBus("session").start()
        self.addCleanup(bus.stop)
        address = self.redis.option_address(unix=True)
        good = lambda port: config(port, address, password="right-password", bus="session")
        d = Daemon(config_text=good, env=bus.env())
        self.addCleanup(d.close)
        self.addCleanup(check_clean_exit, self, d)
        d.wait_ready()
        self.assertTrue(bus.wait_for_name(10 * SLOW), d.log())
        self.assertEqual(d.get("/fib/30")[1]["X-Cache"], "miss")
        d.wait_cache_written()

        d.write_config(config(d.port, address, password="wrong-password", bus="session"))
        r = bus.call("Reload")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(ERROR_PLUGIN_LOAD_FAILED, r.stderr)
        self.assertIn("authentication", r.stderr)
        self.assertNotIn("wrong-password", r.stderr)

        status, headers, data = d.get("/fib/30")
        self.assertEqual((status, headers["X-Cache"], data), (200, "hit", fib_body(30)))
        self.assertEqual(d.metric('fibd_reloads_total{result="failed"}'), 1)
        self.assertEqual(bus.get_property("PluginName"), 's "redis"')


if __name__ == "__main__":
    unittest.main()
