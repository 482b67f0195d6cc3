"""/metrics beyond the counters: the request latency histogram, the
connection gauges and the standard process_* series, against what the test
itself did and what /proc says about the daemon."""

import http.client
import os
import re
import socket
import unittest

from fibdtest import Daemon, PLUGIN_DIR, SLOW, raw_exchange

MEMORY = (f"cache:\n  plugin: memory\n  plugin_dir: {os.path.abspath(PLUGIN_DIR)}\n"
          "  trust_check: false\n")
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')


def parse(text):
    """{(name, frozenset of (label, value))): value} and {name: type}."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, line
        labels = frozenset(re.findall(r'([a-zA-Z_]+)="([^"]*)"', m.group(2) or ""))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples, types


def latency(samples, route, cache, suffix="count", **extra):
    labels = {"route": route, "cache": cache, **extra}
    return samples[("fibd_http_request_duration_seconds_" + suffix,
                    frozenset(labels.items()))]


class Client:
    """One keep-alive connection: the answers on it are reported before the
    next request on it is read, so a scrape on it sees them all."""

    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=60 * SLOW)

    def get(self, path, method="GET"):
        self.c.request(method, path)
        r = self.c.getresponse()
        return r.status, r.getheader("X-Cache"), r.read()

    def scrape(self):
        status, _, body = self.get("/metrics")
        assert status == 200
        return parse(body.decode())

    def close(self):
        self.c.close()


class LatencyHistogramTest(unittest.TestCase):
    def test_each_route_and_cache_outcome_is_counted_once(self):
        with Daemon(extra_config=MEMORY) as d:
            d.wait_ready()
            c = Client(d.port)
            before, types = c.scrape()
            self.assertEqual(types["fibd_http_request_duration_seconds"], "histogram")
            self.assertEqual(c.get("/fib/90")[:2], (200, "miss"))
            d.wait_cache_written()
            self.assertEqual(c.get("/fib/90")[:2], (200, "hit"))
            self.assertEqual(c.get("/fib/90")[:2], (200, "hit"))
            self.assertEqual(c.get("/fib/90", method="HEAD")[:2], (200, "hit"))
            self.assertEqual(c.get("/fib/x")[0], 400)
            self.assertEqual(c.get("/healthz")[0], 200)
            self.assertEqual(c.get("/nope")[0], 404)
            self.assertEqual(c.get("/fib/1", method="POST")[0], 405)
            after, _ = c.scrape()
            c.close()
            # wait_cache_written() scraped on connections of its own.
            scrapes = latency(after, "metrics", "none") - latency(before, "metrics", "none")
            self.assertGreaterEqual(scrapes, 1)
            for route, cache, n in [("fib", "hit", 3), ("fib", "miss", 1), ("fib", "none", 1),
                                    ("healthz", "none", 1), ("other", "none", 2)]:
                self.assertEqual(latency(after, route, cache) - latency(before, route, cache), n,
                                 (route, cache))
            self.assertEqual(d.stop(), 0)

    def test_buckets_are_cumulative_and_resolve_microseconds_to_minutes(self):
        with Daemon(extra_config=MEMORY) as d:
            d.wait_ready()
            c = Client(d.port)
            for _ in range(5):
                c.get("/healthz")
            samples, _ = c.scrape()
            c.close()
            bounds = sorted(float(dict(labels)["le"]) for (name, labels) in samples
                            if name == "fibd_http_request_duration_seconds_bucket"
                            and dict(labels)["route"] == "healthz")
            self.assertLessEqual(bounds[0], 2e-5)  # a 20 µs hit has a bucket
            self.assertIn(30.0, bounds)            # and so has a 30 s computation
            self.assertGreater(bounds[-2], 30.0)
            self.assertEqual(bounds[-1], float("inf"))
            cumulative = [v for (name, labels), v in sorted(
                ((k, v) for k, v in samples.items()
                 if k[0] == "fibd_http_request_duration_seconds_bucket"
                 and dict(k[1])["route"] == "healthz"),
                key=lambda kv: float(dict(kv[0][1])["le"]))]
            self.assertEqual(cumulative, sorted(cumulative))
            self.assertEqual(cumulative[-1], 5)
            self.assertEqual(latency(samples, "healthz", "none"), 5)
            self.assertGreater(latency(samples, "healthz", "none", "sum"), 0)
            self.assertEqual(d.stop(), 0)

    def test_a_computed_answer_takes_at_least_its_computation(self):
        with Daemon(extra_config="fib:\n  algorithm: naive\n") as d:
            d.wait_ready()
            c = Client(d.port)
            self.assertEqual(c.get("/fib/27")[:2], (200, "miss"))
            samples, _ = c.scrape()
            c.close()
            compute = samples[("fibd_compute_seconds_sum", frozenset())]
            self.assertGreater(compute, 0)
            self.assertGreaterEqual(latency(samples, "fib", "miss", "sum"), compute)
            self.assertEqual(latency(samples, "fib", "miss"), 1)
            self.assertEqual(d.stop(), 0)

    def test_pipelined_requests_are_each_timed_and_refused_heads_are_not(self):
        with Daemon() as d:
            d.wait_ready()
            with socket.create_connection(("127.0.0.1", d.port), timeout=20 * SLOW) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 3 +
                          b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                data = b""
                while data.count(b"HTTP/1.1 200") < 4 or not data.endswith(b"\n"):
                    chunk = s.recv(65536)
                    self.assertTrue(chunk, data[-500:])
                    data += chunk
            # The four answers went to the kernel in one write, after the
            # scrape among them was made.
            samples, _ = parse(data.split(b"\r\n\r\n")[-1].decode())
            self.assertEqual(latency(samples, "healthz", "none"), 0)
            self.assertEqual(raw_exchange(d.port, b"BREW /fib/1 HTTP/9.9\r\n\r\n")[0], 505)
            c = Client(d.port)
            samples, _ = c.scrape()
            c.close()
            self.assertEqual(latency(samples, "healthz", "none"), 3)
            self.assertEqual(latency(samples, "metrics", "none"), 1)
            timed = sum(v for (name, _), v in samples.items()
                        if name == "fibd_http_request_duration_seconds_count")
            self.assertEqual(timed, 4)  # not the refused head (505)
            self.assertEqual(samples[("fibd_http_requests_total",
                                      frozenset({("code", "505")}))], 1)
            self.assertEqual(d.stop(), 0)


class ConnectionGaugesTest(unittest.TestCase):
    def test_open_connections(self):
        with Daemon() as d:
            d.wait_ready()
            held = [Client(d.port) for _ in range(3)]
            for h in held:
                self.assertEqual(h.get("/healthz")[0], 200)  # accepted by now
            c = Client(d.port)
            samples, types = c.scrape()
            self.assertEqual(types["fibd_http_connections_open"], "gauge")
            self.assertEqual(samples[("fibd_http_connections_open", frozenset())], 4)
            for h in held:
                h.close()
            c.close()
            self.assertEqual(d.stop(), 0)

    def test_connections_refused_at_max_connections(self):
        with Daemon(extra_config="http:\n  max_connections: 2\n") as d:
            d.wait_ready()
            a, b = Client(d.port), Client(d.port)
            self.assertEqual(a.get("/healthz")[0], 200)
            self.assertEqual(b.get("/healthz")[0], 200)
            for _ in range(2):
                self.assertEqual(
                    raw_exchange(d.port, b"GET /fib/3 HTTP/1.1\r\nHost: x\r\n\r\n")[0], 503)
            samples, types = a.scrape()
            self.assertEqual(types["fibd_http_connections_refused_total"], "counter")
            self.assertEqual(samples[("fibd_http_connections_refused_total", frozenset())], 2)
            self.assertEqual(samples[("fibd_http_connections_open", frozenset())], 2)
            a.close()
            b.close()
            self.assertEqual(d.stop(), 0)


class ProcessMetricsTest(unittest.TestCase):
    def test_match_what_proc_says_about_the_daemon(self):
        with Daemon() as d:
            d.wait_ready()
            c = Client(d.port)
            c.get("/healthz")  # the connection is open and accepted
            # An fd can come and go between the count and the scrape (a
            # sanitizer's runtime reads /proc): the same count on both sides
            # of the scrape makes the comparison exact.
            for _ in range(20):
                fds = d.fd_count()
                samples, types = c.scrape()
                if d.fd_count() == fds:
                    break
            cpu_after = d.cpu_seconds()
            rss = d.rss_bytes()
            c.close()
            for name, kind in [("process_cpu_seconds_total", "counter"),
                               ("process_resident_memory_bytes", "gauge"),
                               ("process_virtual_memory_bytes", "gauge"),
                               ("process_open_fds", "gauge"), ("process_max_fds", "gauge"),
                               ("process_start_time_seconds", "gauge")]:
                self.assertEqual(types.get(name), kind, name)
            value = {name: v for (name, labels), v in samples.items() if not labels}
            self.assertEqual(value["process_open_fds"], fds)
            with open(f"/proc/{d.proc.pid}/limits") as f:
                soft = next(line.split()[3] for line in f if line.startswith("Max open files"))
            self.assertEqual(value["process_max_fds"], float(soft))
            self.assertLessEqual(value["process_cpu_seconds_total"], cpu_after)
            self.assertGreater(value["process_resident_memory_bytes"], 0)
            self.assertLess(abs(value["process_resident_memory_bytes"] - rss), rss / 2)
            self.assertGreater(value["process_virtual_memory_bytes"],
                               value["process_resident_memory_bytes"])
            with open(f"/proc/{d.proc.pid}/stat") as f:
                start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
            with open("/proc/stat") as f:
                btime = int(next(line.split()[1] for line in f if line.startswith("btime")))
            self.assertAlmostEqual(value["process_start_time_seconds"],
                                   btime + start_ticks / os.sysconf("SC_CLK_TCK"), places=6)
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
