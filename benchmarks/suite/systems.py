"""The systems under test and how to start a worker for each.

``featurevault`` and ``floor`` run in this interpreter's environment with the
repository's ``src`` on the path (or ``$BENCH_FEATUREVAULT_SRC``, to measure
another checkout); ``feast`` runs in its own venv (see
:mod:`benchmarks.suite.feast_env`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.suite.protocol import Worker

REPO_ROOT = Path(__file__).resolve().parents[2]
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


@dataclass(frozen=True)
class Side:
    """One line in a comparison: a system, and the offline store it uses where that matters."""

    system: str  # featurevault | floor | feast
    offline: str = "duckdb"

    @property
    def label(self) -> str:
        return self.system if self.system != "feast" or self.offline == "duckdb" else f"feast-{self.offline}"


def start_worker(side: Side, feast_python: Path | None, tag: str) -> Worker:
    label = f"{side.label}-{tag}"
    if side.system == "feast":
        if feast_python is None:
            raise ValueError("the comparator's venv is not set up; run with --with-feast")
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "FEAST_USAGE": "False"}
        argv = [str(feast_python), str(REPO_ROOT / "benchmarks" / "suite" / "feast_runner.py")]
        return Worker(label, argv, REPO_ROOT, env)
    src = os.environ.get("BENCH_FEATUREVAULT_SRC", str(REPO_ROOT / "src"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), src])}
    return Worker(label, [sys.executable, "-m", "benchmarks.suite.worker", side.system], REPO_ROOT, env)


def online_config(system: str, backend: str, sqlite_path: Path) -> dict[str, Any]:
    """The online store section each system reads, for the same SQLite file location or Redis server."""
    if backend == "sqlite":
        return {"type": "sqlite", "path": str(sqlite_path)}
    if system == "floor":
        return {"type": "redis", "url": f"redis://{REDIS_HOST}:{REDIS_PORT}/0"}
    return {"type": "redis", "connection_string": f"{REDIS_HOST}:{REDIS_PORT}"}
