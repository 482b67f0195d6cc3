"""Real Redis Cluster and Redis Sentinel groups for tests, on free loopback
ports in a temporary directory, without persistence, stopped by stop().

    with RedisCluster() as cluster:          # 3 masters, 1 replica each
        cluster.seeds()                      # "127.0.0.1:P1,127.0.0.1:P2,..."
        old = cluster.master_of_slot(866)
        old.kill(); new = cluster.wait_failover(old)
        cluster.reshard(src, dst, 100)       # redis-cli --cluster reshard

    with SentinelGroup() as group:           # 1 master, 1 replica, 3 sentinels
        group.sentinels_option(), group.MASTER_NAME
        old = group.master(); old.kill(); new = group.wait_failover(old)
        old.restart(); group.wait_replica_of(old, new)

The server is redis-server, or $FIBD_TEST_REDIS_SERVER (valkey-server where
the release ships it); its client is the matching *-cli.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from . import SLOW, free_port

SERVER_NAME = os.environ.get("FIBD_TEST_REDIS_SERVER", "redis-server")


def tools(server_name=SERVER_NAME):
    """(server, cli) paths for a server name, None where one is missing."""
    cli_name = server_name.replace("-server", "-cli")
    return shutil.which(server_name), shutil.which(cli_name)


AVAILABLE = all(tools())


def key_slot(key):
    """The Redis Cluster hash slot of `key` (str or bytes): CRC16/XMODEM of
    the key, or of its {hash tag}, modulo 16384."""
    key = key.encode() if isinstance(key, str) else key
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    crc = 0
    for byte in key:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc % 16384


def wait_until(what, predicate, timeout):
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


class Node:
    """One redis-server (data node or sentinel) on 127.0.0.1:port."""

    def __init__(self, server, cli, directory, args, port=None, sentinel=False):
        self.server, self.cli_path = server, cli
        self.port = port or free_port()
        self.dir = os.path.join(directory, str(self.port))
        os.makedirs(self.dir, exist_ok=True)
        self.args = args
        self.sentinel = sentinel
        self.log_path = os.path.join(self.dir, "server.log")
        self.process = None

    def __repr__(self):
        return f"127.0.0.1:{self.port}"

    def start(self, timeout=10):
        common = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                  "--logfile", self.log_path, "--daemonize", "no"]
        if self.sentinel:  # a sentinel rewrites its configuration file: it needs one
            conf = os.path.join(self.dir, "sentinel.conf")
            if not os.path.exists(conf):
                with open(conf, "w") as f:
                    f.write("\n".join(self.args) + "\n")
            cmd = [self.server, conf, "--sentinel"] + common
        else:
            cmd = [self.server] + common + ["--save", "", "--appendonly", "no"] + self.args
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(f"{self} to answer PING", self._pong, timeout)
        return self

    def _pong(self):
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.server} {self} exited: {self.log()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """SIGKILL, as if the machine died: nothing saved, connections reset."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def restart(self, timeout=10):
        self.kill()
        return self.start(timeout)

    def stop(self):
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cli(self, *args, timeout=20):
        """redis-cli against this node; its raw stdout without the last newline."""
        r = subprocess.run([self.cli_path, "-h", "127.0.0.1", "-p", str(self.port), "--raw"]
                           + [str(a) for a in args], capture_output=True, text=True,
                           timeout=timeout * SLOW)
        return r.stdout[:-1] if r.stdout.endswith("\n") else r.stdout

    def info(self, section):
        """INFO section as a dict (empty when the node does not answer)."""
        return self._fields("INFO", section)

    def cluster_info(self):
        return self._fields("CLUSTER", "INFO")

    def _fields(self, *command):
        try:
            text = self.cli(*command, timeout=5)
        except subprocess.TimeoutExpired:
            return {}
        return dict(line.strip().split(":", 1) for line in text.splitlines() if ":" in line)

    def role(self):
        return self.info("replication").get("role", "")

    def wait_replicated(self, replica, timeout=10):
        """Waits until `replica` has applied every write this master took so
        far (WAIT only counts the writes of its own connection)."""
        offset = int(self.info("replication").get("master_repl_offset", "0"))
        wait_until(f"{replica} to reach {self}'s offset {offset}", lambda: int(
            replica.info("replication").get("slave_repl_offset", "-1")) >= offset, timeout)

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""


