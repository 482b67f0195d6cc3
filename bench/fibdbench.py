#!/usr/bin/env python3
"""fibd's benchmark suite: every figure is a ratio against a baseline measured
in the same run, A and B interleaved (A B A B ...), medians reported.

Run through `make bench` (or bench/run), which installs the tools and builds
first. Writes bench/results/REPORT.md, results.json and a plot.

All traffic goes to 127.0.0.1 on free ports; every load run is bounded in
time (wrk -d) and every process started here is stopped at the end.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
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
WRK_LUA = os.path.join(HERE, "wrk_report.lua")

sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from fibdtest import Daemon, NotifySocket, free_port  # noqa: E402


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def body_for(n):
    return '{"result":%d}' % fib(n)


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


def with_cpu(pids, run):
    """Runs run() (a wrk call) and adds the server's CPU microseconds per request."""
    before = cpu_ticks(pids)
    r = run()
    ticks = cpu_ticks(pids) - before
    r["cpu_us_per_req"] = ticks * 1e6 / os.sysconf("SC_CLK_TCK") / max(1, r["requests"])
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

    def __init__(self, bodies):
        self.dir = tempfile.mkdtemp(prefix="fibd-bench-nginx-")
        self.port = free_port()
        locations = "".join(
            f"    location = {path} {{ default_type application/json; return 200 '{body}'; }}\n"
            for path, body in bodies.items())
        conf = f"""worker_processes 2;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
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


class Redis:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="fibd-bench-redis-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.dir, "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


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


# --------------------------------------------------------------------------
# The suite


class Suite:
    def __init__(self, args):
        self.args = args
        self.d = args.duration
        self.rounds = args.rounds
        self.rows = []      # table rows
        self.plot = []      # (label, fibd rps, baseline rps, fibd p99 ms, baseline p99 ms)
        self.raw = {}
        self.closers = []

    def keep(self, obj):
        self.closers.append(obj)
        return obj

    def close(self):
        for obj in reversed(self.closers):
            with contextlib.suppress(Exception):
                obj.close()

    def row(self, scenario, value, baseline, ratio, target, met, unit="", base_name=""):
        self.rows.append(dict(scenario=scenario, value=value, baseline=baseline, ratio=ratio,
                              target=target, met=met, unit=unit, base_name=base_name))

    def interleave(self, name, a, b, rounds=None):
        """Runs a() and b() alternately; returns lists of their results."""
        ra, rb = [], []
        for i in range(rounds or self.rounds):
            ra.append(a())
            rb.append(b())
            log(f"{name} round {i + 1}: " + fmt_pair(ra[-1], rb[-1]))
        self.raw[name] = {"a": ra, "b": rb}
        return ra, rb

    # -- scenarios ---------------------------------------------------------

    def http_vs_nginx(self):
        path = "/fib/90"
        nginx = self.keep(Nginx({path: body_for(90), "/fib/30": body_for(30)}))
        mem = self.keep(Fibd("memory"))
        warm(mem, [path])
        assert mem.get(path)[1].get("X-Cache") == "hit"
        self.mem = mem
        self.nginx = nginx

        # Idle RSS first, before any load touched more memory.
        time.sleep(0.5)
        self.idle = smaps_kb(mem.pid)
        self.idle_rss_nginx = rss_kb(nginx.pids())

        wrk(mem.url(path), 64, 1)
        wrk(nginx.url(path), 64, 1)
        with RssSampler([mem.pid]) as sampler:
            a, b = self.interleave(
                "memory-hit c64 vs nginx",
                lambda: with_cpu([mem.pid], lambda: wrk(mem.url(path), 64, self.d)),
                lambda: with_cpu(nginx.pids(), lambda: wrk(nginx.url(path), 64, self.d)),
                rounds=self.rounds + 2)
        self.load_rss = sampler.peak
        self.load_rss_nginx = rss_kb(nginx.pids())
        self.throughput_rows("memory hit, c64", a, b, "nginx c64", target=0.9)
        self.p99_rows("memory hit, c64", a, b, "nginx c64", target=1.0)
        cpu = [x["cpu_us_per_req"] / y["cpu_us_per_req"] for x, y in zip(a, b)]
        self.row("memory hit, c64: server CPU per request", med(a, "cpu_us_per_req"),
                 med(b, "cpu_us_per_req"), median(cpu), "", None, "µs", "nginx c64")
        self.plot.append(("memory hit c64", med(a, "rps"), med(b, "rps"),
                          med(a, "p99_us") / 1000, med(b, "p99_us") / 1000))

        a, b = self.interleave("memory-hit c1 vs nginx",
                               lambda: wrk(mem.url(path), 1, self.d),
                               lambda: wrk(nginx.url(path), 1, self.d))
        self.throughput_rows("memory hit, c1", a, b, "nginx c1")
        self.p99_rows("memory hit, c1", a, b, "nginx c1")
        self.plot.append(("memory hit c1", med(a, "rps"), med(b, "rps"),
                          med(a, "p99_us") / 1000, med(b, "p99_us") / 1000))

        none = self.keep(Fibd("none"))
        warm(none, [path])
        a, b = self.interleave("none n=90 c64 vs nginx",
                               lambda: wrk(none.url(path), 64, self.d),
                               lambda: wrk(nginx.url(path), 64, self.d))
        self.throughput_rows("none (compute every time) n=90, c64", a, b, "nginx c64")
        self.plot.append(("none n=90 c64", med(a, "rps"), med(b, "rps"),
                          med(a, "p99_us") / 1000, med(b, "p99_us") / 1000))
        none.close()

    def redis(self):
        keys = 1000
        paths = [f"/fib/{i}" for i in range(keys)]
        redis = self.keep(Redis())
        red = self.keep(Fibd("redis", options={"address": f"127.0.0.1:{redis.port}"}))
        # The same Redis behind an in-process near cache (cache.near.max_bytes).
        near = self.keep(Fibd("redis", options={"address": f"127.0.0.1:{redis.port}"},
                              near="64MiB"))
        mem = self.keep(Fibd("memory"))
        warm(red, paths)
        warm(near, paths)
        warm(mem, paths)
        assert red.get("/fib/90")[1].get("X-Cache") == "hit"
        rb_requests = int(max(20000, 60000 * self.d))
        results = {"redis": [], "near": [], "memory": [], "rb": []}
        wrk(red.url("/"), 64, 1, keys=keys)
        wrk(near.url("/"), 64, 1, keys=keys)
        for i in range(self.rounds):
            results["redis"].append(wrk(red.url("/"), 64, self.d, keys=keys))
            results["near"].append(wrk(near.url("/"), 64, self.d, keys=keys))
            results["memory"].append(wrk(mem.url("/"), 64, self.d, keys=keys))
            results["rb"].append(redis_benchmark(redis.port, 64, rb_requests, "fibd:90"))
            log(f"redis round {i + 1}: redis.so {fmt(results['redis'][-1])} | near+redis "
                f"{fmt(results['near'][-1])} | memory.so {fmt(results['memory'][-1])} | "
                f"redis-benchmark GET {fmt(results['rb'][-1])}")
        self.raw["redis"] = results
        a, nr, m, rb = results["redis"], results["near"], results["memory"], results["rb"]
        self.throughput_rows("redis hit, c64, 1000 keys", a, m, "memory hit c64, 1000 keys",
                             target=0.6)
        self.throughput_rows("near cache warm + redis, c64, 1000 keys", nr, m,
                             "memory hit c64, 1000 keys", target=0.95)
        self.throughput_rows("redis hit, c64, 1000 keys", a, rb, "redis-benchmark GET c64")
        self.p99_rows("redis hit, c64, 1000 keys", a, m, "memory hit c64, 1000 keys")
        self.plot.append(("redis hit c64", med(a, "rps"), med(rb, "rps"),
                          med(a, "p99_us") / 1000, med(rb, "p99_us") / 1000))
        red.close()
        near.close()
        mem.close()
        redis.close()

    def misses(self):
        none = self.keep(Fibd("none"))
        for n in (1000, 100000, 1000000):
            path = f"/fib/{n}"
            warm(none, [path])
            seconds = max(self.d, 2)
            a, b = self.interleave(
                f"miss fast n={n} c1 vs GMP",
                lambda: wrk(none.url(path), 1, seconds),
                lambda: gmp_baseline("fast", n, seconds / 2))
            # p10 on both sides: on these shared machines a CPU-bound loop
            # runs at two speeds depending on what shares its core (F(10^6)
            # in-process: ~7 ms or ~11 ms), and the low percentile is the
            # intrinsic cost, alike for both.
            lat = [r["p10_us"] for r in a]
            base = [r["p10_us"] for r in b]
            ratios = [x / y for x, y in zip(lat, base)]
            self.row(f"miss, fast, n={n:.0e}".replace("+0", ""), median(lat) / 1000,
                     median(base) / 1000, median(ratios), "≤ 1.3×" if n == 1000000 else "",
                     (median(ratios) <= 1.3) if n == 1000000 else None, "ms (p10 latency, c1)",
                     "GMP in-process compute + print, p10")
            self.plot.append((f"miss n={n:.0e}".replace("+0", ""), med(a, "rps"),
                              1e6 / median(base), med(a, "p99_us") / 1000, median(base) / 1000))
        none.close()

        naive = self.keep(Fibd("none", algorithm="naive", max_n=92))
        warm(naive, ["/fib/30"])
        a, b = self.interleave("naive n=30 c1 vs in-process",
                               lambda: wrk(naive.url("/fib/30"), 1, self.d),
                               lambda: gmp_baseline("naive", 30, self.d / 2))
        lat = [r["p10_us"] for r in a]
        base = [r["p10_us"] for r in b]
        self.row("naive n=30", median(lat) / 1000, median(base) / 1000,
                 median([x / y for x, y in zip(lat, base)]), "", None,
                 "ms (p10 latency, c1)", "same recursion in-process, p10")
        self.plot.append(("naive n=30 c1", med(a, "rps"), 1e6 / median(base),
                          med(a, "p99_us") / 1000, median(base) / 1000))
        naive.close()

    def reload_storm(self):
        path = "/fib/90"
        fibd = self.keep(Fibd("memory", options={"shards": "16"}))
        warm(fibd, [path])
        stop = threading.Event()
        count = [0]

        def storm():
            # Alternating options makes every Reload swap the plugin instance
            # (a fresh, empty cache), the most expensive kind of reload.
            while not stop.wait(0.1):
                fibd.rewrite_options({"shards": "8" if count[0] % 2 == 0 else "16"})
                os.kill(fibd.pid, signal.SIGHUP)
                count[0] += 1

        def storm_run():
            stop.clear()
            t = threading.Thread(target=storm)
            t.start()
            try:
                return wrk(fibd.url(path), 64, self.d)
            finally:
                stop.set()
                t.join()

        before = fibd.metric('fibd_reloads_total{result="ok"}')
        wrk(fibd.url(path), 64, 1)
        a, b = self.interleave("reload storm vs steady", storm_run,
                               lambda: wrk(fibd.url(path), 64, self.d),
                               rounds=self.rounds + 2)
        time.sleep(0.3)
        reloads = fibd.metric('fibd_reloads_total{result="ok"}') - before
        failed = fibd.metric('fibd_reloads_total{result="failed"}')
        self.storm_info = dict(signals=count[0], reloads_ok=reloads, reloads_failed=failed,
                               errors=sum(r["errors"] for r in a))
        p99a = [r["p99_us"] for r in a]
        p99b = [r["p99_us"] for r in b]
        self.row("p99 during a reload storm (plugin swap every 100 ms), c64",
                 median(p99a) / 1000, median(p99b) / 1000,
                 median([x / y for x, y in zip(p99a, p99b)]), "≤ 2×",
                 median([x / y for x, y in zip(p99a, p99b)]) <= 2, "ms", "steady p99, c64")
        self.plot.append(("reload storm c64", med(a, "rps"), med(b, "rps"),
                          med(a, "p99_us") / 1000, med(b, "p99_us") / 1000))
        fibd.close()

    def startup(self):
        d = tempfile.mkdtemp(prefix="fibd-bench-ready-")
        notify = self.keep(NotifySocket(d))
        port = free_port()
        cfg = os.path.join(d, "fibd.yaml")
        with open(cfg, "w") as f:
            f.write(fibd_config(port, "memory"))
        env = dict(os.environ, NOTIFY_SOCKET=notify.path)
        env.pop("JOURNAL_STREAM", None)
        env.pop("INVOCATION_ID", None)

        def fibd_ready():
            seen = len(notify.messages)
            t0 = time.perf_counter()
            pid = os.posix_spawn(FIBD, [FIBD, "--config", cfg], env)
            notify.wait_for("READY=1", timeout=30, after=seen)
            ms = (time.perf_counter() - t0) * 1000
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
            return ms

        def true_exit():
            t0 = time.perf_counter()
            pid = os.posix_spawn("/bin/true", ["/bin/true"], env)
            os.waitpid(pid, 0)
            return (time.perf_counter() - t0) * 1000

        a, b = [], []
        fibd_ready()  # page cache warm
        for _ in range(self.args.starts):
            a.append(fibd_ready())
            b.append(true_exit())
        self.raw["exec to READY"] = {"a": a, "b": b}
        log(f"exec to READY: median {median(a):.2f} ms (spawn+exit of /bin/true {median(b):.2f} ms)")
        self.row("exec → READY=1 (real NOTIFY_SOCKET)", median(a), median(b),
                 median(a) / median(b), "≤ 20 ms", median(a) <= 20, "ms",
                 "spawn → exit of /bin/true")
        shutil.rmtree(d, ignore_errors=True)

    def rss_rows(self):
        idle = self.idle
        self.row("RSS idle (memory.so loaded, after READY)", idle["Rss"] / 1024,
                 self.idle_rss_nginx / 1024, idle["Rss"] / self.idle_rss_nginx, "≤ 5 MB",
                 idle["Rss"] <= 5 * 1024, "MB", "nginx master + 2 workers, idle")
        self.row("RSS under load (peak during memory hit c64)", self.load_rss / 1024,
                 self.load_rss_nginx / 1024, self.load_rss / self.load_rss_nginx, "", None, "MB",
                 "nginx master + 2 workers, after load")

    def ab(self, other):
        """This build (A) against another fibd binary (B): the effect of a change."""
        path = "/fib/90"
        new = self.keep(Fibd("memory"))
        old = self.keep(Fibd("memory", binary=other))
        warm(new, [path, "/fib/100000"])
        warm(old, [path, "/fib/100000"])
        for conns in (64, 1):
            wrk(new.url(path), conns, 1)
            wrk(old.url(path), conns, 1)
            a, b = self.interleave(
                f"A/B memory hit c{conns}",
                lambda: with_cpu([new.pid], lambda: wrk(new.url(path), conns, self.d)),
                lambda: with_cpu([old.pid], lambda: wrk(old.url(path), conns, self.d)))
            self.throughput_rows(f"A/B memory hit, c{conns}", a, b, "other build")
            self.p99_rows(f"A/B memory hit, c{conns}", a, b, "other build")
            cpu = [x["cpu_us_per_req"] / y["cpu_us_per_req"] for x, y in zip(a, b)]
            self.row(f"A/B memory hit, c{conns}: server CPU per request",
                     med(a, "cpu_us_per_req"), med(b, "cpu_us_per_req"), median(cpu), "", None,
                     "µs", "other build")
        a, b = self.interleave("A/B memory hit n=100000 c1",
                               lambda: wrk(new.url("/fib/100000"), 1, self.d),
                               lambda: wrk(old.url("/fib/100000"), 1, self.d))
        self.p99_rows("A/B memory hit n=100000 (20 kB body), c1", a, b, "other build")
        lat = [x["p50_us"] / y["p50_us"] for x, y in zip(a, b)]
        self.row("A/B memory hit n=100000 (20 kB body), c1: p50 latency",
                 med(a, "p50_us") / 1000, med(b, "p50_us") / 1000, median(lat), "", None, "ms",
                 "other build")

    def value_check(self):
        """What checking every cached value costs (issue 14): this fibd
        against the same build without the check (build/bench/fibd-unchecked),
        memory hits at c64, interleaved."""
        checked = self.keep(Fibd("memory"))
        unchecked = self.keep(Fibd("memory", binary=FIBD_UNCHECKED))
        for n, target in ((90, 0.97), (1000000, 0.90)):
            path = f"/fib/{n}"
            warm(checked, [path])
            warm(unchecked, [path])
            assert checked.get(path)[1].get("X-Cache") == "hit"
            wrk(checked.url(path), 64, 1)
            wrk(unchecked.url(path), 64, 1)
            a, b = self.interleave(
                f"value check n={n} c64",
                lambda: with_cpu([checked.pid], lambda: wrk(checked.url(path), 64, self.d)),
                lambda: with_cpu([unchecked.pid], lambda: wrk(unchecked.url(path), 64, self.d)),
                rounds=self.rounds + 2)
            self.throughput_rows(f"memory hit n={n} with the value check, c64", a, b,
                                 "without the check", target=target)
            cpu = [x["cpu_us_per_req"] / y["cpu_us_per_req"] for x, y in zip(a, b)]
            self.row(f"memory hit n={n} with the value check, c64: server CPU per request",
                     med(a, "cpu_us_per_req"), med(b, "cpu_us_per_req"), median(cpu), "", None,
                     "µs", "without the check")

    # -- helpers -----------------------------------------------------------

    def throughput_rows(self, scenario, a, b, base_name, target=None):
        ratios = [x["rps"] / y["rps"] for x, y in zip(a, b)]
        r = median(ratios)
        self.row(f"{scenario}: throughput", med(a, "rps"), med(b, "rps"), r,
                 f"≥ {target}×" if target else "", (r >= target) if target else None,
                 "req/s", base_name)

    def p99_rows(self, scenario, a, b, base_name, target=None):
        ratios = [x["p99_us"] / y["p99_us"] for x, y in zip(a, b)]
        r = median(ratios)
        self.row(f"{scenario}: p99 latency", med(a, "p99_us") / 1000, med(b, "p99_us") / 1000,
                 r, f"≤ {target}× (≤ nginx)" if target else "",
                 (r <= target) if target else None, "ms", base_name)


def med(results, key):
    return median([r[key] for r in results])


def fmt(r):
    if "rps" in r:
        return f"{r['rps']:.0f} req/s p99 {r.get('p99_us', 0) / 1000:.2f} ms" + (
            f" ERRORS {r['errors']}" if r.get("errors") else "")
    return f"p10 {r.get('p10_us', 0) / 1000:.3f} ms, p50 {r.get('median_us', 0) / 1000:.3f} ms"


def fmt_pair(a, b):
    return f"{fmt(a)} | {fmt(b)}"


# --------------------------------------------------------------------------
# Report


def num(v):
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def table(rows):
    lines = ["| scenario | value | baseline | ratio | target | met? |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
        lines.append(f"| {r['scenario']} | {num(r['value'])} {r['unit']} | "
                     f"{num(r['baseline'])} ({r['base_name']}) | {r['ratio']:.2f}× | "
                     f"{r['target']} | {met} |")
    return "\n".join(lines)


def machine():
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    except OSError:
        model = "?"
    load = os.getloadavg()
    return (f"{os.cpu_count()} CPUs ({model}), Linux {platform.release()}, "
            f"load average at start {load[0]:.1f}")


def write_report(suite, out_dir, started, load_at_start):
    os.makedirs(out_dir, exist_ok=True)
    lines = ["# fibd benchmark report", "",
             f"Generated by `make bench` on {started:%Y-%m-%d %H:%M} UTC; {load_at_start}.",
             f"{suite.rounds} interleaved rounds (A B A B …) of {suite.d} s per load run, "
             "wrk -t2 (-t1 at c1), loopback. Values and baselines are medians; the ratio is "
             "the median of the per-round ratios (value ÷ baseline), so a noisy round moves "
             "both sides of its pair.", "",
             table(suite.rows)]
    idle = suite.idle
    lines += ["",
              f"Idle memory of fibd in detail: Rss {idle['Rss']} kB = Pss {idle['Pss']} kB "
              f"(its share of pages it shares with other processes) + the rest shared; "
              f"private (USS) {idle['Uss']} kB, of which anonymous "
              f"{idle.get('Anonymous', 0)} kB. The shared part is clean, read-only library "
              "text mapped from the page cache.",
              "",
              f"Reload storm: {suite.storm_info['signals']} SIGHUPs sent, "
              f"{suite.storm_info['reloads_ok']:.0f} reloads ok, "
              f"{suite.storm_info['reloads_failed']:.0f} failed, "
              f"{suite.storm_info['errors']} failed requests under it.",
              "",
              "![throughput and p99 per scenario](bench.png)", ""]
    with open(os.path.join(out_dir, "REPORT.md"), "w") as f:
        f.write("\n".join(lines))
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"rows": suite.rows, "raw": suite.raw, "plot": suite.plot}, f, indent=1)
    plot(suite.plot, out_dir)
    if os.path.abspath(out_dir) == os.path.join(HERE, "results"):
        update_docs("\n".join(lines[:lines.index("![throughput and p99 per scenario](bench.png)")]))


def update_docs(report):
    """docs/performance.md carries the latest report between its markers."""
    path = os.path.join(ROOT, "docs", "performance.md")
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return
    begin, end = "<!-- REPORT:BEGIN -->", "<!-- REPORT:END -->"
    if begin not in text or end not in text:
        return
    body = report.replace("# fibd benchmark report\n", "").strip()
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w") as f:
        f.write(f"{head}{begin}\n{body}\n{end}{tail}")


def plot(points, out_dir):
    data = os.path.join(out_dir, "plot.dat")
    with open(data, "w") as f:
        f.write("# label fibd_rps base_rps fibd_p99 base_p99 (misses, naive: in-process p10)\n")
        for label, a, b, pa, pb in points:
            f.write(f'"{label}" {a:.1f} {b:.1f} {pa:.3f} {pb:.3f}\n')
    script = f"""
