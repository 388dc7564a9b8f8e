"""A Spark standalone cluster on loopback: one master and two workers, started with the launcher
(``bin/spark-class``) that the pyspark package ships, stopped by process id."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyspark

SPARK_HOME = Path(pyspark.__file__).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StandaloneCluster:
    """``with StandaloneCluster(log_dir) as url:`` gives ``spark://127.0.0.1:PORT`` once both workers registered."""

    def __init__(self, log_dir: Path, workers: int = 2, timeout: float = 180.0) -> None:
        self.log_dir = log_dir
        self.workers = workers
        self.timeout = timeout
        self.port = free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self._procs: list[subprocess.Popen[bytes]] = []

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SPARK_HOME": str(SPARK_HOME),
            "SPARK_LOCAL_IP": "127.0.0.1",
            "PYSPARK_PYTHON": sys.executable,
            "SPARK_WORKER_DIR": str(self.log_dir / "work"),
        }

    def _launch(self, name: str, args: list[str]) -> Path:
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as out:
            cmd = [str(SPARK_HOME / "bin" / "spark-class"), *args]
            self._procs.append(subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=self._env()))
        return log

    def __enter__(self) -> str:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        master = self._launch(
            "master",
            [
                "org.apache.spark.deploy.master.Master",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--webui-port",
                str(free_port()),
            ],
        )
        self._wait(master, "I have been elected leader")
        logs = [
            self._launch(
                f"worker{i}",
                [
                    "org.apache.spark.deploy.worker.Worker",
                    self.url,
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    "1",
                    "--memory",
                    "768m",
                    "--webui-port",
                    str(free_port()),
                ],
            )
            for i in range(self.workers)
        ]
        for log in logs:
            self._wait(log, "Successfully registered with master")
        return self.url

    def _wait(self, log: Path, text: str) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if text in log.read_text(errors="replace"):
                return
            if any(p.poll() is not None for p in self._procs):
                break
            time.sleep(0.5)
        self.__exit__()
        raise RuntimeError(f"Spark standalone process did not log {text!r}; see {log}:\n{log.read_text()[-3000:]}")

    def __exit__(self, *exc: object) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self._procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs.clear()
