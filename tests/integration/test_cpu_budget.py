"""Event loops and `workers: 0` are sized from the CPUs fibd may use: pinned
to one CPU (taskset -c 0, systemd CPUAffinity=), it starts one loop and one
worker, whatever the machine has, and says why in its log. (The cgroup
quota's part is unit-tested on fixture files: cpu_budget_test.)"""

import os
import time
import unittest

from fibdtest import SLOW, Daemon


def thread_names(pid):
    names = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                names.append(f.read().strip())
        except FileNotFoundError:
            pass
    return names


def named_threads(pid, want):
    """The thread names once every name in `want` is there as often as asked
    (a thread names itself after it starts, so just after READY some may
    still carry the process name), or whatever is there after 10 s."""
    deadline = time.monotonic() + 10 * SLOW
    while True:
        names = thread_names(pid)
        if all(names.count(n) >= k for n, k in want.items()) or time.monotonic() > deadline:
            return names
        time.sleep(0.02)


class CpuBudgetTest(unittest.TestCase):
    def test_pinned_to_one_cpu(self):
        with Daemon(preexec_fn=lambda: os.sched_setaffinity(0, {0})) as d:
            d.wait_ready()
            names = named_threads(d.proc.pid, {"fibd-loop": 1, "fibd-worker": 1})
            self.assertEqual(names.count("fibd-loop"), 1, names)
            self.assertEqual(names.count("fibd-worker"), 1, names)
            self.assertIn("sizing: 1 event loops and 1 workers", d.log())
            self.assertIn("1 CPUs in the affinity mask", d.log())
            self.assertEqual(d.get("/fib/30")[0], 200)

    def test_all_cpus_it_may_use(self):
        cpus = len(os.sched_getaffinity(0))
        with Daemon() as d:
            d.wait_ready()
            names = named_threads(d.proc.pid, {"fibd-loop": cpus})
            self.assertEqual(names.count("fibd-loop"), cpus, names)
            self.assertIn(f"{cpus} CPUs in the affinity mask", d.log())


if __name__ == "__main__":
    unittest.main()
