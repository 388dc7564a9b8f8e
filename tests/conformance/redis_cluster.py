"""A throw-away three-node Redis Cluster on loopback, started from the installed redis-server.

The shared Redis is a single node; the cluster code path (keys split by hash
slot) is exercised against this private cluster, started once per test run
and shut down at its end.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = random.randint(20_000, 30_000)  # the cluster bus listens on port + 10000
        if port not in ports and _free(port) and _free(port + 10_000):
            ports.append(port)
    return ports


class LocalCluster:
    """Three masters, no replicas; ``connection_string`` lists them for the store."""

    def __init__(self) -> None:
        server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
        if not server or not cli:
            raise RuntimeError("redis-server and redis-cli must be installed for the cluster tests")
        self.dir = Path(tempfile.mkdtemp(prefix="fv-redis-cluster-"))
        self.ports = _free_ports(3)
        self.procs = [
            subprocess.Popen(
                [
                    server,
                    "--port",
                    str(p),
                    "--bind",
                    "127.0.0.1",
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    f"nodes-{p}.conf",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.dir),
                ],
                stdout=subprocess.DEVNULL,
            )
            for p in self.ports
        ]
        try:
            self._wait_listening()
            nodes = [f"127.0.0.1:{p}" for p in self.ports]
            subprocess.run(
                [cli, "--cluster", "create", *nodes, "--cluster-replicas", "0", "--cluster-yes"],
                check=True,
                capture_output=True,
                timeout=60,
            )
            self._wait_state_ok(cli)
        except BaseException:
            self.stop()
            raise

    @property
    def connection_string(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 20
        for port in self.ports:
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"redis-server on port {port} did not start") from None
                    time.sleep(0.05)

    def _wait_state_ok(self, cli: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            states = [
                subprocess.run([cli, "-p", str(p), "cluster", "info"], capture_output=True, text=True).stdout
                for p in self.ports
            ]
            if all("cluster_state:ok" in s for s in states):
                return
            time.sleep(0.1)
        raise RuntimeError("the local Redis Cluster did not reach cluster_state:ok")

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
