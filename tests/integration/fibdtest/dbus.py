"""A private dbus-daemon for tests, and busctl/dbus-send helpers for fibd's API.

    with PrivateBus() as bus:                     # session-like: all allowed
        env = {**os.environ, **bus.env()}          # DBUS_SESSION_BUS_ADDRESS
        ... start fibd --bus session with env ...
        bus.busctl("call", *MANAGER, "Reload")

    with PrivateBus(kind="system", policy_files=[POLICY_FILE]) as bus:
        ...                                       # deny-by-default, + our policy

A "system" bus gets a generated configuration modelled on Debian's
/usr/share/dbus-1/system.conf: deny by default (owning names, method calls),
replies and signals allowed, plus an <include> of each policy file given. It
listens on a socket in a temporary directory that any user may reach, so
tests can run clients as other users (as_user()). bus.env() then sets
DBUS_SYSTEM_BUS_ADDRESS, which libsystemd (and so sdbus-c++) honours.
"""

import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time

BUS_NAME = "org.fibd.Fibd1"
OBJECT_PATH = "/org/fibd/Fibd1"
INTERFACE = "org.fibd.Fibd1.Manager"
MANAGER = (BUS_NAME, OBJECT_PATH, INTERFACE)  # for busctl call/get-property
ERROR_CONFIG_INVALID = "org.fibd.Fibd1.Error.ConfigInvalid"
ERROR_PLUGIN_LOAD_FAILED = "org.fibd.Fibd1.Error.PluginLoadFailed"
ERROR_ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"

# The policy file fibd installs, in the source tree.
SOURCE_DIR = os.environ.get(
    "FIBD_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..")))
POLICY_FILE = os.path.join(SOURCE_DIR, "etc", "dbus-1", "system.d", "org.fibd.Fibd1.conf")

_SYSTEM_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"
          send_member="UpdateActivationEnvironment"/>
    <deny send_destination="org.freedesktop.DBus"
          send_interface="org.freedesktop.DBus.Debug.Stats"/>
  </policy>
{includes}
</busconfig>
"""


def as_user(uid, gid=None):
    """Command prefix running the rest as uid/gid with no supplementary groups."""
    gid = uid if gid is None else gid
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]


class PrivateBus:
    """A dbus-daemon on a unix socket in a temporary directory.

    kind: "session" (dbus-daemon --session: anyone may own and call anything)
    or "system" (deny by default, see the module doc); policy_files: extra
    busconfig files to <include> (system only).
    """

    def __init__(self, kind="session", policy_files=()):
        if kind not in ("session", "system"):
            raise ValueError(f"kind must be session or system, not {kind!r}")
        self.kind = kind
        self.policy_files = [os.path.abspath(p) for p in policy_files]
        self.address = None
        self.dir = None
        self.log_path = None
        self.process = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout=10):
        if shutil.which("dbus-daemon") is None:
            raise RuntimeError("dbus-daemon not found (package dbus-daemon)")
        self.dir = tempfile.mkdtemp(prefix="fibd-dbus-")
        os.chmod(self.dir, 0o755)  # clients may run as other users
        socket = os.path.join(self.dir, "bus")
        cmd = ["dbus-daemon", "--nofork", "--nopidfile", "--print-address=1"]
        if self.kind == "session":
            cmd += ["--session", f"--address=unix:path={socket}"]
        else:
            includes = "\n".join(f"  <include>{p}</include>" for p in self.policy_files)
            config = os.path.join(self.dir, "system.conf")
            with open(config, "w", encoding="utf-8") as f:
                f.write(_SYSTEM_CONFIG.format(socket=socket, includes=includes))
            cmd += [f"--config-file={config}"]
        self.log_path = os.path.join(self.dir, "dbus-daemon.log")
        with open(self.log_path, "w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
        # The daemon prints its address once it is listening.
        line = readline_with_timeout(self.process.stdout, timeout)
        if not line:
            self._reap()
            raise RuntimeError(f"dbus-daemon did not start: {self.log().strip()}")
        self.address = line.strip()
        return self

    def env(self):
        """Environment variables pointing libsystemd/sdbus-c++ clients here."""
        var = "DBUS_SYSTEM_BUS_ADDRESS" if self.kind == "system" else "DBUS_SESSION_BUS_ADDRESS"
        return {var: self.address}

    def kill(self):
        """SIGKILL the daemon, as if it crashed."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self._reap()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
        self._reap()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def log(self):
        """What dbus-daemon wrote to stderr (policy rejections among it)."""
        try:
            with open(self.log_path, encoding="utf-8") as f:
                return f.read()
        except (OSError, AttributeError):
            return ""

    def _reap(self):
        if self.process:
            try:
                self.process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.communicate()
            self.process = None

    # --- clients ---

    def busctl(self, *args, user=None, timeout=30):
        """Runs busctl on this bus; user=(uid, gid) runs it as that user."""
        cmd = (as_user(*user) if user else []) + ["busctl", f"--address={self.address}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)

    def dbus_send(self, *args, user=None, timeout=30):
        """Runs dbus-send --print-reply on this bus; errors show their name."""
        cmd = (as_user(*user) if user else []) + [
            "dbus-send", f"--bus={self.address}", "--print-reply", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)

    def call(self, method, user=None, timeout=30):
        """Calls a no-argument method of org.fibd.Fibd1.Manager with dbus-send.

        Returns the CompletedProcess; on a D-Bus error, stderr reads
        "Error <name>: <message>".
        """
        return self.dbus_send(f"--dest={BUS_NAME}", OBJECT_PATH, f"{INTERFACE}.{method}",
                              user=user, timeout=timeout)

    def get_property(self, name, user=None):
        """busctl get-property output, e.g. 's "0.1.0"' or 't 42'."""
        r = self.busctl("get-property", *MANAGER, name, user=user)
        if r.returncode != 0:
            raise RuntimeError(f"get-property {name} failed: {r.stderr.strip()}")
        return r.stdout.strip()

    def name_has_owner(self):
        r = self.busctl("status", BUS_NAME)
        return r.returncode == 0

    def wait_for_name(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.name_has_owner():
                return True
            time.sleep(0.05)
        return False


def readline_with_timeout(stream, timeout):
    """One line from a pipe, or "" if none came within timeout seconds."""
    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)
    try:
        if not sel.select(timeout):
            return ""
        return stream.readline()
    finally:
        sel.close()
