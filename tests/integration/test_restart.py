"""Restarts of fibd under load, with a supervisor that does what systemd does
for fibd.service (fibdtest.supervisor: a real NOTIFY_SOCKET with an fd store,
LISTEN_FDS on every start), with fibd binding its socket itself (the fd
store keeps it) and with a socket unit's socket (fibd.socket).

A graceful restart (SIGTERM, then the next fibd) must answer every request:
none failed, none refused, no connection closed under a client that was not
idle. A crash (SIGKILL) loses the requests in flight with the process; the
socket survives in the store, so none is refused and each lost request is
answered when the client retries it once (GET is idempotent)."""

import signal
import socket
import sys
import time
import unittest

from fibdtest import SLOW, free_port, parse_head, read_until_eof
from fibdtest.counting import (CountingLoad, describe, lost_in_crash,
                               lost_in_graceful_restart)
from fibdtest.supervisor import Supervisor

RESTARTS = 3


def config(port):
    return f'listen: "127.0.0.1:{port}"\nlog_level: debug\ndbus:\n  bus: none\n'


def drained_ms(log):
    """The drain time fibd logged at its stop, in ms (None if not logged)."""
    for line in log.splitlines():
        if "every connection drained in" in line:
            return int(line.rsplit(" in ", 1)[1].split()[0])
    return None


def wait_answered(load, more_than, timeout=30):
    """Waits until the load has more than `more_than` answers."""
    deadline = time.monotonic() + timeout * SLOW
    while load.summary()["answered"] <= more_than:
        if time.monotonic() > deadline:
            raise AssertionError(f"no answers: {describe(load.summary())}")
        time.sleep(0.02)


