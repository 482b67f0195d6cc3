"""Every row of the HTTP API table in SPEC.md, over real sockets."""

import json
import os
import socket
import sys
import time
import unittest

from fibdtest import Daemon, PLUGIN_DIR, SLOW, raw_connection, raw_exchange, read_until_eof

F93 = 12200160415121876738
sys.set_int_max_str_digits(0)


def fib_reference(n):
    """Independent check: fast doubling on Python integers."""
    def pair(k):
        if k == 0:
            return 0, 1
        a, b = pair(k >> 1)
        c = a * (2 * b - a)
        d = a * a + b * b
        return (d, c + d) if k & 1 else (c, d)
    return pair(n)[0]
F100 = 354224848179261915075


class HttpApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon().wait_ready()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def get_json(self, path):
        status, headers, body = self.d.get(path)
        return status, headers, json.loads(body)

    def test_known_values(self):
        for n, expected in [(0, 0), (1, 1), (2, 1), (10, 55), (90, 2880067194370816120),
                            (93, F93), (100, F100)]:
            status, headers, body = self.d.get(f"/fib/{n}")
            self.assertEqual(status, 200, body)
            self.assertEqual(headers["Content-Type"], "application/json")
            self.assertEqual(headers["X-Cache"], "miss")  # plugin none
            self.assertEqual(body, b'{"result":%d}' % expected)
            self.assertEqual(json.loads(body)["result"], expected)

    def test_large_n_exact(self):
        status, _, body = self.d.get("/fib/100000")
        self.assertEqual(status, 200)
        digits = json.loads(body.decode(), parse_int=str)["result"]
        self.assertEqual(len(digits), 20899)
        self.assertEqual(digits, str(fib_reference(100000)))

    def test_leading_zeros_and_query_ignored(self):
        self.assertEqual(self.get_json("/fib/010")[2], {"result": 55})
        self.assertEqual(self.get_json("/fib/10?x=1&y")[2], {"result": 55})

    def test_head(self):
        status, headers, body = self.d.request("HEAD", "/fib/93")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"")
        self.assertEqual(int(headers["Content-Length"]), len(b'{"result":%d}' % F93))
        self.assertIn(headers["X-Cache"], ("hit", "miss"))

    def test_malformed_n(self):
        for bad in ["abc", "-1", "+5", "1e3", "12x", "", "%00", "1%20", "0x10", "1.0",
                    "123456789012345678901234567890"]:
            status, headers, body = self.get_json("/fib/" + bad)
            self.assertEqual(status, 400, bad)
            self.assertEqual(headers["Content-Type"], "application/json")
            self.assertIn("error", body)
            if bad == "123456789012345678901234567890":
                self.assertIn("1000000", body["error"])  # names the limit
            else:
                self.assertIn("decimal", body["error"])

    def test_over_max_n_names_limit(self):
        status, _, body = self.get_json("/fib/1000001")
        self.assertEqual(status, 400)
        self.assertIn("fib.max_n", body["error"])
        self.assertIn("1000000", body["error"])

    def test_error_echo_is_bounded_and_escaped(self):
        status, _, body = self.get_json("/fib/" + "a" * 5000 + "%22")
        self.assertEqual(status, 400)
        self.assertLess(len(body["error"]), 300)

    def test_not_found(self):
        for path in ["/", "/fib", "/fibonacci/3", "/healthz/x", "/metrics2"]:
            status, headers, body = self.get_json(path)
            self.assertEqual(status, 404, path)
            self.assertIn("error", body)

    def test_method_not_allowed(self):
        for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]:
            for path in ["/fib/3", "/healthz", "/metrics"]:
                status, headers, body = self.d.request(method, path)
                self.assertEqual(status, 405, (method, path))
                self.assertEqual(headers["Allow"], "GET, HEAD")
                self.assertIn("error", json.loads(body))

    def test_healthz(self):
        status, _, body = self.get_json("/healthz")
        self.assertEqual((status, body), (200, {"status": "ok"}))

    def test_metrics(self):
        self.d.get("/fib/7")
        status, headers, body = self.d.get("/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        text = body.decode()
        for name in ["fibd_http_requests_total{code=\"200\"}", "fibd_cache_hits_total",
                     "fibd_cache_misses_total", "fibd_cache_errors_total",
                     "fibd_compute_seconds_bucket", "fibd_computations_in_flight",
                     "fibd_plugin_info{", "fibd_reloads_total{result=\"ok\"}",
                     "fibd_reloads_total{result=\"failed\"}"]:
            self.assertIn(name, text)
        self.assertIn('name="none"', text)

    def test_huge_url(self):
        status, headers, body = raw_exchange(
            self.d.port, b"GET /fib/" + b"1" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(status, 414)
        self.assertIn("error", json.loads(body))
        self.assertEqual(self.d.get("/healthz")[0], 200)

    def test_header_flood(self):
        status, headers, body = raw_exchange(
            self.d.port, b"GET /fib/5 HTTP/1.1\r\n" + b"X-A: b\r\n" * 20000 + b"\r\n")
        self.assertEqual(status, 431)
        self.assertIn("error", json.loads(body))
        self.assertEqual(self.d.get("/healthz")[0], 200)

    def test_pipelined_in_order(self):
        with raw_connection(self.d.port) as s:
            s.sendall(b"".join(b"GET /fib/%d HTTP/1.1\r\nHost: x\r\n\r\n" % n for n in (10, 20, 30)))
            rest = b""
            for n, expected in [(10, 55), (20, 6765), (30, 832040)]:
                resp, rest = read_response_buffered(s, rest)
                self.assertIn(b'{"result":%d}' % expected, resp)

    def test_keep_alive(self):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.d.port, timeout=10)
        try:
            for n in range(5):
                conn.request("GET", f"/fib/{n}")
                self.assertEqual(conn.getresponse().read(), b'{"result":%d}' % [0, 1, 1, 2, 3][n])
        finally:
            conn.close()


    def test_http10_answered_then_closed(self):
        # The response is written and the request finished in the same loop
        # iteration; a connection that is not kept alive is freed right then.
        with raw_connection(self.d.port) as s:
            s.sendall(b"GET /fib/10 HTTP/1.0\r\n\r\n")
            data = read_until_eof(s)
        self.assertTrue(data.startswith(b"HTTP/1.0 200") or data.startswith(b"HTTP/1.1 200"), data)
        self.assertTrue(data.endswith(b'{"result":55}'), data)

    def test_connection_close_answered_then_closed(self):
        with raw_connection(self.d.port) as s:
            s.sendall(b"GET /fib/11 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = read_until_eof(s)
        self.assertIn(b"\r\nConnection: close\r\n", data)
        self.assertTrue(data.endswith(b'{"result":89}'), data)

    def test_large_body_to_a_slow_reader_then_keep_alive(self):
        # A 209 kB body cannot go out in one write to a client with a small
        # receive window: the rest must follow on writability, and the
        # connection must then serve its next request.
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(30 * SLOW)
            s.connect(("127.0.0.1", self.d.port))
            s.sendall(b"GET /fib/1000000 HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.3)
            resp, rest = read_response_buffered(s, b"")
            body = resp.split(b"\r\n\r\n", 1)[1]
            digits = json.loads(body.decode(), parse_int=str)["result"]
            self.assertEqual(len(digits), 208988)
            self.assertEqual(digits[:10], "1953282128")
            s.sendall(b"GET /fib/12 HTTP/1.1\r\nHost: x\r\n\r\n")
            resp, _ = read_response_buffered(s, rest)
            self.assertTrue(resp.endswith(b'{"result":144}'), resp)


class MemoryHitPathTest(unittest.TestCase):
    """Hits answered on the loop: small bodies copied, large ones referenced."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(plugin=os.path.join(os.path.abspath(PLUGIN_DIR), "memory.so")).wait_ready()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def test_pipelined_hits_small_and_large(self):
        sizes = {10: None, 100000: 20899, 1000000: 208988, 20: None}
        for n in sizes:
            self.assertEqual(self.d.get(f"/fib/{n}")[0], 200)  # fill the cache
        # A miss is answered before its value is written: wait for the writes.
        self.d.wait_cache_written()
        with raw_connection(self.d.port, timeout=30) as s:
            s.sendall(b"".join(b"GET /fib/%d HTTP/1.1\r\nHost: x\r\n\r\n" % n for n in sizes))
            rest = b""
            for n, digits in sizes.items():
                resp, rest = read_response_buffered(s, rest)
                head, body = resp.split(b"\r\n\r\n", 1)
                self.assertIn(b"X-Cache: hit", head)
                value = json.loads(body.decode(), parse_int=str)["result"]
                if digits is None:
                    self.assertEqual(int(value), fib_reference(n))
                else:
                    self.assertEqual(len(value), digits)
                    self.assertEqual(value[-12:], str(fib_reference(n))[-12:])

    def test_large_hits_sent_by_reference_to_slow_readers(self):
        # A large hit that passed the check is answered from fibd's
        # remembered copy, queued by reference: three slow readers at once
        # hold it in their output, and each gets exactly F(n).
        n = 100000
        expected = str(fib_reference(n))
        self.assertEqual(self.d.get(f"/fib/{n}")[0], 200)
        self.d.wait_cache_written()
        self.assertEqual(self.d.get(f"/fib/{n}")[1]["X-Cache"], "hit")  # checked, remembered
        readers = []
        try:
            for _ in range(3):
                s = socket.socket()
                readers.append(s)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.settimeout(30 * SLOW)
                s.connect(("127.0.0.1", self.d.port))
                s.sendall(b"GET /fib/%d HTTP/1.1\r\nHost: x\r\n\r\n" % n)
            for s in readers:
                resp, _ = read_response_buffered(s, b"")
                head, body = resp.split(b"\r\n\r\n", 1)
                self.assertIn(b"X-Cache: hit", head)
                self.assertEqual(json.loads(body.decode(), parse_int=str)["result"], expected)
        finally:
            for s in readers:
                s.close()

    def test_head_of_large_hit(self):
        self.assertEqual(self.d.get("/fib/1000000")[0], 200)
        self.d.wait_cache_written()
        status, headers, body = self.d.request("HEAD", "/fib/1000000")
        self.assertEqual(status, 200)
        self.assertEqual(headers["X-Cache"], "hit")
        self.assertEqual(headers["Content-Length"], str(208988 + len('{"result":}')))
        self.assertEqual(body, b"")


def read_response_buffered(sock, buffered):
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed early")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body[:length], body[length:]


class SlowClientTest(unittest.TestCase):
    def test_slowloris_closed_by_head_timeout(self):
        with Daemon() as d:
            d.wait_ready()
            with raw_connection(d.port, timeout=60) as s:
                start = time.monotonic()
                closed = False
                for byte in b"GET /fib/5 HTTP/1.1\r\nX-Slow: " + b"a" * 100:
                    try:
                        s.sendall(bytes([byte]))
                    except (BrokenPipeError, ConnectionResetError):
                        closed = True
                        break
                    s.settimeout(1.0)
                    try:
                        if s.recv(1024) == b"":
                            closed = True
                            break
                    except socket.timeout:
                        pass
                    except ConnectionResetError:
                        closed = True
                        break
                    if time.monotonic() - start > 40 * SLOW:
                        break
                self.assertTrue(closed, "a client trickling one header byte per second was never cut off")
                # other clients were served all along
                self.assertEqual(d.get("/healthz")[0], 200)


if __name__ == "__main__":
    unittest.main()
