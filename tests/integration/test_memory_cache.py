"""The memory plugin through the daemon: miss, hit, miss again after the TTL;
canonical keys; the seed's own command line."""

import os
import time
import unittest

from fibdtest import Daemon, PLUGIN_DIR, SLOW, free_port


class MemoryCacheTest(unittest.TestCase):
    def test_miss_hit_expire(self):
        extra = f"  plugin_dir: {os.path.abspath(PLUGIN_DIR)}\n  expiration: 700ms\n"
        cfg = lambda port: (f'listen: "127.0.0.1:{port}"\ncache:\n  plugin: memory\n'
                            f"  trust_check: false\n{extra}")
        with Daemon(config_text=cfg) as d:
            d.wait_ready()
            self.assertEqual(d.get("/fib/90")[1]["X-Cache"], "miss")
            d.wait_cache_written()
            self.assertEqual(d.get("/fib/90")[1]["X-Cache"], "hit")
            # canonical keys: 090 is 90
            status, headers, body = d.get("/fib/090")
            self.assertEqual((status, headers["X-Cache"], body),
                             (200, "hit", b'{"result":2880067194370816120}'))
            time.sleep(1.0)
            self.assertEqual(d.get("/fib/90")[1]["X-Cache"], "miss")
            d.wait_cache_written()
            self.assertEqual(d.get("/fib/90")[1]["X-Cache"], "hit")
            self.assertGreaterEqual(d.metric("fibd_cache_hits_total"), 3)
            self.assertIn('fibd_plugin_info{name="memory"', d.get("/metrics")[2].decode())

    def test_seed_command_line(self):
        port = free_port()
        plugin = os.path.join(os.path.abspath(PLUGIN_DIR), "memory.so")
        d = Daemon(config_text="", args=[
            f"-port={port}", "-log-level=debug", f"-cache-plugin-path={plugin}",
            "-cache-plugin-factory-name=fibd_cache_plugin", "-cache-expiration=15s"])
        d.port = port
        with d:
            d.wait_ready()
            self.assertEqual(d.get("/fib/30")[1]["X-Cache"], "miss")
            d.wait_cache_written()
            self.assertEqual(d.get("/fib/30")[1]["X-Cache"], "hit")
            self.assertIn("[plugin/memory] loaded", d.log())


if __name__ == "__main__":
    unittest.main()
