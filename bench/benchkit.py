"""fibd's benchmark kit: the load generators (wrk, redis-benchmark, the GMP
baseline) and the servers a benchmark starts (fibd, nginx, Redis), each on
127.0.0.1 with a free port, each stopped by close(). Used by fibdbench.py."""

import glob
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.environ.get("FIBD_BUILD_DIR", os.path.join(ROOT, "build"))
FIBD = os.path.join(BUILD, "bin", "fibd")
PLUGINS = os.path.join(BUILD, "plugins")
GMP_BASELINE = os.path.join(BUILD, "bench", "gmp_baseline")
FIBD_UNCHECKED = os.path.join(BUILD, "bench", "fibd-unchecked")
IDLE_FLOOR = os.path.join(BUILD, "bench", "idle-floor")
WRK_LUA = os.path.join(HERE, "wrk_report.lua")

sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from fibdtest import Daemon, NotifySocket, free_port  # noqa: E402
from fibdtest.load import fib_body  # noqa: E402
from fibdtest.redis import RedisServer  # noqa: E402


def body_for(n):
    return fib_body(n).decode()


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------
# Load generators


def wrk(url, conns, seconds, threads=None, keys=0):
    """Runs wrk with our done() hook; returns its JSON summary."""
    threads = threads or min(2, conns)
    env = dict(os.environ)
    if keys:
        env["BENCH_KEYS"] = str(keys)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
         "-s", WRK_LUA, url],
        capture_output=True, text=True, env=env, timeout=seconds + 60)
    for line in out.stdout.splitlines():
        if line.startswith("WRKJSON "):
            r = json.loads(line[len("WRKJSON "):])
            r["errors"] = (r["connect_errors"] + r["read_errors"] + r["write_errors"] +
                           r["timeouts"] + r["non2xx"])
            return r
    raise RuntimeError(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")


def redis_benchmark(port, conns, requests, key):
    out = subprocess.run(
        ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", str(conns),
         "-n", str(requests), "--csv", "GET", key],
        capture_output=True, text=True, timeout=120)
    rows = [line for line in out.stdout.splitlines() if line.startswith('"GET')]
    if not rows:
        raise RuntimeError(f"redis-benchmark printed nothing usable:\n{out.stdout}\n{out.stderr}")
    cols = [c.strip('"') for c in rows[-1].split(",")]
    # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    return {"rps": float(cols[1]), "p50_us": float(cols[4]) * 1000,
            "p99_us": float(cols[6]) * 1000, "errors": 0}


def gmp_baseline(mode, n, seconds):
    out = subprocess.run([GMP_BASELINE, mode, str(n), str(seconds)],
                         capture_output=True, text=True, check=True, timeout=seconds + 120)
    return json.loads(out.stdout)


# --------------------------------------------------------------------------
# Servers


