"""The command line and configuration as a user meets them."""

import os
import subprocess
import tempfile
import unittest

from fibdtest import Daemon, FIBD_BIN, free_port


def run(*args, **kw):
    return subprocess.run([FIBD_BIN, *args], capture_output=True, text=True, timeout=30, **kw)


class CommandLineTest(unittest.TestCase):
    def test_version_and_help(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^fibd \d+\.\d+\.\d+")
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        for flag in ["--config", "--listen", "--port", "--log-level", "--cache-plugin-path",
                     "--cache-plugin-factory-name", "--cache-expiration", "--bus",
                     "--check-config", "--version", "--help"]:
            self.assertIn(flag, r.stdout)

    def test_check_config(self):
        with tempfile.TemporaryDirectory() as tmp:
            good = os.path.join(tmp, "good.yaml")
            with open(good, "w") as f:
                f.write("listen: 127.0.0.1:9999\nfib:\n  max_n: 5000\n")
            r = run("--check-config", "--config", good)
            self.assertEqual(r.returncode, 0, r.stderr)
            bad = os.path.join(tmp, "bad.yaml")
            with open(bad, "w") as f:
                f.write("listen: 127.0.0.1:9999\nfib:\n  max_n: lots\n")
            r = run("-check-config", "-config", bad)
            self.assertEqual(r.returncode, 1)
            self.assertIn(f"{bad}:3", r.stderr)
            self.assertIn("fib.max_n", r.stderr)
            with open(bad, "w") as f:
                f.write("http:\n  idle_timeout: 1m\n  max_request_line: 2MiB\n")
            r = run("--check-config", "--config", bad)
            self.assertEqual(r.returncode, 1)
            self.assertIn(f"{bad}:3: http.max_request_line: '2MiB' is out of range", r.stderr)
            # The packaged file, http: section included, is valid; so are
            # the example configurations fibd-plugin-redis ships.
            packaged = os.path.join(os.environ["FIBD_SOURCE_DIR"], "etc", "fibd.yaml")
            r = run("--check-config", "--config", packaged)
            self.assertEqual(r.returncode, 0, r.stderr)
            examples = os.path.join(os.environ["FIBD_SOURCE_DIR"], "examples", "redis")
            for name in ("fibd-redis-sentinel.yaml", "fibd-redis-cluster.yaml"):
                r = run("--check-config", "--config", os.path.join(examples, name))
                self.assertEqual(r.returncode, 0, f"{name}: {r.stderr}")
            r = run("--check-config", "--config", os.path.join(tmp, "missing.yaml"))
            self.assertEqual(r.returncode, 1)
            self.assertIn("missing.yaml", r.stderr)

    def test_broken_config_refuses_to_start(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = os.path.join(tmp, "bad.yaml")
            with open(bad, "w") as f:
                f.write("listen: 127.0.0.1:9999\nbogus_key: 1\n")
            r = run("--config", bad)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("bogus_key", r.stderr)

    def test_unknown_flag(self):
        r = run("--frobnicate")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("frobnicate", r.stderr)

    def test_seed_style_flags(self):
        port = free_port()
        d = Daemon(config_text=f'listen: "127.0.0.1:1"\n',
                   args=[f"-port={port}", "-log-level=debug", "-cache-expiration=15s"])
        with d:
            d.port = port
            d.wait_ready()
            self.assertEqual(d.get("/fib/12")[2], b'{"result":144}')
            self.assertIn("debug", d.log())

    def test_port_in_use(self):
        with Daemon() as first:
            first.wait_ready()
            r = run("--listen", f"127.0.0.1:{first.port}")
            self.assertEqual(r.returncode, 1)
            self.assertIn(f"127.0.0.1:{first.port}", r.stderr)


if __name__ == "__main__":
    unittest.main()