set terminal pngcairo size 1400,900 font "sans,10"
set output "{os.path.join(out_dir, 'bench.png')}"
set multiplot layout 2,1 title "fibd vs in-run baselines (medians; baseline per scenario: see REPORT.md)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top right
set xtics rotate by -20 nomirror
set logscale y
set ylabel "requests/s (log)"
plot "{data}" using 2:xtic(1) title "fibd" lc rgb "#2a6fb0", "" using 3 title "baseline" lc rgb "#b0b0b0"
set ylabel "p99 latency, ms (log)"
plot "{data}" using 4:xtic(1) title "fibd" lc rgb "#c0504d", "" using 5 title "baseline" lc rgb "#b0b0b0"
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_DURATION", 3)),
                   help="seconds per load run (default 3)")
    p.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 3)),
                   help="interleaved rounds per comparison (default 3)")
    p.add_argument("--starts", type=int, default=15, help="launches for exec→READY")
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    p.add_argument("--only", default="", help="comma list: http,redis,misses,storm,startup,check")
    p.add_argument("--ab", metavar="FIBD",
                   help="instead of the suite: compare this build with another fibd binary "
                        "(memory hits at c64 and c1, a 20 kB body), print the table")
    args = p.parse_args()

    for tool in ("wrk", "redis-server", "redis-benchmark", "gnuplot"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is missing (bench/run installs it)")
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        sys.exit("bench: nginx is missing (bench/run installs nginx-light)")
    for f in (FIBD, GMP_BASELINE, FIBD_UNCHECKED):
        if not os.access(f, os.X_OK):
            sys.exit(f"bench: {f} is not built (make bench builds it)")

    started = datetime.datetime.now(datetime.timezone.utc)
    load = machine()
    log(load)
    suite = Suite(args)
    if args.ab:
        try:
            suite.ab(args.ab)
        finally:
            suite.close()
        print(table(suite.rows))
        return
    only = set(filter(None, args.only.split(",")))
    t0 = time.monotonic()
    try:
        if not only or "http" in only:
            suite.http_vs_nginx()
        if not only or "redis" in only:
            suite.redis()
        if not only or "misses" in only:
            suite.misses()
        if not only or "storm" in only:
            suite.reload_storm()
        if not only or "startup" in only:
            suite.startup()
        if not only or "check" in only:
            suite.value_check()
        if hasattr(suite, "idle"):
            suite.rss_rows()
        if not hasattr(suite, "storm_info"):
            suite.storm_info = dict(signals=0, reloads_ok=0, reloads_failed=0, errors=0)
        if not hasattr(suite, "idle"):
            suite.idle = {"Rss": 0, "Pss": 0, "Uss": 0}
    finally:
        suite.close()
    write_report(suite, args.out, started, load)
    log(f"done in {time.monotonic() - t0:.0f} s; report: {os.path.join(args.out, 'REPORT.md')}")
    print(open(os.path.join(args.out, "REPORT.md")).read())


if __name__ == "__main__":
    main()
