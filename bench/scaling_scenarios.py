"""How cost grows with work (issue 22), against nginx's `return 200` in the
same run: memory hits at 1 to 1,024 connections and at 64 beside 10,000
idle keep-alive connections (req/s, server CPU per request, p99), the
memory an idle connection costs, and what memory.so holds per cached entry
over the raw digits. Mixed into fibdbench.Suite, which provides the helpers
(keep, interleave, row, sections)."""

import contextlib
import http.client
import os
import resource
import socket
import subprocess
import sys
import time

from benchkit import Fibd, Nginx, body_for, log, median, rss_kb, warm, with_cpu, wrk
from report import med, num

LEVELS = (1, 16, 64, 256, 1024)
IDLE = 10000
PATH = "/fib/90"


class RoomyFibd(Fibd):
    """fibd allowed more connections than the 10,000 of the default config,
    and keeping idle ones for the length of the scenario."""

    def config(self, port, options):
        return super().config(port, options) + (
            f"http:\n  max_connections: {IDLE + 2048}\n  idle_timeout: 10m\n")


class IdleConnections:
    """count keep-alive connections that each got one answer, then wait; held
    by a child process (this module run as a script), so that each process
    needs only as many descriptors as one server's idle set."""

    def __init__(self, port, count):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), str(port),
                                      str(count)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline().strip()
        if line != f"open {count}":
            self.close()
            raise RuntimeError(f"idle client: {line or 'exited'}")

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(30)


