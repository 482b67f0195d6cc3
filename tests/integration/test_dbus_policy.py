"""The system bus policy etc/dbus-1/system.d/org.fibd.Fibd1.conf, enforced by a
real dbus-daemon with a system-like (deny by default) configuration.

The service is build/test-tools/dbus_fake_fibd: the real DBusService over a
fake backend. Clients run as root and, through setpriv, as nobody.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
import unittest

from fibdtest.dbus import (BUS_NAME, ERROR_ACCESS_DENIED, ERROR_CONFIG_INVALID, MANAGER,
                           POLICY_FILE, PrivateBus, as_user, readline_with_timeout)

BUILD_DIR = os.environ.get("FIBD_BUILD_DIR", "")
FAKE = os.path.join(BUILD_DIR, "test-tools", "dbus_fake_fibd")
NOBODY = (65534, 65534)


def _service_user():
    """A non-root account standing in for fibd where no fibd user exists."""
    for name in ("fibd", "daemon", "bin", "sys"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        if pw.pw_uid not in (0, NOBODY[0]):
            return name, pw.pw_uid, pw.pw_gid
    return None


class FakeService:
    """dbus_fake_fibd on the system bus of `bus`, optionally as another user."""

    def __init__(self, bus, binary, user=None, results=()):
        cmd = (as_user(*user) if user else []) + [binary, "--bus", "system"]
        for r in results:
            cmd += ["--result", r]
        env = {**os.environ, **bus.env()}
        self.process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.state = readline_with_timeout(self.process.stdout, 10).strip()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
        try:
            _, err = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return self.process.returncode, err


class DBusPolicyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root: runs clients as other users with setpriv")
        for tool in ("dbus-daemon", "busctl", "dbus-send", "setpriv"):
            if shutil.which(tool) is None:
                raise AssertionError(f"{tool} not found")
        if not os.access(FAKE, os.X_OK):
            raise AssertionError(f"{FAKE} not built (cmake --build)")
        # A copy any user may run (the build tree may not be reachable).
        cls.tmp = tempfile.mkdtemp(prefix="fibd-policy-")
        os.chmod(cls.tmp, 0o755)
        cls.fake = os.path.join(cls.tmp, "dbus_fake_fibd")
        shutil.copy(FAKE, cls.fake)
        os.chmod(cls.fake, 0o755)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def start_bus(self, policy=POLICY_FILE):
        bus = PrivateBus(kind="system", policy_files=[policy]).start()
        self.addCleanup(bus.stop)
        return bus

    def start_service(self, bus, user=None, results=()):
        service = FakeService(bus, self.fake, user=user, results=results)
        self.addCleanup(service.stop)
        return service

    # --- with fibd running as root ---

    def running_as_root(self, results=()):
        bus = self.start_bus()
        service = self.start_service(bus, results=results)
        if service.state != "active":
            self.fail(f"service not active: {service.stop()[1]}")
        return bus

    def test_root_may_call_reload_and_reload_plugin(self):
        bus = self.running_as_root()
        for method in ("Reload", "ReloadPlugin"):
            r = bus.busctl("call", *MANAGER, method)
            self.assertEqual(r.returncode, 0, f"{method}: {r.stderr}")

    def test_root_sees_a_failed_reload_as_the_named_error(self):
        msg = "/etc/fibd.yaml:3: listen: expected host:port"
        bus = self.running_as_root(results=[f"config-invalid:{msg}"])
        r = bus.call("Reload")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"Error {ERROR_CONFIG_INVALID}: {msg}", r.stderr)

    def test_other_users_get_access_denied_for_the_methods(self):
        bus = self.running_as_root()
        for method in ("Reload", "ReloadPlugin"):
            r = bus.call(method, user=NOBODY)
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertIn(f"Error {ERROR_ACCESS_DENIED}:", r.stderr)
            r = bus.busctl("call", *MANAGER, method, user=NOBODY)
            self.assertNotEqual(r.returncode, 0, r.stdout)
        # Nor may they write a property (none is writable anyway).
        r = bus.dbus_send(f"--dest={BUS_NAME}", MANAGER[1], "org.freedesktop.DBus.Properties.Set",
                          f"string:{MANAGER[2]}", "string:Requests", "variant:uint64:0",
                          user=NOBODY)
        self.assertIn(f"Error {ERROR_ACCESS_DENIED}:", r.stderr)

    def test_other_users_may_read_properties_introspect_and_ping(self):
        bus = self.running_as_root()
        self.assertEqual(bus.get_property("Version", user=NOBODY), 's "0.1.0-test"')
        self.assertEqual(bus.get_property("Requests", user=NOBODY), "t 0")
        r = bus.busctl("call", BUS_NAME, MANAGER[1], "org.freedesktop.DBus.Properties", "GetAll",
                       "s", MANAGER[2], user=NOBODY)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"PluginName" s "memory"', r.stdout)
        r = bus.busctl("introspect", BUS_NAME, MANAGER[1], MANAGER[2], user=NOBODY)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(".Reload", r.stdout)
        self.assertIn(".PluginChanged", r.stdout)
        r = bus.busctl("call", BUS_NAME, MANAGER[1], "org.freedesktop.DBus.Peer", "Ping",
                       user=NOBODY)
        self.assertEqual(r.returncode, 0, r.stderr)

    # --- who may own the name ---

    def test_other_users_cannot_own_the_name(self):
        bus = self.start_bus()
        service = self.start_service(bus, user=NOBODY)
        self.assertEqual(service.state, "inactive")
        code, err = service.stop()
        self.assertEqual(code, 0, err)  # a warning, not a failure
        self.assertIn(f"cannot own the name {BUS_NAME}", err)
        self.assertIn(ERROR_ACCESS_DENIED, err)
        self.assertFalse(bus.name_has_owner())

    def test_the_service_user_may_own_the_name_but_not_call_the_methods(self):
        account = _service_user()
        if account is None:
            self.skipTest("no unprivileged account to stand in for fibd")
        name, uid, gid = account
        policy = POLICY_FILE
        if name != "fibd":
            # The same policy, with the account standing in for fibd.
            with open(POLICY_FILE, encoding="utf-8") as f:
                text = f.read()
            self.assertIn('<policy user="fibd">', text)
            policy = os.path.join(self.tmp, f"org.fibd.Fibd1-as-{name}.conf")
            with open(policy, "w", encoding="utf-8") as f:
                f.write(text.replace('<policy user="fibd">', f'<policy user="{name}">'))
        bus = self.start_bus(policy)
        service = self.start_service(bus, user=(uid, gid))
        if service.state != "active":
            self.fail(f"service not active as {name}: {service.stop()[1]}")
        # root may call it; the service's own user may not.
        r = bus.busctl("call", *MANAGER, "Reload")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = bus.call("Reload", user=(uid, gid))
        self.assertIn(f"Error {ERROR_ACCESS_DENIED}:", r.stderr)


if __name__ == "__main__":
    unittest.main()
