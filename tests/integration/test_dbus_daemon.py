"""The real daemon on a private bus: introspection, live properties, Reload
and ReloadPlugin with their named errors, PluginChanged, concurrency, and a
bus that dies under a serving daemon."""

import os
import subprocess
import threading
import time
import unittest

from fibdtest import Daemon, PLUGIN_DIR, SLOW
from fibdtest.dbus import PrivateBus, BUS_NAME, OBJECT_PATH, INTERFACE
from fibdtest.load import Load


def config(port, plugin="memory", extra=""):
    return (f'listen: "127.0.0.1:{port}"\nlog_level: info\n'
            f"cache:\n  plugin: {plugin}\n  plugin_dir: {os.path.abspath(PLUGIN_DIR)}\n"
            f"  trust_check: false\ndbus:\n  bus: session\n{extra}")


class DBusDaemonTest(unittest.TestCase):
    def setUp(self):
        self.bus = PrivateBus("session").start()
        self.d = Daemon(config_text=lambda port: config(port), env=self.bus.env())
        self.d.wait_ready()
        self.assertTrue(self.bus.wait_for_name(10 * SLOW), self.d.log())

    def tearDown(self):
        self.d.close()
        self.bus.stop()

    def prop(self, name):
        kind, _, value = self.bus.get_property(name).partition(" ")
        return int(value) if kind == "t" else value.strip('"')

    def test_introspection_shows_the_contract(self):
        r = self.bus.busctl("introspect", BUS_NAME, OBJECT_PATH, INTERFACE)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = {tuple(line.split()[:3]) for line in r.stdout.splitlines() if line.startswith(".")}
        for member, kind, sig in [(".Reload", "method", "-"), (".ReloadPlugin", "method", "-"),
                                  (".Version", "property", "s"), (".PluginName", "property", "s"),
                                  (".PluginVersion", "property", "s"),
                                  (".PluginPath", "property", "s"), (".Listen", "property", "s"),
                                  (".Requests", "property", "t"), (".CacheHits", "property", "t"),
                                  (".CacheMisses", "property", "t"),
                                  (".CacheErrors", "property", "t"), (".Reloads", "property", "t"),
                                  (".PluginChanged", "signal", "sss")]:
            self.assertIn((member, kind, sig), rows, r.stdout)

    def test_properties_follow_state(self):
        self.assertEqual(self.prop("PluginName"), "memory")
        self.assertTrue(self.prop("PluginPath").endswith("/memory.so"))
        self.assertEqual(self.prop("Listen"), f"127.0.0.1:{self.d.port}")
        self.assertRegex(self.prop("Version"), r"^\d+\.\d+\.\d+")
        before = self.prop("Requests")
        self.d.get("/fib/77")
        self.assertEqual(self.prop("Requests"), before + 1)
        # A miss is answered before its value is written: the second
        # request is a hit only once the write is done (the wait asks
        # /metrics, a request too).
        self.d.wait_cache_written()
        before = self.prop("Requests")
        self.d.get("/fib/77")
        self.assertEqual(self.prop("Requests"), before + 1)
        self.assertGreaterEqual(self.prop("CacheHits"), 1)
        self.assertGreaterEqual(self.prop("CacheMisses"), 1)
        self.assertEqual(self.prop("CacheErrors"), 0)

        self.d.write_config(config(self.d.port, "example_c"))
        r = self.bus.call("Reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.prop("PluginName"), "example_c")
        self.assertEqual(self.prop("Reloads"), 1)

    def test_reload_errors_are_named_and_change_nothing(self):
        self.d.write_config("listen: [\n")
        r = self.bus.call("Reload")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("org.fibd.Fibd1.Error.ConfigInvalid", r.stderr)
        self.assertIn(f"{self.d.config_path}:", r.stderr)

        self.d.write_config(config(self.d.port, "no_such_plugin"))
        r = self.bus.call("Reload")
        self.assertIn("org.fibd.Fibd1.Error.PluginLoadFailed", r.stderr)
        self.assertIn("no_such_plugin", r.stderr)

        self.assertEqual(self.prop("PluginName"), "memory")
        self.assertEqual(self.d.get("/fib/10")[0], 200)
        self.assertEqual(self.prop("Reloads"), 0)
        self.assertEqual(self.d.metric('fibd_reloads_total{result="failed"}'), 2)

    def test_reload_plugin_and_signal(self):
        monitor = subprocess.Popen(
            ["dbus-monitor", "--address", self.bus.address,
             f"type='signal',interface='{INTERFACE}',member='PluginChanged'"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            time.sleep(0.5 * SLOW)  # let the monitor subscribe
            r = self.bus.call("ReloadPlugin")
            self.assertEqual(r.returncode, 0, r.stderr)
            seen = []
            deadline = time.monotonic() + 10 * SLOW
            while time.monotonic() < deadline:
                line = monitor.stdout.readline()
                if not line:
                    break  # dbus-monitor ended
                seen.append(line)
                if 'string "memory"' in line:
                    break
            self.assertTrue(any("member=PluginChanged" in l for l in seen), seen)
            self.assertTrue(any('string "memory"' in l for l in seen), seen)
        finally:
            monitor.terminate()
            monitor.wait()

    def test_concurrent_reloads_all_answered(self):
        results = []
        def call(method):
            results.append(self.bus.call(method))
        threads = [threading.Thread(target=call, args=("Reload" if i % 2 else "ReloadPlugin",))
                   for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([r.returncode for r in results], [0] * 10, [r.stderr for r in results])
        self.assertEqual(self.prop("Reloads"), 10)

    def test_reloads_under_load_fail_no_request(self):
        plugins = ["example_c", "none", "memory"]
        with Load(self.d.port) as hammer:
            for i in range(50):
                self.d.write_config(config(self.d.port, plugins[i % 3]))
                r = self.bus.call("Reload")
                self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(hammer.failures, [])
        self.assertGreater(hammer.ok, 50)
        self.assertEqual(self.prop("Reloads"), 50)

    def test_bus_dies_http_lives(self):
        self.bus.kill()
        time.sleep(0.5)
        for n in range(20):
            self.assertEqual(self.d.get(f"/fib/{n}")[0], 200)
        self.assertEqual(self.d.stop(), 0)


class DBusUnavailableTest(unittest.TestCase):
    def test_no_bus_warns_and_serves(self):
        env = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"}
        with Daemon(config_text=lambda port: config(port), env=env) as d:
            d.wait_ready()
            self.assertEqual(d.get("/fib/10")[0], 200)
            self.assertIn("D-Bus", d.log())


if __name__ == "__main__":
    unittest.main()
