"""What systemd does for fibd.service across restarts, reduced to what a
restart depends on: a real NOTIFY_SOCKET that takes FDSTORE=1 descriptors
(with FDNAME=, FDSTOREREMOVE=1 and BARRIER=1) into the service's fd store,
and every start of fibd with the stored descriptors passed the way
sd_listen_fds(3) reads them (LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID, from fd
3 on). With socket_unit=True it also binds the listening socket itself and
passes it first, named "fibd.socket", as fibd.socket does."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from . import FIBD_BIN, SANITIZER_ENV, SLOW, free_port, sanitizer_reports

# Puts the descriptors named in FIBD_PASS_FDS at 3, 4, ... and sets
# LISTEN_PID to its own pid, which fibd keeps across the exec.
_EXEC_WITH_FDS = r"""
import fcntl, os, sys
fds = [int(x) for x in os.environ.pop("FIBD_PASS_FDS").split(",") if x]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in fds]
for fd in fds:
    os.close(fd)
for i, fd in enumerate(high):
    os.dup2(fd, 3 + i)
    os.close(fd)
if fds:
    os.environ["LISTEN_FDS"] = str(len(fds))
    os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[1], sys.argv[1:])
"""


class Supervisor:
    def __init__(self, config_text, socket_unit=False, port=None):
        """config_text: a function of the port returning fibd's YAML."""
        self.dir = tempfile.mkdtemp(prefix="fibd-restart-")
        self.port = port or free_port()
        self.config_path = os.path.join(self.dir, "fibd.yaml")
        self.config_text = config_text
        self.write_config(config_text(self.port))
        self.store = []  # [(name, fd)]: the fd store
        self.messages = []  # (pid, text) in arrival order
        self.cond = threading.Condition()
        self.proc = None
        self.logs = []
        self.unit_socket = None
        if socket_unit:
            self.unit_socket = socket.create_server(("127.0.0.1", self.port), backlog=1024)
        self.notify_path = os.path.join(self.dir, "notify.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.notify.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.running = True
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()

    def write_config(self, text):
        with open(self.config_path, "w") as f:
            f.write(text)

    # ---------------------------------------------------------------- notify
    def _receive(self):
        self.notify.settimeout(0.1)
        while self.running:
            try:
                data, ancillary, _, _ = self.notify.recvmsg(
                    4096, socket.CMSG_SPACE(64 * 4) + socket.CMSG_SPACE(12))
            except socket.timeout:
                continue
            except OSError:
                return
            fds, pid = [], 0
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    usable = len(payload) - len(payload) % 4
                    fds += list(memoryview(payload[:usable]).cast("i"))
                elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = int.from_bytes(payload[:4], sys.byteorder)
            self._handle(pid, data.decode(errors="replace"), fds)

    def _handle(self, pid, text, fds):
        fields = dict(line.split("=", 1) for line in text.split("\n") if "=" in line)
        with self.cond:
            if fields.get("FDSTORE") == "1":
                name = fields.get("FDNAME", "stored")
                for fd in fds:
                    if any(self._same(fd, kept) for _, kept in self.store):
                        os.close(fd)  # systemd drops duplicates too
                    else:
                        self.store.append((name, fd))
                fds = []
            if fields.get("FDSTOREREMOVE") == "1":
                name = fields.get("FDNAME")
                for entry in [e for e in self.store if e[0] == name]:
                    os.close(entry[1])
                    self.store.remove(entry)
            for fd in fds:  # BARRIER=1 (closing it is the answer) and strays
                os.close(fd)
            self.messages.append((pid, text))
            self.cond.notify_all()

    @staticmethod
    def _same(a, b):
        sa, sb = os.fstat(a), os.fstat(b)
        return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)

    def wait_for(self, key, pid, timeout=15):
        """Waits for a message of process `pid` with the line `key`."""
        deadline = time.monotonic() + timeout * SLOW
        with self.cond:
            while not any(p == pid and key in t.split("\n") for p, t in self.messages):
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc is not None and self.proc.poll() is not None):
                    raise AssertionError(f"no {key} from fibd {pid}; log:\n{self.log()[-3000:]}")
                self.cond.wait(min(left, 0.1))

    def stored(self):
        """The names in the fd store now, in order."""
        with self.cond:
            return [name for name, _ in self.store]

    def stored_fd(self, name):
        with self.cond:
            return next(fd for n, fd in self.store if n == name)

    # ---------------------------------------------------------------- fibd
    def start(self, env=None):
        """Starts fibd with the socket unit's socket (if any) and the fd
        store; returns once it sent READY=1."""
        passed = []
        if self.unit_socket is not None:
            passed.append(("fibd.socket", self.unit_socket.fileno()))
        with self.cond:
            passed += list(self.store)
        full_env = dict(os.environ)
        for key, value in SANITIZER_ENV.items():
            full_env.setdefault(key, value)
        for key in ("JOURNAL_STREAM", "INVOCATION_ID", "LISTEN_FDS", "LISTEN_PID",
                    "LISTEN_FDNAMES"):
            full_env.pop(key, None)
        full_env["NOTIFY_SOCKET"] = self.notify_path
        full_env["FIBD_PASS_FDS"] = ",".join(str(fd) for _, fd in passed)
        if passed:
            full_env["LISTEN_FDNAMES"] = ":".join(name for name, _ in passed)
        full_env.update(env or {})
        log_path = os.path.join(self.dir, f"fibd-{len(self.logs)}.log")
        self.logs.append(log_path)
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _EXEC_WITH_FDS, FIBD_BIN, "--config", self.config_path],
                stdout=log, stderr=subprocess.STDOUT, env=full_env,
                pass_fds=[fd for _, fd in passed])
        return self.proc

    def wait_ready(self):
        self.wait_for("READY=1", self.proc.pid)
        return self

    def stop(self, timeout=30):
        """SIGTERM; returns (exit code, seconds from the signal to the exit)."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout * SLOW)
        return code, time.monotonic() - started

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait(30 * SLOW)

    def log(self, index=-1):
        if not self.logs:
            return ""
        with open(self.logs[index], "rb") as f:
            return f.read().decode(errors="replace")

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.running = False
        self.thread.join()
        self.notify.close()
        with self.cond:
            for _, fd in self.store:
                os.close(fd)
            self.store = []
        if self.unit_socket is not None:
            self.unit_socket.close()
        reports = []
        for i in range(len(self.logs)):
            reports += sanitizer_reports(self.log(i))
        shutil.rmtree(self.dir, ignore_errors=True)
        if reports:
            raise AssertionError(f"fibd's log holds sanitizer reports: {reports[:5]}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
