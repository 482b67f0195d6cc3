"""A real redis-server for tests, on a free loopback port in a temporary
directory, without persistence (--save '' --appendonly no).

    with RedisServer(password="s3cret", unix_socket=True) as redis:
        redis.option_address()          # "127.0.0.1:PORT" (or "unix:/..." with unix=True)
        redis.cli("GET", "fibd:90")     # redis-cli, authenticated, raw output
        redis.pause(); redis.resume()   # SIGSTOP / SIGCONT: a frozen Redis
        redis.kill(); redis.restart()   # SIGKILL, then the same port again

Everything started is stopped by stop() (or leaving the with block), also
when the server is paused.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from . import SLOW, free_port

REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")
AVAILABLE = REDIS_SERVER is not None and REDIS_CLI is not None


class RedisServer:
    def __init__(self, password=None, unix_socket=False, port=None):
        if not AVAILABLE:
            raise RuntimeError("redis-server/redis-cli not found (package redis-server)")
        self.password = password
        self.dir = tempfile.mkdtemp(prefix="fibd-redis-")
        self.port = port or free_port()
        self.socket_path = os.path.join(self.dir, "redis.sock") if unix_socket else None
        self.log_path = os.path.join(self.dir, "redis.log")
        self.process = None
        self.paused = False

    # --- life cycle ---

    def start(self, timeout=10):
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("redis-server already running")
        cmd = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", "--dir", self.dir,
               "--daemonize", "no", "--logfile", self.log_path]
        if self.socket_path:
            cmd += ["--unixsocket", self.socket_path, "--unixsocketperm", "700"]
        if self.password:
            cmd += ["--requirepass", self.password]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        self.paused = False
        self._wait_listening(timeout)
        return self

    def _wait_listening(self, timeout):
        deadline = time.monotonic() + timeout * SLOW
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited {self.process.returncode}: {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64):  # +PONG, or -NOAUTH with requirepass: up either way
                        if not self.socket_path or os.path.exists(self.socket_path):
                            return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"redis-server not listening on {self.port}: {self.log()}")

    def kill(self):
        """SIGKILL, as if Redis crashed (connections reset, nothing saved)."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.paused = False

    def pause(self):
        """SIGSTOP: Redis still accepts TCP connections (the kernel does) but never answers."""
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self.process.send_signal(signal.SIGCONT)
        self.paused = False

    def restart(self, timeout=10):
        """Kills Redis and starts a fresh one on the same port (and socket)."""
        self.kill()
        return self.start(timeout)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            if self.paused:
                self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self.paused = False
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        if self.process is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # --- for tests ---

    def option_address(self, unix=False):
        """The redis.so `address` option reaching this server."""
        if unix:
            return f"unix:{self.socket_path}"
        return f"127.0.0.1:{self.port}"

    def cli(self, *args, check=True, timeout=10):
        """Runs redis-cli against this server; returns its raw stdout without the
        trailing newline (GET of a missing key gives "")."""
        cmd = [REDIS_CLI, "-h", "127.0.0.1", "-p", str(self.port), "--raw"]
        env = dict(os.environ)
        if self.password:
            env["REDISCLI_AUTH"] = self.password
        r = subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True,
                           env=env, timeout=timeout)
        out = r.stdout[:-1] if r.stdout.endswith("\n") else r.stdout
        if check and (r.returncode != 0 or out.startswith("ERR") or out.startswith("NOAUTH")
                      or out.startswith("WRONGPASS")):
            raise RuntimeError(f"redis-cli {' '.join(map(str, args))}: {out} {r.stderr}")
        return out

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""