class _Group:
    def __init__(self, server_name):
        self.server, self.cli = tools(server_name)
        if not (self.server and self.cli):
            raise RuntimeError(f"{server_name} or its cli not found")
        self.dir = tempfile.mkdtemp(prefix="fibd-fleet-")
        self.nodes = []

    def _node(self, args, sentinel=False):
        node = Node(self.server, self.cli, self.dir, args, sentinel=sentinel)
        self.nodes.append(node)
        return node

    def stop(self):
        for node in self.nodes:
            node.stop()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()


class RedisCluster(_Group):
    """`masters` masters with `replicas` replicas each, made by
    `redis-cli --cluster create`, every node at cluster_state:ok."""

    def __init__(self, masters=3, replicas=1, node_timeout_ms=1000, server_name=SERVER_NAME):
        super().__init__(server_name)
        self.masters_wanted, self.replicas_wanted = masters, replicas
        self.node_timeout_ms = node_timeout_ms
        for _ in range(masters * (1 + replicas)):
            bus = free_port()  # the bus port too: port + 10000 may not be free
            self._node(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                        "--cluster-port", str(bus),
                        "--cluster-node-timeout", str(node_timeout_ms)])

    def start(self):
        for node in self.nodes:
            node.start()
        r = subprocess.run([self.cli, "--cluster", "create"] + [repr(n) for n in self.nodes]
                           + ["--cluster-replicas", str(self.replicas_wanted), "--cluster-yes"],
                           capture_output=True, text=True, timeout=60 * SLOW)
        if r.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create: {r.stdout} {r.stderr}")
        self.wait_healthy()
        return self

    def seeds(self):
        """The cluster_nodes option: every node, comma-separated."""
        return ",".join(repr(n) for n in self.nodes)

    def cluster_nodes(self, via=None):
        """CLUSTER NODES as seen by `via` (else the first live node):
        [{id, port, flags, master_id, slots: [(first, last)]}]."""
        via = via or next(n for n in self.nodes if n.alive())
        rows = []
        for line in via.cli("CLUSTER", "NODES").splitlines():
            f = line.split()
            if len(f) < 8:
                continue
            slots = []
            for s in f[8:]:
                if s.startswith("["):
                    continue  # a slot being migrated or imported
                first, _, last = s.partition("-")
                slots.append((int(first), int(last or first)))
            rows.append({"id": f[0], "port": int(f[1].split("@")[0].rsplit(":", 1)[1]),
                         "flags": f[2].split(","), "master_id": f[3], "slots": slots})
        return rows

    def by_port(self, port):
        return next(n for n in self.nodes if n.port == port)

    def node_id(self, node):
        return node.cli("CLUSTER", "MYID")

    def masters(self, via=None):
        return [self.by_port(r["port"]) for r in self.cluster_nodes(via)
                if "master" in r["flags"] and "fail" not in r["flags"] and r["slots"]]

    def replicas_of(self, master):
        mid = self.node_id(master)
        return [self.by_port(r["port"]) for r in self.cluster_nodes() if r["master_id"] == mid]

    def slots_of(self, node):
        """The set of slots `node` serves."""
        return {s for r in self.cluster_nodes() if r["port"] == node.port
                for a, b in r["slots"] for s in range(a, b + 1)}

    def master_of_slot(self, slot, via=None):
        for r in self.cluster_nodes(via):
            if "master" in r["flags"] and any(a <= slot <= b for a, b in r["slots"]):
                return self.by_port(r["port"])
        return None

    def keyslot(self, key):
        return int(next(n for n in self.nodes if n.alive()).cli("CLUSTER", "KEYSLOT", key))

    def _all_ok(self):
        live = [n for n in self.nodes if n.alive()]
        if not all(n.cluster_info().get("cluster_state") == "ok" for n in live):
            return False
        # Every live replica has its master's data (a failover needs that).
        for n in live:
            rep = n.info("replication")
            if rep.get("role") == "slave" and rep.get("master_link_status") != "up":
                return False
        # Every live node agrees on who serves each slot.
        views = {tuple(sorted((r["port"], tuple(r["slots"])) for r in self.cluster_nodes(n)
                              if "master" in r["flags"] and r["slots"])) for n in live}
        return len(views) == 1

    def wait_healthy(self, timeout=30):
        wait_until("cluster_state:ok on every node", self._all_ok, timeout)

    def wait_failover(self, dead, timeout=30):
        """After `dead` (a master) was killed: waits until one of its replicas
        serves its slots and the cluster is healthy again; returns it."""
        slots = [r["slots"] for r in self.cluster_nodes() if r["port"] == dead.port][0]
        first = slots[0][0]

        def promoted():
            owner = self.master_of_slot(first)
            return owner if owner is not None and owner is not dead and self._all_ok() else None
        return wait_until(f"a replica of {dead} to take over", promoted, timeout)

    def reshard(self, source, target, count, timeout=120):
        """Moves `count` slots (the lowest of `source`) to `target` with
        redis-cli --cluster reshard, keys included."""
        r = subprocess.run([self.cli, "--cluster", "reshard", repr(source),
                            "--cluster-from", self.node_id(source),
                            "--cluster-to", self.node_id(target),
                            "--cluster-slots", str(count), "--cluster-yes"],
                           capture_output=True, text=True, timeout=timeout * SLOW)
        if r.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster reshard: {r.stdout[-2000:]} {r.stderr}")
        self.wait_healthy()


