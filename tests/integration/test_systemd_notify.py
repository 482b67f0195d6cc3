"""sd_notify on a real NOTIFY_SOCKET: READY, RELOADING/READY on SIGHUP,
STOPPING, WATCHDOG, and exit 0 on SIGTERM/SIGINT."""

import signal
import unittest

from fibdtest import Daemon


class NotifyTest(unittest.TestCase):
    def test_ready_reload_stop(self):
        with Daemon() as d:
            ready = d.notify.wait_for("READY=1")
            self.assertTrue(any(l.startswith("STATUS=serving on 127.0.0.1:") for l in d.notify.messages[ready].split("\n")))
            # listening by the time READY=1 is sent
            self.assertEqual(d.get("/healthz")[0], 200)

            d.signal(signal.SIGHUP)
            reloading = d.notify.wait_for("RELOADING=1", after=ready + 1)
            d.notify.wait_for("READY=1", after=reloading + 1)
            self.assertEqual(d.get("/fib/10")[2], b'{"result":55}')

            d.signal(signal.SIGTERM)
            d.notify.wait_for("STOPPING=1")
            self.assertEqual(d.stop(), 0)
            self.assertIn("SIGTERM", d.log())

    def test_sigint_exits_zero(self):
        with Daemon() as d:
            d.wait_ready()
            d.signal(signal.SIGINT)
            self.assertEqual(d.stop(), 0)

    def test_failed_reload_reports_and_keeps_serving(self):
        with Daemon() as d:
            d.wait_ready()
            d.write_config("listen: [oops\n")
            n = len(d.notify.messages)
            d.signal(signal.SIGHUP)
            i = d.notify.wait_for("READY=1", after=n)
            self.assertIn("last reload failed", d.notify.messages[i])
            self.assertEqual(d.get("/fib/10")[0], 200)
            self.assertIn("reload failed", d.log())
            self.assertEqual(d.metric('fibd_reloads_total{result="failed"}'), 1)

    def test_watchdog(self):
        with Daemon(env={"WATCHDOG_USEC": "200000"}) as d:
            d.wait_ready()
            d.notify.wait_for("WATCHDOG=1", timeout=5)


if __name__ == "__main__":
    unittest.main()
