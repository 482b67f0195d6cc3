"""Faults around the daemon: plugins that fail to start or fail every call, a
plugin file broken on disk, and SIGTERM in the middle of load. (A bus daemon
that dies is in test_dbus_daemon.py; Redis outages in the redis tests.)"""

import http.client
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest

from fibdtest import Daemon, PLUGIN_DIR, SLOW, TEST_PLUGIN_DIR

FAULT_PLUGIN = os.path.abspath(os.path.join(TEST_PLUGIN_DIR, "fault_injection.so"))
MEMORY_PLUGIN = os.path.abspath(os.path.join(PLUGIN_DIR, "memory.so"))
FIB = {n: v for n, v in [(20, 6765), (25, 75025), (30, 832040), (35, 9227465),
                         (40, 102334155), (50, 12586269025), (60, 1548008755920),
                         (90, 2880067194370816120)]}


def config(port, plugin, options=None, factory=None, extra=""):
    text = (f'listen: "127.0.0.1:{port}"\nlog_level: debug\n{extra}'
            f"cache:\n  plugin: {plugin}\n  trust_check: false\n  expiration: 1h\n")
    if factory:
        text += f"  factory: {factory}\n"
    if options:
        text += "  options:\n" + "".join(f"    {k}: {v}\n" for k, v in options.items())
    return text


def reload(d):
    """SIGHUP, then the STATUS= line of the READY=1 that follows."""
    seen = len(d.notify.messages)
    d.signal(signal.SIGHUP)
    index = d.notify.wait_for("READY=1", after=seen)
    return d.notify.messages[index]


