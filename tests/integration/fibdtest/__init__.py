"""Helpers for fibd's integration tests: start the real binary on a free
loopback port with a private NOTIFY_SOCKET, talk HTTP over real sockets, and
stop everything that was started."""

import contextlib
import http.client
import os
import shutil
import random
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

# How the sanitizers of an asan/tsan build of fibd report: to its log (stderr),
# stopping at the first error; LeakSanitizer at exit. Daemon.close() fails the
# test if the log holds any report. Values already in the environment win.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
    "TSAN_OPTIONS": "halt_on_error=1:second_deadlock_stack=1",
}
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer",
                     "ERROR: UndefinedBehaviorSanitizer")


def sanitizer_reports(text):
    """The lines of `text` that start a sanitizer report."""
    return [line for line in text.splitlines() if any(r in line for r in SANITIZER_REPORTS)]


def free_port():
    """A free loopback port below the kernel's ephemeral range (the same rule
    as free_port() in tests/unit/redis_server.h): a port from that range can
    be taken, before the server binds it, as the local port of any outgoing
    connection of a test running alongside."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    last = low - 1 if low - 10000 >= 1000 else 65535
    for _ in range(200):
        port = random.randint(10000, last)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port")


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

    def __init__(self, config_text=None, args=(), env=None, plugin=None, extra_config="",
                 preexec_fn=None):
        """config_text: YAML, or a function of the chosen port returning it.
        preexec_fn: run in the child before fibd starts (e.g. setrlimit)."""
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
        for key, value in SANITIZER_ENV.items():
            full_env.setdefault(key, value)
        full_env.pop("JOURNAL_STREAM", None)
        full_env.pop("INVOCATION_ID", None)
        full_env["NOTIFY_SOCKET"] = self.notify.path
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [FIBD_BIN, "--config", self.config_path, *args],
            stdout=self._log, stderr=subprocess.STDOUT, env=full_env, preexec_fn=preexec_fn)

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

    def wait_cache_written(self, timeout=10):
        """Waits until the values computed so far are in the cache: fibd
        answers a miss first and writes the cache afterwards."""
        deadline = time.monotonic() + timeout * SLOW
        while self.metric("fibd_cache_writes_pending") != 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"cache writes still pending after {timeout}s")
            time.sleep(0.01)

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
        log = self.log()
        shutil.rmtree(self.dir, ignore_errors=True)
        reports = sanitizer_reports(log)
        if reports:
            raise AssertionError("fibd's log holds sanitizer reports: %s\n--- log:\n%s"
                                 % (reports[:5], log[-20000:]))

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

    def rss_bytes(self):
        """Resident memory of the daemon now."""
        with open(f"/proc/{self.proc.pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def fd_count(self):
        """Open file descriptors of the daemon now."""
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def threads_cpu_seconds(self, name):
        """User+system CPU time so far of the daemon's threads called `name`,
        and how many there are: (seconds, count)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total, count = 0, 0
        task_dir = f"/proc/{self.proc.pid}/task"
        for tid in os.listdir(task_dir):
            try:
                with open(f"{task_dir}/{tid}/comm") as f:
                    comm = f.read().strip()
                with open(f"{task_dir}/{tid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue  # the thread just ended
            if comm == name:
                count += 1
                total += (int(fields[11]) + int(fields[12])) / ticks
        return total, count

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

    def plugin_metric(self, name, plugin="redis"):
        """The series `name` the plugin reported through the host services
        (fibd_plugin_counter_total or fibd_plugin_gauge), None when absent."""
        _, _, body = self.get("/metrics")
        labels = f'{{name="{name}",plugin="{plugin}"}}'
        for line in body.decode().splitlines():
            head, _, value = line.rpartition(" ")
            if head in ("fibd_plugin_counter_total" + labels, "fibd_plugin_gauge" + labels):
                return float(value)
        return None


@contextlib.contextmanager
def raw_connection(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)
    try:
        yield s
    finally:
        s.close()


def parse_head(head):
    """(status, {lower-case header: value}) of a raw response head."""
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers


def read_until_eof(sock):
    """Everything `sock` receives until the peer closes."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def raw_exchange(port, payload, timeout=20):
    """Sends `payload` on a new connection and reads the first answer, whole
    (Content-Length), or until the server closes. Returns (status, headers,
    body), status None if nothing came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW) as s:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the answer may still be readable
        data = b""
        try:
            while True:
                if b"\r\n\r\n" in data:
                    head, _, body = data.partition(b"\r\n\r\n")
                    _, headers = parse_head(head)
                    length = headers.get("content-length")
                    if length is not None and len(body) >= int(length):
                        break
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
    if not data:
        return None, {}, b""
    head, _, body = data.partition(b"\r\n\r\n")
    status, headers = parse_head(head)
    if headers.get("content-length") is not None:
        body = body[:int(headers["content-length"])]
    return status, headers, body
