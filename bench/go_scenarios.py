"""The Go stack fibd replaces, measured in the same run (issue 22): memory
hits of fibd against a Go net/http server with a sync.Map cache that sends
the same body (bench/go_baseline, built by bench/run when Go is installed).
Mixed into fibdbench.Suite, which provides the helpers (keep, interleave,
row, notes)."""

import os
import signal
import subprocess

from benchkit import BUILD, Fibd, free_port, log, median, wait_port, warm, with_cpu, wrk
from report import error_free, med

GO_BASELINE = os.path.join(BUILD, "bench", "go_baseline")


class GoServer:
    """bench/go_baseline on a free port."""

    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen([GO_BASELINE, "-listen", f"127.0.0.1:{self.port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)

    @property
    def pid(self):
        return self.proc.pid

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)


def get(port, path):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.getheader("X-Cache"), r.read()
    finally:
        conn.close()


class GoScenarios:
    def go_baseline(self):
        if not os.access(GO_BASELINE, os.X_OK):
            log("go: skipped, Go is not installed (apt install golang-go; bench/run builds "
                "bench/go_baseline when it is)")
            self.notes.append("The Go net/http baseline was skipped: Go is not installed "
                              "(`apt install golang-go`; `bench/run` builds it).")
            return
        path = "/fib/90"
        fibd = self.keep(Fibd("memory"))
        go = self.keep(GoServer())
        warm(fibd, [path])
        warm(go, [path])
        ours, theirs = get(fibd.port, path), get(go.port, path)
        if ours != theirs or ours[1] != "hit":
            raise RuntimeError(f"go baseline answers {theirs}, fibd {ours}")
        wrk(fibd.url(path), 64, 1)
        wrk(go.url(path), 64, 1)
        a, b = self.interleave(
            "memory hit c64 vs Go net/http",
            lambda: with_cpu([fibd.pid], lambda: wrk(fibd.url(path), 64, self.d)),
            lambda: with_cpu([go.pid], lambda: wrk(go.url(path), 64, self.d)),
            rounds=max(5, self.rounds + 2))
        base = "Go net/http, sync.Map"
        for key, name, unit, scale, target in (
                ("rps", "throughput", "req/s", 1, 2.2),
                ("p99_us", "p99 latency", "ms", 1000, None),
                ("cpu_us_per_req", "server CPU per request", "µs", 1, None)):
            r = median([x[key] / y[key] for x, y in zip(a, b)])
            met = None if target is None else (r >= target and error_free(a, b))
            self.row(f"memory hit, c64: {name} vs Go net/http (sync.Map)",
                     med(a, key) / scale, med(b, key) / scale, r,
                     f"≥ {target}×" if target else "", met, unit, base)
        self.plot.append(("vs Go net/http c64", med(a, "rps"), med(b, "rps"),
                          med(a, "p99_us") / 1000, med(b, "p99_us") / 1000))
        go.close()
        fibd.close()