class SentinelGroup(_Group):
    """One master, `replicas` replicas and `sentinels` sentinels (quorum 2)
    monitoring it as MASTER_NAME; every sentinel knows the others."""

    MASTER_NAME = "fibd"

    def __init__(self, replicas=1, sentinels=3, down_after_ms=1000, failover_timeout_ms=10000,
                 server_name=SERVER_NAME):
        super().__init__(server_name)
        self.data = [self._node([])]
        for _ in range(replicas):
            self.data.append(self._node(["--replicaof", "127.0.0.1", str(self.data[0].port)]))
        name = self.MASTER_NAME
        conf = [f"sentinel monitor {name} 127.0.0.1 {self.data[0].port} 2",
                f"sentinel down-after-milliseconds {name} {down_after_ms}",
                f"sentinel failover-timeout {name} {failover_timeout_ms}",
                f"sentinel parallel-syncs {name} 1"]
        self.sentinels = [self._node(conf, sentinel=True) for _ in range(sentinels)]

    def start(self):
        for node in self.nodes:
            node.start()
        wait_until("sentinels that know the master, the replicas and each other",
                   self._formed, 30)
        return self

    def _formed(self):
        for s in self.sentinels:
            m = self._master_info(s)
            if (m.get("num-other-sentinels") != str(len(self.sentinels) - 1)
                    or m.get("num-slaves") != str(len(self.data) - 1)):
                return False
        return all(n.info("replication").get("master_link_status") == "up"
                   for n in self.data[1:])

    def _master_info(self, sentinel):
        lines = sentinel.cli("SENTINEL", "MASTER", self.MASTER_NAME).splitlines()
        return dict(zip(lines[0::2], lines[1::2]))

    def sentinels_option(self):
        return ",".join(repr(s) for s in self.sentinels)

    def master(self, sentinel=None):
        """The data node the sentinels (all live ones agreeing) call master."""
        answers = {tuple(s.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME",
                               self.MASTER_NAME).splitlines())
                   for s in ([sentinel] if sentinel else self.sentinels) if s.alive()}
        if len(answers) != 1:
            return None
        (answer,) = answers
        return next((n for n in self.data if len(answer) == 2 and n.port == int(answer[1])),
                    None)

    def wait_failover(self, old, timeout=30):
        """After `old` (the master) died: waits until every sentinel names
        another data node that says it is a master; returns it."""
        def promoted():
            new = self.master()
            return new if new is not None and new is not old and new.role() == "master" else None
        return wait_until(f"the sentinels to replace {old}", promoted, timeout)

    def wait_replica_of(self, node, master, timeout=30):
        """Waits until `node` replicates `master` with its link up."""
        def following():
            rep = node.info("replication")
            return (rep.get("role") == "slave" and rep.get("master_port") == str(master.port)
                    and rep.get("master_link_status") == "up")
        wait_until(f"{node} to replicate {master}", following, timeout)
