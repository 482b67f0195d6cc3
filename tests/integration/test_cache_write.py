"""A miss is answered before the cache's set(): with a cache whose set()
takes 3 s, the answer arrives while the plugin is still inside set() (as
the plugin's own flag files show), and a cache that cannot keep up has its
writes dropped and counted (fibd_cache_writes_dropped_total), never queued
without bound and never in the way of an answer."""

import os
import tempfile
import time
import unittest

from fibdtest import Daemon, SLOW, TEST_PLUGIN_DIR
from fibdtest.load import fib_body

SLOW_SET = os.path.abspath(os.path.join(TEST_PLUGIN_DIR, "slow_set.so"))


def config(port, flag_dir):
    return (f'listen: "127.0.0.1:{port}"\nlog_level: info\n'
            f"cache:\n  plugin: {SLOW_SET}\n  trust_check: false\n"
            f"  options:\n    flag_dir: {flag_dir}\n")


class CacheWriteTest(unittest.TestCase):
    def setUp(self):
        self.flags = tempfile.TemporaryDirectory()
        self.addCleanup(self.flags.cleanup)

    def flag(self, what, n):
        return os.path.exists(os.path.join(self.flags.name, f"{what}-{n}"))

    def test_miss_answered_before_set_returns(self):
        with Daemon(config_text=lambda port: config(port, self.flags.name)) as d:
            d.wait_ready()
            status, headers, body = d.get("/fib/20")
            self.assertEqual((status, body, headers["X-Cache"]), (200, fib_body(20), "miss"))
            # The plugin's set() sleeps 3 s; the answer is already here.
            self.assertFalse(self.flag("set-done", 20),
                             "the miss waited for the cache's set() to finish")
            # And the write does happen, after the answer.
            for _ in range(int(100 * SLOW)):
                if self.flag("set-started", 20):
                    break
                time.sleep(0.05)
            self.assertTrue(self.flag("set-started", 20), "the value was never written")
            self.assertEqual(d.stop(), 0)

    def test_full_write_queue_drops_and_counts(self):
        with Daemon(config_text=lambda port: config(port, self.flags.name)) as d:
            d.wait_ready()
            # One write sleeps in set(); the queue (64) fills; the rest are dropped.
            for n in range(100, 200):
                status, _, body = d.get(f"/fib/{n}")
                self.assertEqual((status, body), (200, fib_body(n)))
            self.assertFalse(self.flag("set-done", 100),
                             "100 misses waited for at least one 3 s set()")
            dropped = d.metric("fibd_cache_writes_dropped_total")
            self.assertGreaterEqual(dropped, 100 - 64 - 1)
            self.assertLessEqual(dropped, 100)
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
