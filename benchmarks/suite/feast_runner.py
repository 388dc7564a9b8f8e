"""The comparator's worker: run with ``benchmarks/.feast-venv/bin/python`` from the repository root.

It answers the same steps as featurevault's worker (see
:mod:`benchmarks.suite.protocol`), through the comparator's own API, on the
same parquet files. ``serve_start`` runs the comparator's HTTP server.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.suite.protocol import serve  # noqa: E402
from benchmarks.suite.store_workloads import StoreWorkloads  # noqa: E402


class ComparatorWorker(StoreWorkloads):
    def __init__(self) -> None:
        import feast
        import feast.types

        super().__init__(feast, feast.types)
        self.server: subprocess.Popen | None = None
        self.repo_dir = ""

    def setup(self, repo_dir: str, **kwargs: object) -> dict:
        self.repo_dir = repo_dir
        return super().setup(repo_dir, **kwargs)  # type: ignore[arg-type]

    def serve_start(self, port: int) -> dict:
        """The comparator's own server (one worker process) on loopback, ready to answer."""
        feast_cli = str(Path(sys.executable).parent / "feast")
        argv = [feast_cli, "-c", self.repo_dir, "serve", "-h", "127.0.0.1", "-p", str(port), "--no-access-log"]
        self.server = subprocess.Popen(argv, stdout=sys.stderr, stderr=sys.stderr)
        _wait_ready(f"http://127.0.0.1:{port}/health", self.server)
        return {"pid": self.server.pid}

    def serve_stop(self) -> dict:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
            self.server = None
        return {}


def _wait_ready(url: str, proc: subprocess.Popen, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer {url} within {timeout_s}s")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    os.environ.setdefault("FEAST_USAGE", "False")
    worker = ComparatorWorker()
    serve(
        {
            "setup": worker.setup,
            "historical": worker.historical,
            "materialize": worker.materialize,
            "online_read": worker.online_read,
            "serve_start": worker.serve_start,
            "serve_stop": worker.serve_stop,
            "teardown": worker.teardown,
        }
    )
    worker.serve_stop()


if __name__ == "__main__":
    main()