def hold_idle(port, count):
    """The child's side: open, ask once on each, report, wait for stdin's end."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    socks = []
    request = f"GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    try:
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            socks.append(s)
            s.sendall(request)
        for s in socks:
            answer = s.recv(4096)
            if not answer.startswith(b"HTTP/1.1 200 "):
                raise RuntimeError(f"answered {answer[:40]!r}")
    except (OSError, RuntimeError) as e:
        print(f"failed after {len(socks)} connections: {e}", flush=True)
        return 1
    print(f"open {count}", flush=True)
    sys.stdin.read()
    return 0


@contextlib.contextmanager
def open_files():
    """The soft RLIMIT_NOFILE raised to the hard one for the servers started
    here (fibd raises its own too); restored afterwards. Yields the limit."""
    saved = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (saved[1], saved[1]))
    try:
        yield saved[1]
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, saved)


def settled_rss(pids):
    time.sleep(0.5)
    return rss_kb(pids)


class ScalingScenarios:
    def scaling(self):
        # At most 3 rounds: each round is six lines of two loads.
        rounds = min(3, self.rounds)
        with open_files() as limit:
            fibd = self.keep(RoomyFibd("memory"))
            nginx = self.keep(Nginx({PATH: body_for(90)}, worker_connections=IDLE + 2048,
                                    keepalive_timeout="600s"))
            warm(fibd, [PATH])
            wrk(fibd.url(PATH), 64, 1)
            wrk(nginx.url(PATH), 64, 1)
            lines = []
            for conns in LEVELS:
                a, b = self.interleave(
                    f"scaling c{conns} vs nginx",
                    lambda: with_cpu([fibd.pid], lambda: wrk(fibd.url(PATH), conns, self.d)),
                    lambda: with_cpu(nginx.pids(), lambda: wrk(nginx.url(PATH), conns, self.d)),
                    rounds=rounds)
                lines.append(scaling_line(f"{conns:,}", a, b))
            if limit >= IDLE + 2048:
                lines.append(self.beside_idle(fibd, nginx, rounds))
            else:
                log(f"scaling: {IDLE} idle connections skipped (RLIMIT_NOFILE {limit})")
                self.notes.append(f"The {IDLE:,} idle connections were skipped: RLIMIT_NOFILE "
                                  f"is {limit} and could not be raised.")
            fibd.close()
            nginx.close()
        self.sections.append("\n".join([
            f"How cost grows with connections: memory hits of `{PATH}` against nginx "
            f"`return 200`, {rounds} interleaved rounds per line (at most 3, to bound the run; "
            f"the headline hit rows run 7), wrk -t2 (-t1 at c1). Ratios are medians of per-round "
            f"ratios; CPU per request is the server's, all its processes and threads.", "",
            "| connections | fibd req/s | nginx req/s | ratio | fibd CPU/req | nginx CPU/req "
            "| ratio | fibd p99 | nginx p99 | ratio |",
            "|---|---|---|---|---|---|---|---|---|---|"] + lines))
        self.memory_per_entry()

    def beside_idle(self, fibd, nginx, rounds):
        before = (settled_rss([fibd.pid]), settled_rss(nginx.pids()))
        idle_f = self.keep(IdleConnections(fibd.port, IDLE))
        idle_n = self.keep(IdleConnections(nginx.port, IDLE))
        after = (settled_rss([fibd.pid]), settled_rss(nginx.pids()))
        open_now = fibd.metric("fibd_http_connections_open")
        log(f"{IDLE} idle connections each: fibd RSS {before[0]} -> {after[0]} kB "
            f"({open_now:.0f} open), nginx {before[1]} -> {after[1]} kB")
        if open_now < IDLE:
            raise RuntimeError(f"fibd holds {open_now:.0f} connections, not {IDLE}")
        per = [(x - y) * 1024 / IDLE for x, y in zip(after, before)]
        self.row(f"memory per idle keep-alive connection ({IDLE:,} open, RSS growth)", per[0],
                 per[1], per[0] / per[1] if per[1] > 0 else None, "", None, "bytes",
                 "nginx master + 2 workers")
        wrk(fibd.url(PATH), 64, 1)
        wrk(nginx.url(PATH), 64, 1)
        a, b = self.interleave(
            f"c64 beside {IDLE} idle vs nginx",
            lambda: with_cpu([fibd.pid], lambda: wrk(fibd.url(PATH), 64, self.d)),
            lambda: with_cpu(nginx.pids(), lambda: wrk(nginx.url(PATH), 64, self.d)),
            rounds=rounds)
        idle_f.close()
        idle_n.close()
        return scaling_line(f"64 beside {IDLE:,} idle", a, b)

    def memory_per_entry(self, entries=10000):
        """memory.so filled with F(0)..F(entries-1): fibd's RSS growth against
        the digits it holds."""
        fibd = self.keep(Fibd("memory", options={"max_bytes": "256MiB"}))
        conn = http.client.HTTPConnection("127.0.0.1", fibd.port, timeout=60)
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        before = settled_rss([fibd.pid])
        digits = 0
        for n in range(entries):
            conn.request("GET", f"/fib/{n}")
            r = conn.getresponse()
            digits += len(r.read()) - len('{"result":}')
        conn.close()
        hits = 0
        for n in (0, entries // 2, entries - 1):  # still there: nothing was evicted
            hits += fibd.get(f"/fib/{n}")[1].get("X-Cache") == "hit"
        after = settled_rss([fibd.pid])
        growth = (after - before) * 1024
        log(f"memory.so with {entries} entries ({digits} digits): RSS {before} -> {after} kB, "
            f"{hits}/3 sampled entries hit")
        self.row(f"memory.so: RSS growth per cached entry ({entries:,} entries, F(0)..F("
                 f"{entries - 1:,}))", growth / entries, digits / entries, growth / digits, "",
                 None, "bytes", "the entry's raw digits")
        self.row("memory.so: RSS growth per entry beyond its digits", (growth - digits) / entries,
                 None, None, "", None, "bytes", "")
        fibd.close()


def scaling_line(label, a, b):
    def ratio(key):
        return median([x[key] / y[key] for x, y in zip(a, b)])
    errors = sum(r["errors"] for r in a + b)
    return (f"| {label} | {num(med(a, 'rps'))} | {num(med(b, 'rps'))} | {ratio('rps'):.2f}× | "
            f"{num(med(a, 'cpu_us_per_req'))} µs | {num(med(b, 'cpu_us_per_req'))} µs | "
            f"{ratio('cpu_us_per_req'):.2f}× | {num(med(a, 'p99_us') / 1000)} ms | "
            f"{num(med(b, 'p99_us') / 1000)} ms | {ratio('p99_us'):.2f}× |"
            + (f" **{errors} failed requests**" if errors else ""))


if __name__ == "__main__":
    sys.exit(hold_idle(int(sys.argv[1]), int(sys.argv[2])))
