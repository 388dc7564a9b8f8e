"""Workload steps through a feature store's public API, for featurevault and the comparator alike.

Both packages expose ``FeatureStore`` with the same methods, so one set of
steps serves both; the worker that imports this passes its package in.
Standard library + pandas only at import time.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.suite import server_process
from benchmarks.suite.definitions import (
    HISTORICAL_VIEWS,
    JOIN_KEY,
    ONLINE_VIEW,
    build_objects,
    feature_refs,
    repo_yaml,
)


def preload_libraries() -> None:
    """Load the data libraries now, so that the RSS measured after setup counts them out."""
    import duckdb  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow.parquet  # noqa: F401


#: (repo directory, port) -> the command that serves that repo over HTTP on 127.0.0.1
ServerArgv = Callable[[str, int], list[str]]


class StoreWorkloads:
    """One worker's store: set up per step, then timed calls against it."""

    def __init__(self, pkg: ModuleType, types: ModuleType, server_argv: ServerArgv) -> None:
        self.pkg = pkg
        self.types = types
        self.server_argv = server_argv
        self.store: Any = None
        self.views: list[str] = []
        self.repo_dir = ""
        self.server: subprocess.Popen | None = None

    def handlers(self) -> dict[str, Callable[..., dict]]:
        names = ("setup", "historical", "materialize", "online_read", "serve_start", "serve_stop", "teardown")
        return {name: getattr(self, name) for name in names}

    def setup(self, repo_dir: str, project: str, sources: dict[str, str], online: dict[str, Any], offline: str) -> dict:
        """A fresh repo with the benchmark definitions over ``sources`` (view -> parquet), applied."""
        self.teardown()
        preload_libraries()
        self.repo_dir = repo_dir
        repo = Path(repo_dir)
        shutil.rmtree(repo, ignore_errors=True)
        repo.mkdir(parents=True)
        (repo / "feature_store.yaml").write_text(repo_yaml(project, str(repo / "registry.db"), online, offline))
        ttls = {**HISTORICAL_VIEWS, ONLINE_VIEW: HISTORICAL_VIEWS["vb"]}
        self.views = list(sources)
        start = time.perf_counter()
        self.store = self.pkg.FeatureStore(repo_path=str(repo))
        self.store.apply(build_objects(self.pkg, self.types, sources, ttls))
        return {"apply_s": time.perf_counter() - start}

    def historical(self, entity_path: str, out_path: str | None = None) -> dict:
        """Wall time of one retrieval of every feature of every view, to a pandas frame."""
        import pandas as pd

        entity_df = pd.read_parquet(entity_path)
        refs = feature_refs(self.views)
        start = time.perf_counter()
        frame = self.store.get_historical_features(entity_df=entity_df, features=refs).to_df()
        seconds = time.perf_counter() - start
        if out_path:
            frame.to_parquet(out_path)
        return {"seconds": seconds, "rows": len(frame)}

    def materialize(self, start: str, end: str) -> dict:
        begin = time.perf_counter()
        self.store.materialize(start_date=datetime.fromisoformat(start), end_date=datetime.fromisoformat(end))
        return {"seconds": time.perf_counter() - begin}

    def online_read(self, batch: int, iterations: int, entities: int, seed: int) -> dict:
        """Latency of ``iterations`` in-process reads of ``batch`` random entities x every feature."""
        rng = random.Random(seed)
        refs = feature_refs(self.views)
        latencies, checksum = [], 0
        for _ in range(iterations):
            rows = [{JOIN_KEY: rng.randrange(entities)} for _ in range(batch)]
            start = time.perf_counter()
            values = self.store.get_online_features(features=refs, entity_rows=rows).to_dict()
            latencies.append(time.perf_counter() - start)
            checksum += sum(1 for v in values[refs[0].split(":")[1]] if v is not None)
        return {"latencies": latencies, "non_null": checksum}

    def serve_start(self, port: int) -> dict:
        """The store's own HTTP server for the current repo, on loopback, once it answers."""
        self.server = server_process.start(self.server_argv(self.repo_dir, port), f"http://127.0.0.1:{port}/health")
        return {"pid": self.server.pid}

    def serve_stop(self) -> dict:
        server_process.stop(self.server)
        self.server = None
        return {}

    def teardown(self) -> dict:
        self.serve_stop()
        if self.store is not None:
            self.store.teardown()
            self.store = None
        return {}
