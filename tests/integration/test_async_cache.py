"""An async cache plugin (one that completes calls from a thread of its own,
like redis.so): a lookup holds no worker and no limits.max_inflight slot
while it waits, its deadline is the request's limits.compute_timeout, and a
client that leaves cancels it. Driven with tests/plugins/async_cache.cpp,
which answers every call delay_ms later."""

import concurrent.futures
import os
import socket
import time
import unittest

from fibdtest import Daemon, TEST_PLUGIN_DIR


def config(port, delay_ms, timeout="30s", workers=1, max_inflight=1, near=None):
    near_lines = f"  near:\n    max_bytes: {near}\n" if near else ""
    return (f'listen: "127.0.0.1:{port}"\nlog_level: info\nworkers: {workers}\n'
            f"limits:\n  max_inflight: {max_inflight}\n  compute_timeout: {timeout}\n"
            f"cache:\n  plugin: async_cache\n"
            f"  plugin_dir: {os.path.abspath(TEST_PLUGIN_DIR)}\n"
            f"  trust_check: false\n  expiration: 1h\n{near_lines}"
            f'  options:\n    delay_ms: "{delay_ms}"\n')


def plugin_counter(d, name):
    """A counter async_cache.so reported through the host services."""
    _, _, body = d.get("/metrics")
    for line in body.decode().splitlines():
        if line.startswith("fibd_plugin_counter_total{") and f'name="{name}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


class AsyncCacheTest(unittest.TestCase):
    def test_lookups_hold_no_worker_and_no_slot(self):
        # One worker and one max_inflight slot; 16 lookups of 1 s each at
        # once. A lookup that took a slot would leave 15 requests with 503;
        # one that held a thread (a worker, or a loop: async_cache declares
        # itself non-blocking) would make them wait in turn, 8 s or more.
        d = Daemon(config_text=lambda port: config(port, 1000))
        with d:
            d.wait_ready()
            ns = list(range(2000, 2016))  # computed on the loop after the miss
            started = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(len(ns)) as pool:
                answers = list(pool.map(lambda n: d.get(f"/fib/{n}"), ns))
            self.assertLess(time.monotonic() - started, 6, "the lookups did not overlap")
            self.assertEqual([a[0] for a in answers], [200] * len(ns))
            self.assertEqual({a[1].get("X-Cache") for a in answers}, {"miss"})
            self.assertEqual(d.metric("fibd_computations_in_flight"), 0)
            self.assertEqual(d.metric("fibd_cache_misses_total"), len(ns))
            # Each lookup was made on an event loop and said so (call->loop,
            # Call::loop() in the C++ helper); the cache writer's sets were not.
            self.assertEqual(plugin_counter(d, "gets_on_a_loop"), len(ns))
            deadline = time.monotonic() + 10  # the writer's sets take 1 s each here
            while plugin_counter(d, "sets") < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertGreaterEqual(plugin_counter(d, "sets"), 2)
            self.assertEqual(plugin_counter(d, "sets_on_a_loop"), 0)
            self.assertEqual(d.stop(), 0)

    def test_large_miss_goes_to_a_worker_after_the_lookup(self):
        d = Daemon(config_text=lambda port: config(port, 50))
        with d:
            d.wait_ready()
            status, headers, body = d.get("/fib/20000")
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("X-Cache"), "miss")
            self.assertTrue(body.startswith(b'{"result":2531162323732361242240155003520607'))
            d.wait_cache_written()
            status, headers, _ = d.get("/fib/20000")
            self.assertEqual((status, headers.get("X-Cache")), (200, "hit"))
            self.assertEqual(d.stop(), 0)

    def test_the_deadline_is_the_requests(self):
        # The plugin would answer after 20 s; the request's time is 1 s: it
        # gets 503 then, and the plugin's call is cancelled (it completes
        # CANCELLED, which the stop below waits for before destroy()).
        d = Daemon(config_text=lambda port: config(port, 20000, timeout="1s"))
        with d:
            d.wait_ready()
            started = time.monotonic()
            status, headers, body = d.get("/fib/90", timeout=30)
            took = time.monotonic() - started
            self.assertEqual(status, 503)
            self.assertEqual(headers.get("Retry-After"), "1")
            self.assertIn(b"cache lookup exceeded limits.compute_timeout (1000 ms)", body)
            self.assertLess(took, 15, "the request waited for the plugin, not its deadline")
            self.assertEqual(d.stop(), 0)
            self.assertIn("took longer than limits.compute_timeout", d.log())

    def test_a_client_that_leaves_cancels_the_lookup(self):
        d = Daemon(config_text=lambda port: config(port, 20000))
        with d:
            d.wait_ready()
            with socket.create_connection(("127.0.0.1", d.port)) as s:
                s.sendall(b"GET /fib/77 HTTP/1.1\r\nHost: t\r\n\r\n")
                time.sleep(0.3)
            # fibd stops at once: nothing waits for the abandoned lookup.
            started = time.monotonic()
            self.assertEqual(d.stop(), 0)
            self.assertLess(time.monotonic() - started, 15)
            self.assertNotIn("still waiting for", d.log())

    def test_shutdown_with_lookups_pending(self):
        # SIGTERM while lookups wait on the plugin: after the drain, closing
        # the connections cancels them and the plugin completes them from its
        # own thread while (or after) the loops go away. Nothing may touch a
        # destroyed loop (the sanitizer builds check), and fibd exits 0.
        d = Daemon(config_text=lambda port: config(port, 20000))
        with d:
            d.wait_ready()
            socks = []
            for n in range(5):
                s = socket.create_connection(("127.0.0.1", d.port))
                s.sendall(b"GET /fib/%d HTTP/1.1\r\nHost: t\r\n\r\n" % (100 + n))
                socks.append(s)
            time.sleep(0.3)
            started = time.monotonic()
            self.assertEqual(d.stop(timeout=30), 0)
            self.assertLess(time.monotonic() - started, 20, "shutdown waited for the plugin")
            for s in socks:
                s.close()
            self.assertNotIn("still waiting for", d.log())

    def test_near_tier_in_front_of_an_async_plugin(self):
        d = Daemon(config_text=lambda port: config(port, 20, near="1MiB"))
        with d:
            d.wait_ready()
            self.assertEqual(d.get("/fib/500")[1].get("X-Cache"), "miss")
            d.wait_cache_written()
            for _ in range(3):
                status, headers, _ = d.get("/fib/500")
                self.assertEqual((status, headers.get("X-Cache")), (200, "hit"))
            self.assertGreaterEqual(d.metric("fibd_near_cache_hits_total"), 2)
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
