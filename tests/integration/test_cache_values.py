"""Values that come back from a cache are untrusted input: whatever sits under
fibd's keys (wrong digits, a JSON fragment, binary bytes, megabytes of junk,
nothing, leading zeros, the right length with wrong digits) is never served.
Each is counted in fibd_cache_rejected_total{reason}, logged escaped, the
client gets F(n), and the entry is overwritten with F(n).

Two ways in: a test plugin holding planted values (looked up on the event
loops when it is non-blocking, on workers when not), and a real Redis that
another client wrote to."""

import os
import sys
import tempfile
import time
import unittest

from fibdtest import Daemon, PLUGIN_DIR, TEST_PLUGIN_DIR
from fibdtest import redis as fibd_redis
from fibdtest.load import fib, fib_body

# F(100000) has 20899 digits (Python limits int/str conversions to 4300).
sys.set_int_max_str_digits(0)

PLANTED = os.path.abspath(os.path.join(TEST_PLUGIN_DIR, "planted_values.so"))


def hostile_values():
    """{n: (planted bytes, expected reason)}."""
    f90 = str(fib(90)).encode()
    f1000 = bytearray(str(fib(1000)).encode())
    f1000[100], f1000[101] = f1000[101], f1000[100]
    assert f1000 != str(fib(1000)).encode()
    f100000 = bytearray(str(fib(100000)).encode())
    f100000[9000] = ord("7") if f100000[9000] != ord("7") else ord("3")
    values = {
        90: (f90[:-1] + b"1", "wrong_value"),
        14: (b'1,"admin":true', "wrong_length"),  # F(14) = 377: 3 digits
        12: (b'1,"admin":tru', "wrong_length"),
        85: (b"\x00\xff\r\n\x1b[31m" + b"9" * 8, "wrong_length"),
        86: (b"420269270299" + b"\x00\xff\r\n\x1b[", "not_digits"),  # 18 bytes, like F(86)
        93: (b"7" * (4 << 20), "wrong_length"),
        40: (b"", "wrong_length"),
        41: (b"000165580141", "wrong_length"),
        42: (b"067914296", "leading_zero"),  # F(42) = 267914296
        1000: (bytes(f1000), "wrong_value"),
        100000: (bytes(f100000), "wrong_value"),
    }
    for n, (value, reason) in values.items():  # the reasons planted are the ones meant
        assert (len(value) == len(str(fib(n)))) == (reason != "wrong_length"), n
    return values


def write_seed(path, values):
    with open(path, "wb") as f:
        for n, (value, _) in values.items():
            key = str(n).encode()
            f.write(b"%d %d\n" % (len(key), len(value)) + key + value)


def config(port, seed, factory):
    return (f'listen: "127.0.0.1:{port}"\nlog_level: info\n'
            f"cache:\n  plugin: {PLANTED}\n  trust_check: false\n  factory: {factory}\n"
            f"  options:\n    seed_file: {seed}\n")


def wait_for_hit(test, d, n, tries=500):
    """Asks for F(n) until the answer is a hit; it must be right every time."""
    expected = fib_body(n)
    for _ in range(tries):
        status, headers, body = d.get(f"/fib/{n}")
        test.assertEqual((status, body), (200, expected), f"n={n}")
        if headers["X-Cache"] == "hit":
            return
        time.sleep(0.01)
    test.fail(f"n={n}: the bad entry was never overwritten")


class PlantedValuesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.values = hostile_values()
        self.seed = os.path.join(self.dir.name, "seed")
        write_seed(self.seed, self.values)

    def check(self, factory):
        d = Daemon(config_text=lambda port: config(port, self.seed, factory))
        with d:
            d.wait_ready()
            for n, (value, reason) in self.values.items():
                status, headers, body = d.get(f"/fib/{n}")
                self.assertEqual((status, body), (200, fib_body(n)), f"n={n}")
                self.assertEqual(headers["Content-Type"], "application/json")
                self.assertEqual(headers["X-Cache"], "miss", f"n={n}: a rejected value is a miss")
            for reason in {r for _, r in self.values.values()}:
                want = sum(1 for _, r in self.values.values() if r == reason)
                self.assertEqual(d.metric(f'fibd_cache_rejected_total{{reason="{reason}"}}'),
                                 want, reason)
            self.assertEqual(d.metric("fibd_cache_errors_total"), len(self.values))
            # Written back (after the answer): soon every answer is a hit.
            for n in self.values:
                wait_for_hit(self, d, n)
            self.assertEqual(d.stop(), 0)
            log = d.log()
            self.assertIn("that is not F(", log)
            self.assertNotIn('"admin":true', log)
            self.assertNotIn("\x1b", log)
            self.assertNotIn("\x00", log)
            self.assertTrue(all(len(line) < 1024 for line in log.splitlines()),
                            "a log line quotes too much of a value")

    def test_non_blocking_cache_checked_on_the_loop(self):
        self.check("fibd_cache_plugin")

    def test_blocking_cache_checked_on_the_worker(self):
        self.check("planted_blocking")


@unittest.skipUnless(fibd_redis.AVAILABLE, "redis-server not installed")
class RedisValuesTest(unittest.TestCase):
    def test_values_another_client_wrote(self):
        with fibd_redis.RedisServer() as redis:
            def config_text(port):
                return (f'listen: "127.0.0.1:{port}"\nlog_level: info\n'
                        f"cache:\n  plugin: redis\n  plugin_dir: {os.path.abspath(PLUGIN_DIR)}\n"
                        f"  trust_check: false\n  expiration: 1h\n  options:\n"
                        f'    address: "{redis.option_address()}"\n    key_prefix: "fibd:"\n')
            with Daemon(config_text=config_text) as d:
                d.wait_ready()
                redis.cli("SET", "fibd:90", '1,"admin":true')
                redis.cli("SET", "fibd:91", str(fib(91) + 1))
                for n in (90, 91):
                    status, headers, body = d.get(f"/fib/{n}")
                    self.assertEqual((status, body), (200, fib_body(n)))
                    self.assertEqual(headers["X-Cache"], "miss")
                self.assertEqual(d.metric("fibd_cache_rejected_total"), 2)
                # Written back (after the answer: wait for it).
                for n in (90, 91):
                    for _ in range(500):
                        if redis.cli("GET", f"fibd:{n}") == str(fib(n)):
                            break
                        time.sleep(0.01)
                    self.assertEqual(redis.cli("GET", f"fibd:{n}"), str(fib(n)))
                self.assertEqual(d.get("/fib/90")[1]["X-Cache"], "hit")
                self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
