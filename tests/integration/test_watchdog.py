"""WATCHDOG=1 vouches for the event loops and the worker pool, not just the
main thread: on a real NOTIFY_SOCKET, a plugin that claims to be
non-blocking and then blocks a loop forever stops the pings, and the log
names the thread that stopped answering. (That systemd then restarts fibd
within WatchdogSec is the e2e test's: tests/e2e/debian-e2e.)"""

import os
import socket
import time
import unittest

from fibdtest import Daemon, SLOW, TEST_PLUGIN_DIR

WEDGES_LOOP = os.path.abspath(os.path.join(TEST_PLUGIN_DIR, "wedges_loop.so"))
INTERVAL = 0.2  # seconds: WATCHDOG_USEC is twice that


def config(port):
    return (f'listen: "127.0.0.1:{port}"\nlog_level: info\n'
            f"cache:\n  plugin: {WEDGES_LOOP}\n  trust_check: false\n")


def watchdogs(d):
    return sum(1 for m in d.notify.messages if "WATCHDOG=1" in m.split("\n"))


class WatchdogTest(unittest.TestCase):
    def test_pings_while_everything_answers(self):
        with Daemon(env={"WATCHDOG_USEC": str(int(INTERVAL * 2e6))}) as d:
            d.wait_ready()
            for n in range(20, 30):  # loops and workers busy, still answering
                self.assertEqual(d.get(f"/fib/{n}")[0], 200)
            seen = watchdogs(d)
            d.notify.wait_for("WATCHDOG=1", after=len(d.notify.messages), timeout=5)
            self.assertGreater(watchdogs(d), seen)
            self.assertNotIn("withholding", d.log())

    def test_wedged_loop_stops_the_pings_and_is_named(self):
        d = Daemon(config_text=config, env={"WATCHDOG_USEC": str(int(INTERVAL * 2e6))})
        try:
            d.wait_ready()
            d.notify.wait_for("WATCHDOG=1", timeout=5)
            # get("13") never returns: the loop that took this request is stuck.
            stuck = socket.create_connection(("127.0.0.1", d.port))
            self.addCleanup(stuck.close)
            stuck.sendall(b"GET /fib/13 HTTP/1.1\r\nHost: x\r\n\r\n")
            deadline = time.monotonic() + 10 * SLOW
            while "stopped answering liveness pings" not in d.log():
                self.assertLess(time.monotonic(), deadline, d.log()[-3000:])
                time.sleep(0.05)
            log = d.log()
            self.assertIn("watchdog: withholding WATCHDOG=1: event loop", log)
            self.assertIn("(thread fibd-loop, tid ", log)
            # From now on, no more pings: wait several intervals to see none.
            before = watchdogs(d)
            time.sleep(10 * INTERVAL)
            self.assertEqual(watchdogs(d), before, "WATCHDOG=1 sent while a loop is wedged")
        finally:
            d.proc.kill()  # the wedged loop cannot finish a graceful stop
            d.proc.wait()
            d.close()


if __name__ == "__main__":
    unittest.main()
