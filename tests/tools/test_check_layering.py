"""check-layering: passes on the tree, fails on deliberate violations."""
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
CHECK = HERE / "check-layering"
DAEMON = HERE.parent.parent / "daemon"


def run(root):
    return subprocess.run([sys.executable, str(CHECK), str(root)],
                          capture_output=True, text=True, check=False)


class CheckLayering(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = pathlib.Path(self.tmp.name) / "daemon"
        shutil.copytree(DAEMON, self.root)

    def tearDown(self):
        self.tmp.cleanup()

    def append(self, rel, text):
        with open(self.root / rel, "a") as f:
            f.write(text)

    def test_the_tree_is_clean(self):
        r = run(DAEMON)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_upward_include_fails(self):
        # plugin_host must know nothing of HTTP.
        self.append("plugin_host/plugin_trust.cpp", '\n#include "http/event_loop.h"\n')
        r = run(self.root)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn('plugin_host/plugin_trust.cpp: includes "http/event_loop.h" but '
                      'fibd_plugin_host does not depend on fibd_http', r.stdout)

    def test_sideways_include_fails(self):
        # http knows nothing of Fibonacci.
        self.append("http/listen_socket.cpp", '\n#include "compute/fib.h"\n')
        r = run(self.root)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("fibd_http does not depend on fibd_compute", r.stdout)

    def test_unqualified_and_missing_headers_fail(self):
        self.append("base/escape.cpp", '\n#include "escape.h"\n#include "base/nothing.h"\n')
        r = run(self.root)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn('write it as "COMPONENT/escape.h"', r.stdout)
        self.assertIn('"base/nothing.h", which does not exist', r.stdout)

    def test_cycle_fails(self):
        self.append("base/CMakeLists.txt", "\ntarget_link_libraries(fibd_base PUBLIC fibd_app)\n")
        r = run(self.root)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("dependency cycle", r.stdout)


if __name__ == "__main__":
    unittest.main()
