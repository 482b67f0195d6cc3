"""Event loops and `workers: 0` are sized from the CPUs fibd may use: pinned
to one CPU (taskset -c 0, systemd CPUAffinity=), it starts one loop and one
worker, whatever the machine has, and says why in its log. (The cgroup
quota's part is unit-tested on fixture files: cpu_budget_test.)"""

import os
import unittest

from fibdtest import Daemon


def thread_names(pid):
    names = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                names.append(f.read().strip())
        except FileNotFoundError:
            pass
    return names


class CpuBudgetTest(unittest.TestCase):
    def test_pinned_to_one_cpu(self):
        with Daemon(preexec_fn=lambda: os.sched_setaffinity(0, {0})) as d:
            d.wait_ready()
            names = thread_names(d.proc.pid)
            self.assertEqual(names.count("fibd-loop"), 1, names)
            self.assertEqual(names.count("fibd-worker"), 1, names)
            self.assertIn("sizing: 1 event loops and 1 workers", d.log())
            self.assertIn("1 CPUs in the affinity mask", d.log())
            self.assertEqual(d.get("/fib/30")[0], 200)

    def test_all_cpus_it_may_use(self):
        cpus = len(os.sched_getaffinity(0))
        with Daemon() as d:
            d.wait_ready()
            names = thread_names(d.proc.pid)
            self.assertEqual(names.count("fibd-loop"), cpus, names)
            self.assertIn(f"{cpus} CPUs in the affinity mask", d.log())


if __name__ == "__main__":
    unittest.main()
