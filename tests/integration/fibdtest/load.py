"""A load generator for integration tests: client threads on keep-alive
connections asking for /fib/n, checking every answer against an independent
computation and timing it. A failed request is recorded, never raised."""

import http.client
import threading
import time

from . import SLOW


def fib(n):
    """F(n) on Python integers, independent of the daemon."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def fib_body(n):
    """The exact body fibd answers for /fib/n."""
    return b'{"result":%d}' % fib(n)


class ClientThreads:
    """Client threads started on entering and stopped (and joined) on
    leaving; subclasses fill self.threads and check self.stop."""

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()


class Load(ClientThreads):
    """`threads` clients cycle through `numbers`, each from its own offset."""

    def __init__(self, port, threads=8, numbers=range(10, 70, 10)):
        self.port = port
        self.numbers = list(numbers)
        self.expected = {n: fib_body(n) for n in self.numbers}
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.samples = []  # (monotonic start, seconds, n) of every answer
        self.failures = []  # (n, status or "exception", detail)
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(threads)]

    @property
    def ok(self):
        with self.lock:
            return len(self.samples) - len(self.failures)

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30 * SLOW)

    def run(self, index):
        i = index * 37
        conn = self.connection()
        while not self.stop.is_set():
            n = self.numbers[i % len(self.numbers)]
            i += 1
            started = time.monotonic()
            try:
                conn.request("GET", f"/fib/{n}")
                resp = conn.getresponse()
                data = resp.read()
                with self.lock:
                    self.samples.append((started, time.monotonic() - started, n))
                    if resp.status != 200 or data != self.expected[n]:
                        self.failures.append((n, resp.status, data[:100]))
            except Exception as e:  # a failed request is exactly what we look for
                with self.lock:
                    self.samples.append((started, time.monotonic() - started, n))
                    self.failures.append((n, "exception", repr(e)))
                conn.close()
                conn = self.connection()
        conn.close()

    def between(self, start, end):
        """The samples of requests started in [start, end)."""
        with self.lock:
            return [s for s in self.samples if start <= s[0] < end]
