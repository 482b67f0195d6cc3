"""A retired plugin instance is destroyed, and its .so closed, on fibd's
reaper thread, never on an event loop: a plugin whose destroy() takes 2 s
(redis.so closing its pool against a slow server) delays no request when a
reload replaces it."""

import http.client
import os
import signal
import tempfile
import time
import unittest

from fibdtest import Daemon, PLUGIN_DIR, SLOW, TEST_PLUGIN_DIR
from fibdtest.load import fib_body

SLOW_DESTROY = os.path.abspath(os.path.join(TEST_PLUGIN_DIR, "slow_destroy.so"))
MEMORY = os.path.abspath(os.path.join(PLUGIN_DIR, "memory.so"))


def config(port, plugin, options=""):
    return (f'listen: "127.0.0.1:{port}"\nlog_level: info\n'
            f"cache:\n  plugin: {plugin}\n  trust_check: false\n{options}")


class PluginRetireTest(unittest.TestCase):
    def test_slow_destroy_delays_no_request(self):
        markers = tempfile.TemporaryDirectory()
        self.addCleanup(markers.cleanup)
        marker = lambda name: os.path.join(markers.name, name)
        options = f"  options:\n    marker_dir: {markers.name}\n"
        with Daemon(config_text=lambda port: config(port, SLOW_DESTROY, options)) as d:
            d.wait_ready()
            # Keep-alive connections spread over the loops; each loop now
            # holds the instance through its runtime snapshot.
            conns = [http.client.HTTPConnection("127.0.0.1", d.port, timeout=30 * SLOW)
                     for _ in range(8)]
            self.addCleanup(lambda: [c.close() for c in conns])
            for c in conns:
                c.request("GET", "/fib/20")
                self.assertEqual(c.getresponse().read(), fib_body(20))

            d.write_config(config(d.port, MEMORY))
            seen = len(d.notify.messages)
            d.signal(signal.SIGHUP)
            d.notify.wait_for("READY=1", after=d.notify.wait_for("RELOADING=1", after=seen) + 1)
            deadline = time.monotonic() + 10 * SLOW
            while not os.path.exists(marker("destroy-started")):
                self.assertLess(time.monotonic(), deadline, "the old instance was never destroyed")
                time.sleep(0.01)

            # destroy() is sleeping now: every connection, on every loop, and
            # new ones, are answered before it returns.
            for i, c in enumerate(conns):
                c.request("GET", f"/fib/{30 + i}")
                resp = c.getresponse()
                self.assertEqual((resp.status, resp.read()), (200, fib_body(30 + i)))
            self.assertEqual(d.get("/fib/40")[2], fib_body(40))
            self.assertFalse(os.path.exists(marker("destroy-done")),
                             "a request waited for the old plugin's destroy()")
            with open(marker("destroy-thread")) as f:
                self.assertEqual(f.read(), "fibd-reaper")

            while not os.path.exists(marker("destroy-done")):
                self.assertLess(time.monotonic(), deadline + 5 * SLOW)
                time.sleep(0.05)
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