class FaultTest(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(FAULT_PLUGIN):
            self.fail(f"{FAULT_PLUGIN} not built (cmake --build)")

    def assert_serving_from_memory(self, d):
        """Answers come from the memory plugin's cache (loaded before)."""
        d.wait_cache_written()
        status, headers, body = d.get("/fib/30")
        self.assertEqual((status, body), (200, b'{"result":832040}'))
        self.assertEqual(headers["X-Cache"], "hit")
        _, _, metrics = d.get("/metrics")
        self.assertIn('fibd_plugin_info{name="memory"', metrics.decode())

    def test_create_fails_on_reload_old_plugin_keeps_serving(self):
        d = Daemon(config_text=lambda port: config(port, MEMORY_PLUGIN))
        with d:
            d.wait_ready()
            d.get("/fib/30")
            self.assert_serving_from_memory(d)
            # Another plugin whose create() fails.
            d.write_config(config(d.port, FAULT_PLUGIN, {"create": "fail"}))
            status = reload(d)
            self.assertIn("last reload failed", status)
            self.assertIn("injected create() failure", status)
            self.assert_serving_from_memory(d)
            # The same plugin, working, then failing on a reload.
            d.write_config(config(d.port, FAULT_PLUGIN, {"create": "ok"}))
            self.assertNotIn("failed", reload(d))
            self.assertEqual(d.get("/fib/31")[2], b'{"result":1346269}')
            d.write_config(config(d.port, FAULT_PLUGIN, {"create": "fail"}))
            self.assertIn("injected create() failure", reload(d))
            status, headers, body = d.get("/fib/32")
            self.assertEqual((status, body), (200, b'{"result":2178309}'))
            self.assertEqual(d.metric('fibd_reloads_total{result="failed"}'), 2)
            self.assertEqual(d.metric('fibd_reloads_total{result="ok"}'), 1)
            self.assertEqual(d.stop(), 0)
            log = d.log()
            self.assertIn("injected create() failure", log)
            # The working instance was created once and destroyed once, at exit.
            self.assertEqual(log.count("[plugin/fault_injection] created"), 1)
            self.assertEqual(log.count("[plugin/fault_injection] destroyed"), 1)

    def test_plugin_file_broken_on_disk(self):
        tmp = tempfile.mkdtemp(prefix="fibd-fault-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        path = os.path.join(tmp, "cache.so")
        shutil.copy(MEMORY_PLUGIN, path)
        d = Daemon(config_text=lambda port: config(port, path))
        with d:
            d.wait_ready()
            d.get("/fib/30")
            # An upgrade gone wrong: the file is cut short, then replaced by
            # something that is not a shared object at all.
            with open(MEMORY_PLUGIN, "rb") as f:
                head = f.read(4096)
            for content in (head, b"#!/bin/sh\necho not a plugin\n"):
                with open(path + ".new", "wb") as f:
                    f.write(content)
                os.rename(path + ".new", path)
                status = reload(d)
                self.assertIn("last reload failed", status)
                self.assert_serving_from_memory(d)
            self.assertEqual(d.stop(), 0)

    def check_errors_on_every_call(self, factory):
        d = Daemon(config_text=lambda port: config(
            port, FAULT_PLUGIN, {"get": "error", "set": "error"}, factory=factory))
        with d:
            d.wait_ready()
            requests = 0
            for _ in range(3):
                for n, value in FIB.items():
                    status, headers, body = d.get(f"/fib/{n}")
                    requests += 1
                    self.assertEqual((status, body), (200, b'{"result":%d}' % value))
                    self.assertEqual(headers["X-Cache"], "miss")
            # Every request: one failed get and one failed set.
            d.wait_cache_written()
            self.assertEqual(d.metric("fibd_cache_errors_total"), 2 * requests)
            self.assertEqual(d.metric("fibd_cache_hits_total"), 0)
            self.assertEqual(d.stop(), 0)
            log = d.log()
            self.assertIn("injected get() failure", log)
            # Rate-limited: not one line per failure.
            failures = log.count("cache get failed") + log.count("cache set failed")
            self.assertLess(failures, requests)

    def test_errors_from_every_call_blocking_plugin(self):
        self.check_errors_on_every_call(None)

    def test_errors_from_every_call_nonblocking_plugin(self):
        self.check_errors_on_every_call("fault_nonblocking")

    def test_sigterm_under_load(self):
        # Computations of 1 ms to 1 s (naive recursion), all uncached, and
        # more clients than workers: at SIGTERM some are queued, some running.
        # Every step waits for a state fibd reports, never for a time, so the
        # machine's speed does not decide what is in flight at the signal.
        d = Daemon(extra_config="fib:\n  algorithm: naive\nlimits:\n  max_inflight: 1000\n")
        outcomes, lock = [], threading.Lock()
        stop = threading.Event()
        signalled = []  # time of SIGTERM
        gate = threading.Condition()
        held = [False]  # clients wait before their next request
        busy = [0]  # clients inside a request

        def client(seed):
            rng = random.Random(seed)
            conn = None
            while not stop.is_set():
                with gate:
                    gate.wait_for(lambda: not held[0] or stop.is_set())
                    busy[0] += 1
                n = rng.randint(15, 32)
                expected = fib_small(n)
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=60 * SLOW)
                sent = time.monotonic()
                try:
                    conn.request("GET", f"/fib/{n}")
                    resp = conn.getresponse()
                    body = resp.read()
                except ConnectionRefusedError:
                    outcome = "refused"  # listener closed: a new connection is turned away
                except (ConnectionResetError, BrokenPipeError,
                        http.client.RemoteDisconnected):
                    outcome = "closed"  # closed before any byte of an answer
                except http.client.IncompleteRead:
                    outcome = "TRUNCATED"
                except OSError as e:  # timeouts included
                    outcome = f"ERROR {e!r}"
                else:
                    if resp.status == 200 and body == b'{"result":%d}' % expected:
                        outcome = "200"
                    elif resp.status == 503 and resp.getheader("Retry-After") == "1":
                        outcome = "503"
                    else:
                        outcome = f"BAD {resp.status} {body[:80]!r}"
                with gate:
                    busy[0] -= 1
                    gate.notify_all()
                if outcome not in ("200", "503"):
                    conn.close()
                    conn = None
                with lock:
                    outcomes.append((sent, outcome))
                if outcome in ("refused", "closed") and signalled:
                    break
            if conn is not None:
                conn.close()

        long_answer, long_answered = [], []

        def long_request():
            # A computation of a second or more, running at SIGTERM.
            conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=120 * SLOW)
            try:
                conn.request("GET", "/fib/43")
                resp = conn.getresponse()
                long_answer.append((resp.status, resp.read()))
                long_answered.append(time.monotonic())
            except OSError as e:
                long_answer.append((None, repr(e)))
            finally:
                conn.close()

        def until(what, condition):
            # A bound against a hang, not a measure of speed.
            deadline = time.monotonic() + 120 * SLOW
            while not condition():
                self.assertLess(time.monotonic(), deadline, f"never reached: {what}")
                time.sleep(0.01)

        def in_flight():
            return d.metric("fibd_computations_in_flight")

        def answered():
            with lock:
                return sum(1 for _, o in outcomes if o == "200")

        with d:
            d.wait_ready()
            threads = [threading.Thread(target=client, args=(i,)) for i in range(12)]
            for t in threads:
                t.start()
            until("a dozen answers under load", lambda: answered() >= 12)
            # The clients pause, so that the long computation is seen alone.
            with gate:
                held[0] = True
                self.assertTrue(gate.wait_for(lambda: busy[0] == 0, 120 * SLOW))
            until("no computation in flight", lambda: in_flight() == 0)
            threads.append(threading.Thread(target=long_request))
            threads[-1].start()
            until("the long computation in flight", lambda: in_flight() == 1)
            with gate:
                held[0] = False
                gate.notify_all()
            until("clients' computations beside it", lambda: in_flight() >= 3)
            signalled.append(time.monotonic())
            d.signal(signal.SIGTERM)
            # Draining waits for the computations in flight, not for the
            # clients to go away (they keep sending until turned away): an
            # exit while they still send shows it.
            try:
                code = d.proc.wait(timeout=120 * SLOW)
            except Exception:
                code = None
            stopped_after = time.monotonic() - signalled[0]
            stop.set()
            with gate:
                gate.notify_all()
            for t in threads:
                t.join(120 * SLOW)
            self.assertEqual(code, 0, d.log()[-3000:])
            before = [o for s, o in outcomes if s < signalled[0]]
            counts = {o: sum(1 for _, x in outcomes if x == o) for _, o in outcomes}
            print(f"  [faults] SIGTERM under load: exit {code} after {stopped_after:.2f} s; "
                  f"{counts}", file=sys.stderr, flush=True)
            # Every answer was whole and right, or the connection closed
            # cleanly; nothing truncated, wrong, or hung.
            bad = [o for _, o in outcomes if o not in ("200", "503", "refused", "closed")]
            self.assertEqual(bad, [])
            # The long computation was running at SIGTERM, and finished.
            self.assertEqual(long_answer, [(200, b'{"result":433494437}')])
            self.assertGreater(long_answered[0], signalled[0])
            self.assertGreaterEqual(before.count("200"), 12)
            # In-flight work was finished, not dropped: a request sent before
            # SIGTERM was answered, unless it was the one racing the close.
            self.assertLessEqual(sum(1 for o in before if o in ("refused", "closed")),
                                 len(threads))
            self.assertIn("SIGTERM: shutting down", d.log())


def fib_small(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


if __name__ == "__main__":
    unittest.main()