class RestartTest(unittest.TestCase):
    def restarts_under_load(self, socket_unit, crash):
        with Supervisor(config, socket_unit=socket_unit) as sup:
            sup.start()
            sup.wait_ready()
            first_pid = sup.proc.pid
            drains = []
            with CountingLoad(sup.port, keepalive=4, fresh=2) as load:
                for _ in range(RESTARTS):
                    wait_answered(load, load.summary()["answered"] + 200)
                    if crash:
                        self.assertEqual(sup.kill(), -signal.SIGKILL)
                    else:
                        code, seconds = sup.stop()
                        self.assertEqual(code, 0, sup.log()[-3000:])
                        drains.append((seconds, drained_ms(sup.log())))
                    sup.start()
                    sup.wait_ready()
                # the last fibd answers too
                wait_answered(load, load.summary()["answered"] + 200)
            summary = load.summary()
            self.assertEqual(sup.stop()[0], 0)
            kind = ("crash" if crash else "graceful") + (" socket unit" if socket_unit else " fd store")
            print(f"  [restart] {kind}: {RESTARTS} restarts, {describe(summary)}; "
                  f"drains (s to exit, ms logged): {drains}", file=sys.stderr, flush=True)
            self.assertNotEqual(sup.proc.pid, first_pid)
            self.assertGreater(summary["answered"], 800)
            if crash:
                self.assertEqual(lost_in_crash(summary), [], describe(summary))
                # at most the request each client had in flight at each kill
                self.assertLessEqual(sum(summary["retried"].values()), 6 * RESTARTS)
            else:
                self.assertEqual(lost_in_graceful_restart(summary), [], describe(summary))
                self.assertTrue(all(ms is not None for _, ms in drains), drains)
            # The socket fibd listened on: the unit's, or the one the first
            # fibd bound and stored, reused by every later one.
            if socket_unit:
                self.assertEqual(sup.stored(), [])
                self.assertIn("socket from systemd (fd 3)", sup.log())
            else:
                self.assertEqual(sup.stored(), ["listen"])
                self.assertIn("(kept across the restart)", sup.log())

    def test_graceful_restarts_fd_store(self):
        self.restarts_under_load(socket_unit=False, crash=False)

    def test_graceful_restarts_socket_unit(self):
        self.restarts_under_load(socket_unit=True, crash=False)

    def test_crash_restarts_fd_store(self):
        self.restarts_under_load(socket_unit=False, crash=True)

    def test_crash_restarts_socket_unit(self):
        self.restarts_under_load(socket_unit=True, crash=True)

    def test_drain_answers_the_next_request_with_close_and_closes_idle(self):
        with Supervisor(config) as sup:
            sup.start()
            sup.wait_ready()
            pid = sup.proc.pid
            idle = socket.create_connection(("127.0.0.1", sup.port), timeout=30 * SLOW)
            busy = socket.create_connection(("127.0.0.1", sup.port), timeout=30 * SLOW)
            for s in (idle, busy):
                s.sendall(b"GET /fib/10 HTTP/1.1\r\nHost: t\r\n\r\n")
                head = s.recv(65536).split(b"\r\n\r\n")[0]
                self.assertEqual(parse_head(head)[0], 200)
            # half a head: not idle, so the drain waits for the rest of it
            busy.sendall(b"GET /fib/11 HTTP/1.1\r\n")
            sup.proc.send_signal(signal.SIGTERM)
            sup.wait_for("STOPPING=1", pid)
            busy.sendall(b"Host: t\r\n\r\n")
            answer = read_until_eof(busy)
            status, headers = parse_head(answer.split(b"\r\n\r\n")[0])
            self.assertEqual((status, headers.get("connection")), (200, "close"))
            self.assertTrue(answer.endswith(b'{"result":89}'), answer)
            # the idle one is closed by fibd, with nothing sent on it
            self.assertEqual(read_until_eof(idle), b"")
            self.assertEqual(sup.proc.wait(30 * SLOW), 0)
            self.assertIsNotNone(drained_ms(sup.log()))
            # the socket is still held (by the store): a new connection waits
            # for the next fibd instead of being refused
            late = socket.create_connection(("127.0.0.1", sup.port), timeout=30 * SLOW)
            late.sendall(b"GET /fib/12 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            sup.start()
            sup.wait_ready()
            self.assertTrue(read_until_eof(late).endswith(b'{"result":144}'))
            for s in (idle, busy, late):
                s.close()

    def test_changed_listen_drops_the_stored_socket(self):
        with Supervisor(config) as sup:
            sup.start()
            sup.wait_ready()
            old_port = sup.port
            self.assertEqual(sup.stored(), ["listen"])
            new_port = free_port()
            sup.write_config(config(new_port))
            self.assertEqual(sup.stop()[0], 0)
            sup.start()
            sup.wait_ready()
            self.assertIn("listen changed", sup.log())
            self.assertEqual(sup.stored(), ["listen"])
            with socket.socket(fileno=socket.dup(sup.stored_fd("listen"))) as stored:
                self.assertEqual(stored.getsockname()[1], new_port)
            # the old address is given up by fibd and by the store
            with self.assertRaises(ConnectionRefusedError):
                socket.create_connection(("127.0.0.1", old_port), timeout=10).close()
            sup.port = new_port
            with socket.create_connection(("127.0.0.1", new_port), timeout=10 * SLOW) as s:
                s.sendall(b"GET /fib/10 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                self.assertTrue(read_until_eof(s).endswith(b'{"result":55}'))

    def test_stored_descriptor_that_is_not_a_listener_is_replaced(self):
        with Supervisor(config) as sup:
            junk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            junk.bind(("127.0.0.1", 0))
            sup.store.append(("listen", socket.dup(junk.fileno())))
            junk.close()
            sup.start()
            sup.wait_ready()
            self.assertEqual(sup.stored(), ["listen"])
            fd = sup.stored_fd("listen")
            with socket.socket(fileno=socket.dup(fd)) as s:
                self.assertEqual(s.type, socket.SOCK_STREAM)
                self.assertEqual(s.getsockname()[1], sup.port)

    def test_socket_unit_wins_over_a_stored_socket(self):
        # fibd.socket enabled while fibd.service ran with its own socket
        # stored: the unit's socket is used, the stored one given up.
        with Supervisor(config, socket_unit=True) as sup:
            stale = socket.create_server(("127.0.0.1", free_port()))
            sup.store.append(("listen", socket.dup(stale.fileno())))
            stale.close()
            sup.start()
            sup.wait_ready()
            self.assertEqual(sup.stored(), [])
            self.assertIn("socket from systemd (fd 3)", sup.log())
            with socket.create_connection(("127.0.0.1", sup.port), timeout=10 * SLOW) as s:
                s.sendall(b"GET /fib/10 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                self.assertTrue(read_until_eof(s).endswith(b'{"result":55}'))

    def test_socket_unit_passing_no_listener_is_refused(self):
        with Supervisor(config) as sup:
            sup.unit_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sup.start()
            self.assertEqual(sup.proc.wait(30 * SLOW), 1)
            self.assertIn("is not a listening stream socket", sup.log())


if __name__ == "__main__":
    unittest.main()
