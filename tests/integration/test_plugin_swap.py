"""Hot swap under load: memory <-> none <-> example_c, many times, while
clients hammer the server. No request may fail, and every plugin instance
is created and destroyed exactly once."""

import http.client
import os
import signal
import threading
import time
import unittest

from fibdtest import Daemon, PLUGIN_DIR, SLOW

EXPECTED = {n: v for n, v in [(10, 55), (20, 6765), (30, 832040), (40, 102334155),
                              (50, 12586269025), (60, 1548008755920)]}


def config(port, plugin):
    return (f'listen: "127.0.0.1:{port}"\nlog_level: info\n'
            f"cache:\n  plugin: {plugin}\n  plugin_dir: {os.path.abspath(PLUGIN_DIR)}\n"
            f"  trust_check: false\n  expiration: 1m\n")


class Hammer:
    """Client threads on keep-alive connections, checking every answer."""

    def __init__(self, port, threads=8):
        self.port = port
        self.stop = threading.Event()
        self.ok = 0
        self.failures = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(threads)]

    def run(self, index):
        keys = list(EXPECTED)
        i = index
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self.stop.is_set():
            n = keys[i % len(keys)]
            i += 1
            try:
                conn.request("GET", f"/fib/{n}")
                resp = conn.getresponse()
                body = resp.read()
                good = resp.status == 200 and body == b'{"result":%d}' % EXPECTED[n]
                with self.lock:
                    if good:
                        self.ok += 1
                    else:
                        self.failures.append((n, resp.status, body[:200]))
            except Exception as e:  # a failed request is exactly what we look for
                with self.lock:
                    self.failures.append((n, "exception", repr(e)))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()


class PluginSwapTest(unittest.TestCase):
    def test_swap_under_load(self):
        swaps = 200 if not SLOW > 1 else 60
        plugins = ["memory", "none", "example_c"]
        d = Daemon(config_text=lambda port: config(port, "memory"))
        port = d.port
        with d:
            d.wait_ready()
            with Hammer(port) as hammer:
                time.sleep(0.2)
                for i in range(swaps):
                    d.write_config(config(port, plugins[(i + 1) % len(plugins)]))
                    n = len(d.notify.messages)
                    d.signal(signal.SIGHUP)
                    ready = d.notify.wait_for("READY=1", after=n)
                    self.assertNotIn("failed", d.notify.messages[ready])
                time.sleep(0.2)
            self.assertEqual(hammer.failures, [])
            self.assertGreater(hammer.ok, swaps)
            self.assertEqual(d.metric('fibd_reloads_total{result="ok"}'), swaps)
            self.assertEqual(d.stop(), 0)
            log = d.log()
            # memory.so: swaps//3 + 1 instances, each created once and destroyed once
            created = log.count("[plugin/memory] loaded")
            destroyed = log.count("[plugin/memory] unloaded")
            self.assertGreaterEqual(created, swaps // 3)
            self.assertEqual(created, destroyed, "memory instances created vs destroyed")
            self.assertEqual(log.count("[plugin/example_c] ready"),
                             log.count("[plugin/example_c] stopped"))
            self.assertNotIn("still mapped", log)


if __name__ == "__main__":
    unittest.main()
