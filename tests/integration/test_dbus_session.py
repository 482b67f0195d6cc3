"""A process serving org.fibd.Fibd1 on a private session bus (the fake backend
behind the real DBusService), driven with the fibdtest.dbus helpers: calls,
errors, and the bus daemon killed under it.
"""

import os
import signal
import subprocess
import time
import unittest

from fibdtest.dbus import (ERROR_PLUGIN_LOAD_FAILED, MANAGER, PrivateBus,
                           readline_with_timeout)

FAKE = os.path.join(os.environ.get("FIBD_BUILD_DIR", ""), "test-tools", "dbus_fake_fibd")


class DBusSessionTest(unittest.TestCase):
    def setUp(self):
        if not os.access(FAKE, os.X_OK):
            self.fail(f"{FAKE} not built (cmake --build)")
        self.bus = PrivateBus().start()
        self.addCleanup(self.bus.stop)

    def start_service(self, *results):
        cmd = [FAKE, "--bus", "session"]
        for r in results:
            cmd += ["--result", r]
        proc = subprocess.Popen(cmd, env={**os.environ, **self.bus.env()},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.communicate()))
        self.assertEqual(readline_with_timeout(proc.stdout, 10).strip(), "active")
        return proc

    def stop(self, proc):
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
        return proc.returncode, err

    def test_calls_and_errors(self):
        proc = self.start_service("ok", "plugin-load-failed:cannot open redis.so")
        self.assertEqual(self.bus.get_property("PluginName"), 's "memory"')
        r = self.bus.busctl("call", *MANAGER, "Reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.bus.call("ReloadPlugin")
        self.assertIn(f"Error {ERROR_PLUGIN_LOAD_FAILED}: cannot open redis.so", r.stderr)
        self.assertEqual(self.bus.get_property("Reloads"), "t 2")
        code, err = self.stop(proc)
        self.assertEqual(code, 0, err)

    def test_bus_daemon_killed_under_the_service(self):
        proc = self.start_service()
        self.bus.kill()
        time.sleep(0.3)
        self.assertIsNone(proc.poll(), "the service died with the bus")
        code, err = self.stop(proc)
        self.assertEqual(code, 0, err)
        self.assertIn("lost the connection to the session bus", err)


if __name__ == "__main__":
    unittest.main()
