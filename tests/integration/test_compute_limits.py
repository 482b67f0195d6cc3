"""Computation off the loops: coalescing, cancellation when clients leave,
compute_timeout, and 503 past max_inflight."""

import socket
import threading
import time
import unittest

from fibdtest import Daemon, SLOW, raw_connection

NAIVE = "fib:\n  algorithm: naive\n"


def idle_cpu(d, seconds=1.0):
    """CPU seconds the daemon burns over `seconds` of wall time."""
    before = d.cpu_seconds()
    time.sleep(seconds)
    return d.cpu_seconds() - before


class ComputeLimitsTest(unittest.TestCase):
    def test_naive_matches_fast(self):
        with Daemon(extra_config=NAIVE) as naive, Daemon() as fast:
            naive.wait_ready()
            fast.wait_ready()
            for n in [0, 1, 2, 10, 25, 30]:
                self.assertEqual(naive.get(f"/fib/{n}")[2], fast.get(f"/fib/{n}")[2])
            status, _, body = naive.get("/fib/93")
            self.assertEqual(status, 400)
            self.assertIn(b"92", body)  # naive's max_n is capped at 92

    def test_client_leaving_stops_computation(self):
        with Daemon(extra_config=NAIVE) as d:
            d.wait_ready()
            with raw_connection(d.port) as s:
                s.sendall(b"GET /fib/80 HTTP/1.1\r\nHost: x\r\n\r\n")
                deadline = time.monotonic() + 5 * SLOW
                while d.metric("fibd_computations_in_flight") != 1:
                    self.assertLess(time.monotonic(), deadline, "the computation never started")
                    time.sleep(0.05)
            # the client is gone: the recursion must stop and CPU return to idle
            deadline = time.monotonic() + 5 * SLOW
            while True:
                used = idle_cpu(d, 0.5)
                if used < 0.05:
                    break
                self.assertLess(time.monotonic(), deadline,
                                f"still burning CPU ({used:.2f}s per 0.5s) after the client left")
            self.assertEqual(d.metric("fibd_computations_in_flight"), 0)
            self.assertEqual(d.get("/fib/20")[2], b'{"result":6765}')

    def test_compute_timeout_gives_503_and_stops(self):
        with Daemon(extra_config=NAIVE + "limits:\n  compute_timeout: 300ms\n") as d:
            d.wait_ready()
            start = time.monotonic()
            status, headers, body = d.get("/fib/85")
            self.assertEqual(status, 503)
            self.assertIn("compute_timeout", body.decode())
            self.assertIn("Retry-After", headers)
            self.assertLess(time.monotonic() - start, 5 * SLOW)
            time.sleep(0.3)
            self.assertLess(idle_cpu(d, 0.5), 0.05)

    def test_max_inflight_503(self):
        with Daemon(extra_config=NAIVE + "limits:\n  max_inflight: 2\n") as d:
            d.wait_ready()
            conns = []
            try:
                for n in (80, 81):
                    s = socket.create_connection(("127.0.0.1", d.port))
                    s.sendall(b"GET /fib/%d HTTP/1.1\r\nHost: x\r\n\r\n" % n)
                    conns.append(s)
                time.sleep(0.3)
                status, headers, body = d.get("/fib/82")
                self.assertEqual(status, 503)
                self.assertEqual(headers["Retry-After"], "1")
                self.assertIn("max_inflight", body.decode())
                self.assertEqual(d.metric("fibd_computations_refused_total"), 1)
                # joining a running computation is not a new one: no 503 for n=80
                # (not waited for: it never finishes), and cheap paths still work
                self.assertEqual(d.get("/healthz")[0], 200)
            finally:
                for s in conns:
                    s.close()

    def test_coalescing(self):
        with Daemon(extra_config=NAIVE) as d:
            d.wait_ready()
            results = []

            def fetch():
                results.append(d.get("/fib/38"))

            threads = [threading.Thread(target=fetch) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual([r[0] for r in results], [200] * 8)
            self.assertEqual({r[2] for r in results}, {b'{"result":39088169}'})
            # 8 requests, one computation (all arrived while the first ran: F(38)
            # naively is ~10^8 calls, tens of milliseconds even unoptimised)
            self.assertLessEqual(d.metric("fibd_compute_seconds_count"), 2)


if __name__ == "__main__":
    unittest.main()
