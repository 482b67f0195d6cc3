"""Hostile clients over loopback, each case bounded in time: thousands of idle
connections, a daemon out of file descriptors, 1 MB request lines and
headers, load beyond limits.max_inflight, and a storm of uncached requests.
(Slowloris and pipelining are covered in test_http_api.py.)"""

import http.client
import json
import random
import resource
import socket
import sys
import threading
import time
import unittest

from fibdtest import Daemon, SANITIZED, SLOW, parse_head, raw_exchange

MB = 1 << 20
# ASan's allocator keeps freed memory in quarantine and pads every block.
MEMORY_SLACK = 4 if SANITIZED else 1


def report(text):
    """Measured values, for the test log."""
    print(f"  [abuse] {text}", file=sys.stderr, flush=True)


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout * SLOW
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Client:
    """A keep-alive HTTP client that reconnects after errors."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def get(self, path):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30 * SLOW)
            try:
                self.conn.request("GET", path)
                resp = self.conn.getresponse()
                return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt:
                    raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class AbuseTest(unittest.TestCase):
    def test_2000_idle_connections(self):
        want = 2000
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard < want + 300:
            self.skipTest(f"the hard file descriptor limit ({hard}) is below {want + 300}")
        mine = want + 300 if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, mine), hard))
        self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))

        def usual_soft_limit():
            # As systemd and shells start it: fibd must raise the limit itself.
            resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))

        with Daemon(preexec_fn=usual_soft_limit) as d:
            d.wait_ready()
            with open(f"/proc/{d.proc.pid}/limits") as f:
                line = next(l for l in f if l.startswith("Max open files"))
            self.assertGreaterEqual(int(line.split()[3]), want + 100, line)
            client = Client(d.port)
            for n in range(200):
                client.get(f"/fib/{n}")  # warm the allocators up
            client.close()
            time.sleep(0.2)
            fds_before, rss_before = d.fd_count(), d.rss_bytes()
            socks = []
            try:
                for _ in range(want):
                    socks.append(socket.create_connection(("127.0.0.1", d.port), timeout=10))
                wait_until(lambda: d.fd_count() >= fds_before + want, 10,
                           f"fibd to accept {want} connections (has {d.fd_count()} fds)")
                grown = d.rss_bytes() - rss_before
                report(f"{want} idle connections: +{grown / MB:.1f} MiB RSS, "
                       f"{d.fd_count() - fds_before} more fds")
                self.assertLess(grown, 32 * MB * MEMORY_SLACK,
                                f"{want} idle connections cost {grown / MB:.1f} MiB")
                # Everyone else is still served, and promptly.
                started = time.monotonic()
                status, _, body = d.get("/fib/90")
                self.assertEqual((status, body), (200, b'{"result":2880067194370816120}'))
                self.assertEqual(d.get("/healthz")[0], 200)
                self.assertLess(time.monotonic() - started, 2 * SLOW)
            finally:
                for s in socks:
                    s.close()
            # Every descriptor comes back once the clients are gone.
            wait_until(lambda: d.fd_count() <= fds_before + 2, 10,
                       f"fibd to close the connections (has {d.fd_count()} fds, "
                       f"had {fds_before})")
            self.assertEqual(d.get("/healthz")[0], 200)
            self.assertEqual(d.stop(), 0)

    def test_connections_ending_without_a_request_never_stall_new_ones(self):
        # Found by this suite: a connection that ended before any request
        # reached the handler (silent, garbage, refused head) left its
        # bufferevent registered on a descriptor evhttp had closed; a new
        # connection given the same number was then never polled, and hung
        # until the head timeout. About one request in ten did.
        ends = (b"", b"\x01\x02garbage\r\n\r\n",
                b"GET / HTTP/1.1\r\nX: " + b"a" * 40000 + b"\r\n\r\n")
        with Daemon() as d:
            d.wait_ready()
            stalled = 0
            for _ in range(10):
                for payload in ends:
                    for _ in range(5):
                        with socket.create_connection(("127.0.0.1", d.port), timeout=5) as s:
                            if payload:
                                try:
                                    s.sendall(payload)
                                    s.recv(100)
                                except OSError:
                                    pass
                for _ in range(10):
                    try:
                        if d.get("/healthz", timeout=2)[0] != 200:
                            stalled += 1
                    except OSError:
                        stalled += 1
            self.assertEqual(stalled, 0, "requests on new connections went unanswered")
            self.assertEqual(d.log().count("Epoll"), 0, "libevent warned of a closed descriptor")
            self.assertEqual(d.stop(), 0)

    def test_out_of_file_descriptors(self):
        def tight_limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

        with Daemon(preexec_fn=tight_limit) as d:
            d.wait_ready()
            socks = []
            try:
                # More than it can take: accept() fails with EMFILE.
                for _ in range(120):
                    socks.append(socket.create_connection(("127.0.0.1", d.port), timeout=10))
                time.sleep(0.5)
                before = d.cpu_seconds()
                time.sleep(2)
                used = d.cpu_seconds() - before
                report(f"out of descriptors: {used:.2f} s CPU in 2 s")
                self.assertLess(used, 0.2 * SLOW,
                                f"fibd burnt {used:.2f} s of CPU in 2 s while out of descriptors")
            finally:
                for s in socks:
                    s.close()

            def serves():
                try:
                    return d.get("/fib/20", timeout=2)[2] == b'{"result":6765}'
                except OSError:
                    return False
            wait_until(serves, 10, "fibd to serve again once descriptors are free")
            log = d.log()
            self.assertIn("accept() failed: Too many open files", log)
            self.assertLessEqual(log.count("accept() failed"), 3, "the warning is not rate-limited")
            self.assertEqual(d.stop(), 0)

    def test_1mb_request_line_and_header(self):
        with Daemon() as d:
            d.wait_ready()
            cases = [
                (b"GET /fib/" + b"1" * MB + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "request line"),
                (b"GET /fib/5 HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * MB + b"\r\n\r\n", 431,
                 "request head"),
                (b"GET /fib/5 HTTP/1.1\r\n" + b"X-Many: 0123456789\r\n" * (MB // 20) + b"\r\n",
                 431, "request head"),
            ]
            raw_exchange(d.port, cases[0][0])  # warm up
            rss_before = d.rss_bytes()
            rounds = 5
            for _ in range(rounds):
                for payload, code, names in cases:
                    status, headers, body = raw_exchange(d.port, payload)
                    self.assertEqual(status, code, (names, headers, body[:200]))
                    self.assertEqual(headers.get("connection"), "close")
                    self.assertEqual(headers.get("content-type"), "application/json")
                    self.assertIn(names, json.loads(body)["error"])
            grown = d.rss_bytes() - rss_before
            report(f"{rounds * len(cases)} heads of 1 MB: +{grown / MB:.1f} MiB RSS")
            self.assertLess(grown, 16 * MB * MEMORY_SLACK,
                            f"{rounds * len(cases)} 1 MB heads left {grown / MB:.1f} MiB behind")
            # The server is fine afterwards, keep-alive and pipelining included.
            self.assertEqual(d.get("/fib/10")[2], b'{"result":55}')
            status, _, body = raw_exchange(
                d.port, b"GET /fib/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                        b"GET /fib/2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            self.assertEqual((status, body), (200, b'{"result":1}'))
            self.assertEqual(d.metric('fibd_http_requests_total{code="414"}'), rounds + 1)
            self.assertEqual(d.metric('fibd_http_requests_total{code="431"}'), 2 * rounds)
            self.assertEqual(d.stop(), 0)

    def test_log_and_errors_never_echo_client_input(self):
        marker = "Q" * 6000
        hostile = [
            b"GET /fib/" + marker.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /fib/1\x1b[31mred HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /fib/%0d%0aX-Injected:%20yes HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /fib/%1b%5b2J%22%5c HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /fib/12 HTTP/1.1\r\nHost: x\r\nX-Evil: \x1b]0;owned\x07" + marker.encode()
            + b"\r\n\r\n",
            b"GET /" + marker.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            b"\x1b[2J\x00\xff / HTTP/1.1\r\n\r\n",
        ]
        with Daemon() as d:  # log_level: debug
            d.wait_ready()
            for payload in hostile:
                status, headers, body = raw_exchange(d.port, payload)
                if status is not None:
                    self.assertLess(len(body), 512, (payload[:40], body[:100]))
                    self.assertNotIn(b"\x1b", body)
                    self.assertNotIn(marker.encode(), body)
                    self.assertNotIn(b"X-Injected", b"".join(
                        k.encode() for k in headers))
            self.assertEqual(d.get("/healthz")[0], 200)
            self.assertEqual(d.stop(), 0)
            log = d.log()
            self.assertNotIn("\x1b", log)
            self.assertNotIn("\x07", log)
            self.assertNotIn(marker[:200], log)
            self.assertLess(max(len(line) for line in log.splitlines()), 1024)

    def test_beyond_max_inflight(self):
        config = "workers: 1\nfib:\n  algorithm: naive\nlimits:\n  max_inflight: 4\n"
        with Daemon(extra_config=config) as d:
            d.wait_ready()
            holders = []
            try:
                # Four computations that take far longer than the test.
                for n in (80, 81, 82, 83):
                    s = socket.create_connection(("127.0.0.1", d.port))
                    s.sendall(b"GET /fib/%d HTTP/1.1\r\nHost: x\r\n\r\n" % n)
                    holders.append(s)
                wait_until(lambda: d.metric("fibd_computations_in_flight") == 4, 10,
                           "four computations in flight")

                def overload(count, results):
                    client = Client(d.port)
                    try:
                        for i in range(count):
                            results.append(client.get(f"/fib/{84 + i % 9}"))
                    except Exception as e:  # a missing result fails the test
                        results.append((None, {}, repr(e).encode()))
                    finally:
                        client.close()

                overload(100, [])  # warm up
                rss_before = d.rss_bytes()
                results = []
                threads = [threading.Thread(target=overload, args=(250, results))
                           for _ in range(8)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                self.assertEqual(len(results), 2000)
                for status, headers, body in results:
                    self.assertEqual(status, 503, body)
                    self.assertEqual(headers.get("retry-after"), "1")
                    self.assertIn("max_inflight", json.loads(body)["error"])
                grown = d.rss_bytes() - rss_before
                report(f"2000 requests beyond max_inflight: +{grown / MB:.2f} MiB RSS")
                self.assertLess(grown, 4 * MB * MEMORY_SLACK,
                                f"2000 refused requests left {grown / MB:.1f} MiB behind")
                self.assertEqual(d.metric("fibd_computations_in_flight"), 4)
                self.assertEqual(d.get("/healthz")[0], 200)
            finally:
                for s in holders:
                    s.close()
            # Their clients gone, the computations stop and capacity returns.
            wait_until(lambda: d.metric("fibd_computations_in_flight") == 0, 10,
                       "the abandoned computations to stop")
            self.assertEqual(d.get("/fib/25")[2], b'{"result":75025}')
            self.assertEqual(d.stop(), 0)

    def test_storm_of_uncached_requests(self):
        workers, max_inflight, seconds = 1, 4, 4
        config = (f"workers: {workers}\nfib:\n  algorithm: naive\n"
                  f"limits:\n  max_inflight: {max_inflight}\n")
        with Daemon(extra_config=config) as d:
            d.wait_ready()
            # Threads name themselves once running, which READY does not wait for.
            wait_until(lambda: d.threads_cpu_seconds("fibd-worker")[1] == workers, 10,
                       "the worker threads to name themselves")
            worker_cpu_before, worker_threads = d.threads_cpu_seconds("fibd-worker")
            self.assertEqual(worker_threads, workers)
            rss_before = d.rss_bytes()
            cpu_before = d.cpu_seconds()
            started = time.monotonic()
            stop = threading.Event()
            statuses, errors, peak = [], [], [0]
            lock = threading.Lock()

            def storm(seed):
                rng = random.Random(seed)
                client = Client(d.port)
                try:
                    while not stop.is_set():
                        status, headers, _ = client.get(f"/fib/{rng.randint(24, 36)}")
                        with lock:
                            statuses.append(status)
                            if status == 503 and headers.get("retry-after") != "1":
                                errors.append(("503 without Retry-After", headers))
                        time.sleep(0.02)  # a storm of computations, not of requests
                except Exception as e:  # reported below, in the test's thread
                    with lock:
                        errors.append(repr(e))
                finally:
                    client.close()

            def sample():
                while not stop.is_set():
                    peak[0] = max(peak[0], d.metric("fibd_computations_in_flight"))
                    time.sleep(0.1)

            threads = [threading.Thread(target=storm, args=(i,)) for i in range(16)]
            threads.append(threading.Thread(target=sample))
            for t in threads:
                t.start()
            time.sleep(seconds)
            stop.set()
            for t in threads:
                t.join()
            wall = time.monotonic() - started
            process_rate = (d.cpu_seconds() - cpu_before) / wall
            worker_cpu, _ = d.threads_cpu_seconds("fibd-worker")
            worker_rate = (worker_cpu - worker_cpu_before) / wall

            report(f"storm: {len(statuses)} requests ({statuses.count(503)} 503) in "
                   f"{wall:.1f} s; daemon {process_rate:.2f} cores, worker {worker_rate:.2f}, "
                   f"peak in flight {peak[0]:.0f}, +{(d.rss_bytes() - rss_before) / MB:.1f} MiB")
            self.assertEqual(errors, [])
            self.assertTrue(set(statuses) <= {200, 503}, set(statuses))
            self.assertIn(200, statuses)
            self.assertIn(503, statuses)  # demand far beyond one worker
            self.assertLessEqual(peak[0], max_inflight)
            # The computations ran on the worker only: the whole daemon used
            # about one core (the event loops answer cheaply), not both.
            self.assertLessEqual(worker_rate, workers * 1.05)
            self.assertLess(process_rate, workers + (0.5 if SANITIZED else 0.3),
                            f"daemon {process_rate:.2f} cores, workers {worker_rate:.2f}")
            grown = d.rss_bytes() - rss_before
            self.assertLess(grown, 16 * MB * MEMORY_SLACK, f"{grown / MB:.1f} MiB")
            wait_until(lambda: d.metric("fibd_computations_in_flight") == 0, 30,
                       "the queue to drain")
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
