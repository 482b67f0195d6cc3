"""HTTP/1.1 as RFC 9110/9112 asks of an origin server, one rule per test,
over real sockets; then real clients (curl, ab -k, h2load with pipelining,
Python's http.client) against fibd."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import unittest

from fibdtest import Daemon, PLUGIN_DIR, SANITIZED, SLOW, parse_head, raw_exchange

MEMORY = os.path.join(os.path.abspath(PLUGIN_DIR), "memory.so")


def read_answers(sock, count, timeout=20):
    """Reads `count` whole answers (Content-Length framed) or until EOF.
    Returns [(status, headers, body)] and whether the server closed."""
    sock.settimeout(timeout * SLOW)
    data, answers, closed = b"", [], False
    while len(answers) < count:
        while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < int(
                parse_head(data.partition(b"\r\n\r\n")[0])[1].get("content-length", 0)):
            chunk = sock.recv(65536)
            if not chunk:
                return answers, True
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        status, headers = parse_head(head)
        length = int(headers.get("content-length", 0))
        answers.append((status, headers, rest[:length]))
        data = rest[length:]
    try:
        sock.settimeout(0.5 * SLOW)
        closed = sock.recv(1) == b""
    except socket.timeout:
        closed = False
    return answers, closed


def exchange(port, payload, count=1):
    with socket.create_connection(("127.0.0.1", port), timeout=20 * SLOW) as s:
        s.sendall(payload)
        return read_answers(s, count)


class ProtocolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(plugin=MEMORY, extra_config="fib:\n  algorithm: naive\n").wait_ready()

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def refused(self, payload, status):
        """The head is refused with `status`, a JSON error, and the connection closes."""
        answers, closed = exchange(self.d.port, payload, count=2)
        self.assertEqual(len(answers), 1, (payload, answers))
        self.assertEqual(answers[0][0], status, (payload, answers))
        self.assertEqual(answers[0][1].get("connection"), "close")
        self.assertIn("error", json.loads(answers[0][2]))
        self.assertTrue(closed)

    def ok(self, payload):
        answers, _ = exchange(self.d.port, payload)
        self.assertEqual(answers[0][0], 200, (payload, answers))
        return answers[0]

    # Keep-alive and HTTP/1.0 (RFC 9112 9.3).
    def test_http11_keeps_the_connection(self):
        answers, closed = exchange(self.d.port, b"GET /fib/5 HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(answers[0][2], b'{"result":5}')
        self.assertNotIn("connection", answers[0][1])
        self.assertFalse(closed)

    def test_http10_keep_alive_is_honoured_and_said(self):
        with socket.create_connection(("127.0.0.1", self.d.port), timeout=20) as s:
            for n, value in [(6, b"8"), (7, b"13")]:
                s.sendall(b"GET /fib/%d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" % n)
                answers, closed = read_answers(s, 1)
                self.assertEqual(answers[0][2], b'{"result":%s}' % value)
                self.assertEqual(answers[0][1].get("connection"), "keep-alive")
                self.assertFalse(closed)

    def test_http10_without_keep_alive_closes(self):
        answers, closed = exchange(self.d.port, b"GET /fib/8 HTTP/1.0\r\n\r\n")
        self.assertEqual(answers[0][1].get("connection"), "close")
        self.assertTrue(closed)

    def test_later_minor_version_is_served_as_http11(self):
        self.ok(b"GET /fib/1 HTTP/1.7\r\nHost: x\r\n\r\n")

    def test_http2_request_line_is_505(self):
        self.refused(b"GET /fib/1 HTTP/2.0\r\nHost: x\r\n\r\n", 505)

    # Pipelining (RFC 9112 9.3.2): answers in request order, even when the
    # first is a computation that ends after the later hits.
    def test_pipelined_miss_then_hits_in_order(self):
        self.ok(b"GET /fib/2 HTTP/1.1\r\nHost: x\r\n\r\n")  # cached
        payload = (b"GET /fib/31 HTTP/1.1\r\nHost: x\r\n\r\n"
                   b"GET /fib/2 HTTP/1.1\r\nHost: x\r\n\r\n"
                   b"HEAD /fib/2 HTTP/1.1\r\nHost: x\r\n\r\n"
                   b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                   b"GET /fib/3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        with socket.create_connection(("127.0.0.1", self.d.port), timeout=30 * SLOW) as s:
            s.sendall(payload)
            while chunk := s.recv(65536):
                data += chunk
        answers = []
        for has_body in [True, True, False, True, True]:
            head, _, data = data.partition(b"\r\n\r\n")
            status, headers = parse_head(head)
            length = int(headers["content-length"]) if has_body else 0
            answers.append((status, headers, data[:length]))
            data = data[length:]
        self.assertEqual(data, b"")
        self.assertEqual([a[0] for a in answers], [200, 200, 200, 404, 200])
        self.assertEqual([a[2] for a in answers[:3]] + [answers[4][2]],
                         [b'{"result":1346269}', b'{"result":1}', b"", b'{"result":2}'])
        self.assertEqual([a[1].get("x-cache") for a in answers[:3]], ["miss", "hit", "hit"])
        self.assertEqual(answers[2][1]["content-length"], "12")  # HEAD: the GET's length

    # request-target forms (RFC 9112 3.2).
    def test_absolute_form_is_accepted(self):
        status, headers, body = self.ok(b"GET http://localhost:1/fib/9?x HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(body, b'{"result":34}')

    def test_asterisk_form_and_connect(self):
        self.refused(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 501)
        self.refused(b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400)
        self.refused(b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n", 501)

    def test_target_characters(self):
        self.refused(b"GET /fib/<1> HTTP/1.1\r\nHost: x\r\n\r\n", 400)
        self.refused(b"GET /fib/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400)

    # Host (RFC 9112 3.2).
    def test_host_rules(self):
        self.refused(b"GET /fib/1 HTTP/1.1\r\n\r\n", 400)
        self.refused(b"GET /fib/1 HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400)
        self.refused(b"GET /fib/1 HTTP/1.1\r\nHost: a b\r\n\r\n", 400)
        self.refused(b"GET /fib/1 HTTP/1.1\r\nHost: u@a\r\n\r\n", 400)
        self.ok(b"GET /fib/1 HTTP/1.0\r\n\r\n")
        self.ok(b"GET /fib/1 HTTP/1.1\r\nHost:\r\n\r\n")

    # Field syntax and line ends (RFC 9112 2.2, 5.1, 5.2).
    def test_field_syntax(self):
        self.refused(b"GET /fib/1 HTTP/1.1\r\nHost : x\r\n\r\n", 400)
        self.refused(b"GET /fib/1 HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n", 400)
        self.refused(b"GET /fib/1 HTTP/1.1\r\n Host: x\r\n\r\n", 400)
        self.refused(b"GET /fib/1 HTTP/1.1\r\nHost: x\r\nX-A: 1\x002\r\n\r\n", 400)
        self.refused(b"GET /fib/1 HTTP/1.1\nHost: x\r\n\r\n", 400)
        self.refused(b"GET /fib/1 HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", 400)
        self.refused(b"GET  /fib/1 HTTP/1.1\r\nHost: x\r\n\r\n", 400)

    # Framing (RFC 9112 6): no content is read, so nothing a proxy could
    # read differently; the connection closes after the answer.
    def test_content_is_refused_and_never_read_as_a_request(self):
        smuggled = b"GET /fib/4 HTTP/1.1\r\nHost: x\r\n\r\n"
        # The method decides before the content (RFC 9110 9.1): 405 with Allow.
        answers, closed = exchange(
            self.d.port, b"POST /fib/1 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
            % (len(smuggled), smuggled), count=2)
        self.assertEqual([a[0] for a in answers], [405])
        self.assertEqual(answers[0][1].get("allow"), "GET, HEAD")
        self.assertEqual(answers[0][1].get("connection"), "close")
        self.assertTrue(closed)
        self.refused(b"POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 404)
        self.refused(b"GET /fib/1 HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(smuggled), smuggled), 413)
        self.refused(b"GET /fib/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"5\r\nhello\r\n0\r\n\r\n" + smuggled, 413)

    def test_empty_chunked_body_is_read(self):
        answers, closed = exchange(
            self.d.port, b"GET /fib/5 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"0;x=1\r\nTrailer-A: b\r\n\r\nGET /fib/6 HTTP/1.1\r\nHost: x\r\n\r\n", count=2)
        self.assertEqual([(a[0], a[2]) for a in answers],
                         [(200, b'{"result":5}'), (200, b'{"result":8}')])
        self.assertFalse(closed)

    def test_ambiguous_framing_is_400(self):
        for fields in [b"Content-Length: 0\r\nContent-Length: 0\r\n", b"Content-Length: 0, 0\r\n",
                       b"Content-Length: -0\r\n", b"Content-Length: 0x0\r\n",
                       b"Transfer-Encoding: chunked\r\nContent-Length: 0\r\n",
                       b"Transfer-Encoding: chunked, gzip\r\n",
                       b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"]:
            self.refused(b"GET /fib/1 HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n", 400)
        self.refused(b"GET /fib/1 HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400)
        self.refused(b"GET /fib/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                     501)
        self.ok(b"GET /fib/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")

    # Upgrade is ignored (RFC 9110 7.8): what curl --http2 sends is answered.
    def test_upgrade_is_ignored(self):
        _, headers, body = self.ok(b"GET /fib/1 HTTP/1.1\r\nHost: x\r\n"
                                   b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                                   b"HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n")
        self.assertEqual(body, b'{"result":1}')
        self.assertNotIn("upgrade", headers)
        self.assertNotIn("connection", headers)

    # Percent-encoded unreserved characters are the same resource (RFC 3986
    # 6.2.2.2); any other escape stays and is refused.
    def test_unreserved_escapes_are_decoded(self):
        _, _, body = self.ok(b"GET /fib/%31%30 HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(body, b'{"result":55}')
        _, _, body = self.ok(b"GET /%66ib/1%30 HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(body, b'{"result":55}')
        for bad in [b"/fib/1%2F0", b"/fib/%00", b"/fib/%2531"]:
            answers, _ = exchange(self.d.port, b"GET " + bad + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(answers[0][0], 400, bad)

    def test_date_field(self):
        answers, _ = exchange(self.d.port, b"GET /fib/1 HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertRegex(answers[0][1]["date"],
                         r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|"
                         r"Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$")


class LimitsTest(unittest.TestCase):
    """The http: section: timeouts and max_connections."""

    def test_head_and_idle_timeouts(self):
        config = "http:\n  head_timeout: 1s\n  idle_timeout: 1s\n"
        with Daemon(extra_config=config) as d:
            d.wait_ready()
            with socket.create_connection(("127.0.0.1", d.port), timeout=20 * SLOW) as partial, \
                    socket.create_connection(("127.0.0.1", d.port), timeout=20 * SLOW) as idle:
                partial.sendall(b"GET /fib/1 HTTP/1.1\r\nHost: x\r\n")
                idle.sendall(b"GET /fib/1 HTTP/1.1\r\nHost: x\r\n\r\n")
                answers, _ = read_answers(idle, 1)
                self.assertEqual(answers[0][0], 200)
                # Both end without another byte from the client. (read_answers
                # left `idle` with its 0.5 s probe timeout: a sweep late by
                # that much under load is not a failure.)
                idle.settimeout(20 * SLOW)
                self.assertEqual(partial.recv(100), b"")
                self.assertEqual(idle.recv(100), b"")
            self.assertEqual(d.stop(), 0)

    def test_max_connections(self):
        with Daemon(extra_config="http:\n  max_connections: 2\n") as d:
            d.wait_ready()
            a = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
            b = http.client.HTTPConnection("127.0.0.1", d.port, timeout=20)
            for c in (a, b):
                c.request("GET", "/fib/3")
                self.assertEqual(c.getresponse().read(), b'{"result":2}')
            status, headers, _ = raw_exchange(d.port, b"GET /fib/3 HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual((status, headers.get("retry-after")), (503, "1"))
            a.close()
            deadline = time.monotonic() + 10 * SLOW
            while raw_exchange(d.port, b"GET /fib/3 HTTP/1.1\r\nHost: x\r\n\r\n")[0] != 200:
                self.assertLess(time.monotonic(), deadline, "the freed slot was not reused")
                time.sleep(0.05)
            b.close()
            self.assertEqual(d.stop(), 0)

    def test_sigterm_finishes_the_open_request_with_connection_close(self):
        with Daemon(extra_config="fib:\n  algorithm: naive\n") as d:
            d.wait_ready()
            with socket.create_connection(("127.0.0.1", d.port), timeout=30 * SLOW) as s:
                # A computation of a second or more (sanitized builds run -O0),
                # running when SIGTERM arrives: an answer sent before it would
                # rightly keep the connection open.
                n = 38 if SANITIZED else 42
                s.sendall(b"GET /fib/%d HTTP/1.1\r\nHost: x\r\n\r\n" % n)
                deadline = time.monotonic() + 10 * SLOW
                while d.metric("fibd_computations_in_flight") == 0:
                    self.assertLess(time.monotonic(), deadline, "the computation never started")
                    time.sleep(0.01)
                d.signal(signal.SIGTERM)
                answers, closed = read_answers(s, 1)
            self.assertEqual(answers[0][2], b'{"result":%d}' % {38: 39088169, 42: 267914296}[n])
            self.assertEqual(answers[0][1].get("connection"), "close")
            self.assertTrue(closed)
            self.assertEqual(d.stop(), 0)


class RealClientsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(plugin=MEMORY).wait_ready()
        cls.url = f"http://127.0.0.1:{cls.d.port}"

    @classmethod
    def tearDownClass(cls):
        cls.d.close()

    def tool(self, name):
        path = shutil.which(name)
        self.assertIsNotNone(path, f"{name} is missing (packaging/test-deps)")
        return path

    def test_curl_reuses_the_connection(self):
        out = subprocess.run([self.tool("curl"), "-sS", "-v", f"{self.url}/fib/10",
                              f"{self.url}/fib/11"], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.stdout, '{"result":55}{"result":89}')
        self.assertIn("Re-using existing connection", out.stderr)

    def test_ab_http10_keep_alive(self):
        out = subprocess.run([self.tool("ab"), "-k", "-n", "500", "-c", "4", f"{self.url}/fib/20"],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"Complete requests:\s+500")
        self.assertRegex(out.stdout, r"Failed requests:\s+0")
        self.assertRegex(out.stdout, r"Keep-Alive requests:\s+500")

    def test_h2load_pipelined(self):
        out = subprocess.run([self.tool("h2load"), "--h1", "-m", "8", "-n", "800", "-c", "4",
                              f"{self.url}/fib/30"], capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"requests: 800 total, 800 started, 800 done, 800 succeeded")
        self.assertRegex(out.stdout, r"status codes: 800 2xx")

    def test_python_http_client(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.d.port, timeout=20)
        for n, expected in [(12, 144), (13, 233), (12, 144)]:
            conn.request("GET", f"/fib/{n}")
            resp = conn.getresponse()
            self.assertEqual(json.loads(resp.read()), {"result": expected})
        conn.request("HEAD", "/fib/12")
        resp = conn.getresponse()
        self.assertEqual((resp.status, resp.read(), resp.getheader("Content-Length")),
                         (200, b"", "14"))
        conn.close()


if __name__ == "__main__":
    unittest.main()
