"""Helpers for fibd's integration tests: start the real binary on a free
loopback port with a private NOTIFY_SOCKET, talk HTTP over real sockets, and
stop everything that was started."""

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

BUILD_DIR = os.environ.get("FIBD_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../../build"))
FIBD_BIN = os.environ.get("FIBD_BIN", os.path.join(BUILD_DIR, "bin", "fibd"))
PLUGIN_DIR = os.path.join(BUILD_DIR, "plugins")
TEST_PLUGIN_DIR = os.path.join(BUILD_DIR, "test-plugins")
SANITIZED = bool(os.environ.get("FIBD_SANITIZE"))
# Sanitizer builds are several times slower: scale waits, never assertions.
SLOW = 4 if SANITIZED else 1


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NotifySocket:
    """A real NOTIFY_SOCKET: an AF_UNIX datagram socket collecting sd_notify messages."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages = []
        self._cond = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        self.sock.settimeout(0.1)
        while not self._stop:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            with self._cond:
                self.messages.append(data.decode())
                self._cond.notify_all()

    def wait_for(self, key, timeout=10, after=0):
        """Waits for a message containing line `key` (e.g. "READY=1") among
        messages[after:]; returns its index."""
        deadline = time.monotonic() + timeout * SLOW
        with self._cond:
            while True:
                for i in range(after, len(self.messages)):
                    if key in self.messages[i].split("\n"):
                        return i
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {key} from fibd within {timeout}s; got {self.messages}")
                self._cond.wait(left)

    def close(self):
        self._stop = True
        self._thread.join()
        self.sock.close()


class Daemon:
    """fibd started with a generated config on a free port."""

    def __init__(self, config_text=None, args=(), env=None, plugin=None, extra_config=""):
        """config_text: YAML, or a function of the chosen port returning it."""
        self.dir = tempfile.mkdtemp(prefix="fibd-test-")
        self.port = free_port()
        self.config_path = os.path.join(self.dir, "fibd.yaml")
        if callable(config_text):
            config_text = config_text(self.port)
        if config_text is None:
            config_text = f'listen: "127.0.0.1:{self.port}"\nlog_level: debug\n'
            if plugin:
                config_text += f"cache:\n  plugin: {plugin}\n  trust_check: false\n"
            config_text += extra_config
        self.write_config(config_text)
        self.notify = NotifySocket(self.dir)
        self.log_path = os.path.join(self.dir, "fibd.log")
        self._log = open(self.log_path, "wb")
        full_env = dict(os.environ)
        full_env.pop("JOURNAL_STREAM", None)
        full_env.pop("INVOCATION_ID", None)
        full_env["NOTIFY_SOCKET"] = self.notify.path
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [FIBD_BIN, "--config", self.config_path, *args],
            stdout=self._log, stderr=subprocess.STDOUT, env=full_env)

    def write_config(self, text):
        with open(self.config_path, "w") as f:
            f.write(text)

    def wait_ready(self, timeout=10):
        try:
            self.notify.wait_for("READY=1", timeout)
        except AssertionError:
            raise AssertionError(f"fibd not ready; log:\n{self.log()}")
        return self

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def request(self, method, path, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout * SLOW)
        try:
            conn.request(method, path, headers=headers or {})
            resp = conn.getresponse()
            body = resp.read()
            return resp.status, dict(resp.getheaders()), body
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout * SLOW)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def close(self):
        self.stop()
        self.notify.close()
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def cpu_seconds(self):
        """User+system CPU time of the daemon so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def metric(self, name):
        """Sum of a metric's samples in /metrics whose line starts with name."""
        _, _, body = self.get("/metrics")
        total = 0.0
        for line in body.decode().splitlines():
            if line.startswith(name) and not line.startswith("#"):
                head, value = line.rsplit(" ", 1)
                if head == name or head.startswith(name + "{"):
                    total += float(value)
        return total


@contextlib.contextmanager
def raw_connection(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)
    try:
        yield s
    finally:
        s.close()