def rss_kb(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_ticks(pids):
    """utime + stime of processes (clock ticks), children included by pid list."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total


def context_switches(pids, prefix=""):
    """Context switches over every thread of processes: voluntary and
    involuntary, or with prefix "non" only the involuntary ones (preemptions:
    a thread that wanted to run lost its CPU)."""
    total = 0
    for pid in pids:
        for status in glob.glob(f"/proc/{pid}/task/*/status"):
            try:
                with open(status) as f:
                    for line in f:
                        if "ctxt_switches:" in line and line.startswith(prefix):
                            total += int(line.split()[-1])
            except OSError:
                pass
    return total


def machine_ticks():
    """(busy, steal, total) clock ticks of every CPU since boot (/proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = v
    return user + nice + system + irq + softirq, steal, sum(v)


def with_cpu(pids, run):
    """Runs run() (a wrk call) and adds the server's CPU microseconds and
    context switches (all its threads) per request."""
    before, cs_before = cpu_ticks(pids), context_switches(pids)
    preempt_before, machine_before = context_switches(pids, "non"), machine_ticks()
    r = run()
    ticks = cpu_ticks(pids) - before
    n = max(1, r["requests"])
    r["cpu_us_per_req"] = ticks * 1e6 / os.sysconf("SC_CLK_TCK") / n
    r["cs_per_req"] = (context_switches(pids) - cs_before) / n
    # What the tail table shows beside each round's p99: how often the
    # server's threads were preempted, and the machine's CPU beyond the
    # server's own (wrk and other work) and stolen by the hypervisor.
    r["preempt_per_kreq"] = (context_switches(pids, "non") - preempt_before) * 1000 / n
    busy, steal, total = (a - b for a, b in zip(machine_ticks(), machine_before))
    r["others_cpu_pct"] = 100 * max(0, busy - ticks) / max(1, total)
    r["steal_pct"] = 100 * steal / max(1, total)
    return r


def smaps_kb(pid):
    """Rss, Pss and private (USS) of one process, in kB."""
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                out[parts[0][:-1]] = int(parts[1])
    out["Uss"] = out.get("Private_Clean", 0) + out.get("Private_Dirty", 0)
    return out


def idle_floor_kb(binary):
    """smaps_kb of an empty program that loaded binary's shared libraries
    (bench/idle_floor.c): what they cost before any code of fibd runs.
    None when the helper is not built."""
    if not os.path.exists(IDLE_FLOOR):
        return None
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libs = [f[2] for f in (line.split() for line in out.splitlines())
            if len(f) >= 3 and f[1] == "=>" and f[2].startswith("/")]
    with subprocess.Popen([IDLE_FLOOR] + libs, stdout=subprocess.PIPE, text=True) as p:
        try:
            if p.stdout.readline().strip() != "ready":
                raise RuntimeError("idle-floor did not load fibd's libraries")
            time.sleep(0.5)
            return smaps_kb(p.pid)
        finally:
            p.terminate()


def fibd_config(port, plugin="memory", algorithm="fast", max_n=1000000, expiration="1h",
                workers=0, options=None, near=None):
    opts = "".join(f'\n    {k}: "{v}"' for k, v in (options or {}).items())
    near_lines = f"  near:\n    max_bytes: {near}\n" if near else ""
    return (f'listen: "127.0.0.1:{port}"\n'
            f"log_level: warn\n"
            f"workers: {workers}\n"
            f"fib:\n  algorithm: {algorithm}\n  max_n: {max_n}\n"
            f"limits:\n  max_inflight: 64\n  compute_timeout: 30s\n"
            f"cache:\n  plugin: {plugin}\n  plugin_dir: {PLUGINS}\n"
            f"  trust_check: false\n  expiration: {expiration}\n{near_lines}"
            f"  options:{opts if opts else ' {}'}\n"
            f"dbus:\n  bus: none\n")


class Fibd:
    """fibd on a free port with a generated config (tests' Daemon helper)."""

    def __init__(self, plugin="memory", algorithm="fast", options=None, max_n=1000000,
                 expiration="1h", workers=0, binary=None, near=None):
        self.plugin = plugin
        self.near = near
        self.algorithm = algorithm
        self.max_n = max_n
        self.expiration = expiration
        self.workers = workers
        self.options = options or {}
        import fibdtest
        saved = fibdtest.FIBD_BIN
        fibdtest.FIBD_BIN = binary or FIBD
        try:
            self.daemon = Daemon(config_text=lambda port: self.config(port, self.options))
        finally:
            fibdtest.FIBD_BIN = saved
        self.daemon.wait_ready(timeout=30)
        self.port = self.daemon.port

    def config(self, port, options):
        return fibd_config(port, self.plugin, self.algorithm, self.max_n, self.expiration,
                           self.workers, options, self.near)

    def rewrite_options(self, options):
        self.daemon.write_config(self.config(self.port, options))

    @property
    def pid(self):
        return self.daemon.proc.pid

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path):
        return self.daemon.get(path)

    def metric(self, name):
        _, _, body = self.get("/metrics")
        total = 0.0
        for line in body.decode().splitlines():
            if line.startswith(name):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def close(self):
        self.daemon.close()


class Nginx:
    """nginx-light on a private config: the HTTP ceiling."""

    def __init__(self, bodies, files=None, worker_connections=4096, keepalive_timeout="75s"):
        """bodies: path -> body, answered from the config (`return 200`);
        files: path -> body, written under the document root and served as
        static files (sendfile, as a file server is usually set up)."""
        self.dir = tempfile.mkdtemp(prefix="fibd-bench-nginx-")
        self.port = free_port()
        locations = "".join(
            f"    location = {path} {{ default_type application/json; return 200 '{body}'; }}\n"
            for path, body in bodies.items())
        # nginx's workers drop root: the document root must be readable.
        os.chmod(self.dir, 0o755)
        for path, body in (files or {}).items():
            target = os.path.join(self.dir, "www", path.lstrip("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w") as f:
                f.write(body)
            locations += (f"    location = {path} {{ root {self.dir}/www; "
                          "default_type application/json; }\n")
        conf = f"""worker_processes 2;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections {worker_connections}; }}
http {{
  access_log off;
  keepalive_timeout {keepalive_timeout};
  sendfile on;
  tcp_nopush on;
  client_body_temp_path {self.dir}/body;
  proxy_temp_path {self.dir}/proxy;
  fastcgi_temp_path {self.dir}/fastcgi;
  uwsgi_temp_path {self.dir}/uwsgi;
  scgi_temp_path {self.dir}/scgi;
  server {{
    listen 127.0.0.1:{self.port};
{locations}  }}
}}
"""
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([nginx, "-c", path, "-p", self.dir, "-e",
                                      os.path.join(self.dir, "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def pids(self):
        kids = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                              text=True).stdout.split()
        return [self.proc.pid] + [int(k) for k in kids]

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis(RedisServer):
    """The test suite's redis-server (fibdtest.redis), started at once, with
    close() like the other servers here."""

    def __init__(self):
        super().__init__()
        self.start()

    def close(self):
        self.stop()


def wait_port(port, proc, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"{proc.args[0]} did not listen on {port}")


def warm(fibd, paths):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", fibd.port, timeout=60)
    for p in paths:
        conn.request("GET", p)
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise RuntimeError(f"GET {p}: {r.status}")
    conn.close()


class RssSampler:
    """Peak VmRSS of some processes while a load runs."""

    def __init__(self, pids):
        self.pids = pids
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, rss_kb(self.pids))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
