"""Clients that count every request they send while fibd restarts under them.

Keep-alive clients reuse one connection; fresh clients open one per request
(Connection: close). Every answer is checked against an independent F(n).
A request whose connection closed before any byte of an answer is sent once
more on a new connection, as RFC 9112 §9.3.1 lets a client do for an
idempotent request; such retries are counted by why the connection could be
closed:

  idle:   a reused connection that had been idle at least IDLE_BOUND
          (fibd closes those while it drains, RFC 9112 §9.6);
  reused: a reused connection that was not idle that long;
  fresh:  a connection opened for the request.

failed counts the requests that got no right answer (with the retry, if one
was made), refused the connections turned away (ECONNREFUSED); a refused
connection fails its request.
"""

import http.client
import threading
import time

from .load import ClientThreads, fib_body

# http::kDrainIdle in daemon/http/server.h.
IDLE_BOUND = 1.0
CLOSED_EARLY = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError,
                http.client.RemoteDisconnected)


class CountingLoad(ClientThreads):
    def __init__(self, port, keepalive=4, fresh=2, numbers=range(10, 300, 7), timeout=60):
        self.port = port
        self.timeout = timeout
        self.numbers = list(numbers)
        self.expected = {n: fib_body(n) for n in self.numbers}
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sent = 0
        self.answered = 0
        self.refused = 0
        self.failed = {}
        self.retried = {"idle": 0, "reused": 0, "fresh": 0}
        self.examples = []
        self.longest = 0.0
        self.threads = ([threading.Thread(target=self.run, args=(i, False)) for i in range(keepalive)]
                        + [threading.Thread(target=self.run, args=(keepalive + i, True))
                           for i in range(fresh)])

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)

    def _note(self, kind, detail):
        if len(self.examples) < 10:
            self.examples.append(f"{kind}: {detail}")

    def exchange(self, conn, n, fresh):
        """One try: ('ok'|'early'|'refused'|failure kind, detail). 'early':
        the connection closed before any byte of an answer."""
        try:
            conn.request("GET", f"/fib/{n}", headers={"Connection": "close"} if fresh else {})
            resp = conn.getresponse()
        except ConnectionRefusedError as e:
            return "refused", repr(e)
        except CLOSED_EARLY as e:
            return "early", repr(e)
        except Exception as e:  # timeouts included
            return type(e).__name__, repr(e)
        try:
            body = resp.read()
        except Exception as e:  # an answer cut short
            return type(e).__name__, repr(e)
        if resp.status != 200 or body != self.expected[n]:
            return f"status {resp.status}", body[:100]
        return ("ok-close" if resp.will_close else "ok"), ""

    def run(self, index, fresh):
        i = index * 11
        conn, last_answer = None, None
        while not self.stop.is_set():
            n = self.numbers[i % len(self.numbers)]
            i += 1
            reused = conn is not None
            idle_for = time.monotonic() - last_answer if reused else 0.0
            if conn is None:
                conn = self.connection()
            started = time.monotonic()
            outcome, detail = self.exchange(conn, n, fresh)
            retry_kind = None
            if outcome == "early":
                retry_kind = "fresh" if not reused else ("idle" if idle_for >= IDLE_BOUND else "reused")
                conn.close()
                conn = self.connection()
                outcome, detail = self.exchange(conn, n, fresh)
                if outcome == "early":
                    outcome = "closed twice"
            took = time.monotonic() - started
            with self.lock:
                self.sent += 1
                self.longest = max(self.longest, took)
                if retry_kind:
                    self.retried[retry_kind] += 1
                    self._note(f"retried ({retry_kind})", f"idle {idle_for:.2f} s before")
                if outcome in ("ok", "ok-close"):
                    self.answered += 1
                else:
                    if outcome == "refused":
                        self.refused += 1
                    self.failed[outcome] = self.failed.get(outcome, 0) + 1
                    self._note(outcome, detail)
            if outcome == "ok" and not fresh:
                last_answer = time.monotonic()
            else:  # closed by fibd (Connection: close) or broken: a new one next
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def summary(self):
        with self.lock:
            return {"sent": self.sent, "answered": self.answered, "refused": self.refused,
                    "failed": dict(self.failed), "retried": dict(self.retried),
                    "longest_s": round(self.longest, 3), "examples": list(self.examples)}


def describe(s):
    return (f"{s['sent']} requests, {s['answered']} answered, failed {s['failed'] or 0}, "
            f"refused {s['refused']}, retried {s['retried']}, longest {s['longest_s']} s")


def lost_in_graceful_restart(s):
    """What a graceful restart must not do: anything failed or refused, or
    a connection closed under a client that was not idle (retries other
    than 'idle'). Empty when clean."""
    problems = []
    if s["failed"]:
        problems.append(f"failed {s['failed']}")
    if s["refused"]:
        problems.append(f"refused {s['refused']}")
    if s["retried"]["reused"] or s["retried"]["fresh"]:
        problems.append(f"closed before an answer {s['retried']}")
    return problems


def lost_in_crash(s):
    """What a crash restart must not do: a request left without an answer
    after its one retry, or a connection refused."""
    problems = []
    if s["failed"]:
        problems.append(f"failed {s['failed']}")
    if s["refused"]:
        problems.append(f"refused {s['refused']}")
    return problems
