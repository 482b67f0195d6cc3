"""What the daemon lets a D-Bus peer do, read from the running daemon itself:
no method takes an argument (nothing can pass a path or code to load), no
property can be written, and a call with arguments is refused."""

import os
import re
import unittest

from fibdtest import Daemon, PLUGIN_DIR, SLOW
from fibdtest.dbus import PrivateBus, BUS_NAME, OBJECT_PATH, INTERFACE


class AttackSurfaceTest(unittest.TestCase):
    def setUp(self):
        self.bus = PrivateBus("session").start()
        self.addCleanup(self.bus.stop)
        self.d = Daemon(
            config_text=lambda port: (
                f'listen: "127.0.0.1:{port}"\n'
                f"cache:\n  plugin: memory\n  plugin_dir: {os.path.abspath(PLUGIN_DIR)}\n"
                f"  trust_check: false\ndbus:\n  bus: session\n"),
            env=self.bus.env())
        self.addCleanup(self.d.close)
        self.d.wait_ready()
        self.assertTrue(self.bus.wait_for_name(10 * SLOW), self.d.log())

    def introspect(self):
        r = self.bus.dbus_send("--print-reply", f"--dest={BUS_NAME}", OBJECT_PATH,
                               "org.freedesktop.DBus.Introspectable.Introspect")
        self.assertEqual(r.returncode, 0, r.stderr)
        xml = r.stdout
        start = xml.index(f'<interface name="{INTERFACE}">')
        return xml[start:xml.index("</interface>", start)]

    def test_no_method_takes_an_argument(self):
        interface = self.introspect()
        methods = re.findall(r'<method name="(\w+)">(.*?)</method>|<method name="(\w+)"/>',
                             interface, re.S)
        names = sorted(m[0] or m[2] for m in methods)
        self.assertEqual(names, ["Reload", "ReloadPlugin"])
        for name, body, _ in methods:
            self.assertNotIn('direction="in"', body, name)

    def test_no_property_is_writable(self):
        interface = self.introspect()
        access = re.findall(r'<property name="(\w+)" type="\w+" access="(\w+)"', interface)
        self.assertEqual(len(access), 10, interface)
        self.assertEqual({a for _, a in access}, {"read"}, interface)
        r = self.bus.busctl("set-property", BUS_NAME, OBJECT_PATH, INTERFACE, "PluginPath",
                            "s", "/tmp/evil.so")
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(self.bus.get_property("PluginPath").endswith('/memory.so"'))

    def test_a_call_with_arguments_is_refused(self):
        r = self.bus.busctl("call", BUS_NAME, OBJECT_PATH, INTERFACE, "ReloadPlugin", "s",
                            "/tmp/evil.so")
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.d.metric('fibd_reloads_total{result="ok"}'), 0)
        self.assertEqual(self.d.metric('fibd_reloads_total{result="failed"}'), 0)


if __name__ == "__main__":
    unittest.main()
