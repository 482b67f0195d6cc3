"""Hot swap under load: memory <-> none <-> example_c, many times, while
clients hammer the server. No request may fail, and every plugin instance
is created and destroyed exactly once."""

import os
import signal
import time
import unittest

from fibdtest import Daemon, PLUGIN_DIR, SLOW
from fibdtest.load import Load


def config(port, plugin):
    return (f'listen: "127.0.0.1:{port}"\nlog_level: info\n'
            f"cache:\n  plugin: {plugin}\n  plugin_dir: {os.path.abspath(PLUGIN_DIR)}\n"
            f"  trust_check: false\n  expiration: 1m\n")


class PluginSwapTest(unittest.TestCase):
    def test_swap_under_load(self):
        swaps = 200 if not SLOW > 1 else 60
        plugins = ["memory", "none", "example_c"]
        d = Daemon(config_text=lambda port: config(port, "memory"))
        port = d.port
        with d:
            d.wait_ready()
            with Load(port) as hammer:
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
            self.assertNotIn("still loaded after dlclose", log)  # the loader's RTLD_NOLOAD check


if __name__ == "__main__":
    unittest.main()
