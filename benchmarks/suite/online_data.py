"""Data of the standalone online benchmarks (`python -m benchmarks.bench_online`, `bench_backends`, ...): one
20-feature view of users on the embedded defaults, its rows, and a repo over them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from featurevault import Entity, FeatureView, Field, FileSource
from featurevault._store import FeatureStore
from featurevault.types import Float32, Float64, Int64, String

PROJECT = "bench"
VIEW = "user_stats"
N_FEATURES = 20
#: data is a day old at most, so the view's ttl keeps it live when read with the real clock
NOW = datetime.now(UTC).replace(microsecond=0)


def feature_fields() -> list[Field]:
    """20 features of mixed types, the shape of a typical user-profile view."""
    types = [Float64] * 8 + [Float32] * 4 + [Int64] * 6 + [String] * 2
    return [Field(name=f"f{i:02d}", dtype=t) for i, t in enumerate(types)]


def make_view() -> FeatureView:
    user = Entity(name="user", join_keys=["user_id"])
    source = FileSource(name="user_source", path="data/users.parquet", timestamp_field="event_timestamp")
    return FeatureView(name=VIEW, entities=[user], ttl=timedelta(days=365), schema=feature_fields(), source=source)


def make_rows(n: int, seed: int = 0) -> pa.Table:
    """``n`` distinct users, one row each, event times within the last day."""
    rng = np.random.default_rng(seed)
    columns: dict[str, Any] = {
        "user_id": pa.array(np.arange(n, dtype=np.int64)),
        "event_timestamp": pa.array(
            (NOW - timedelta(days=1)).timestamp() * 1e6 + rng.integers(0, 86_400_000_000, n), pa.int64()
        ).cast(pa.timestamp("us", tz="UTC")),
    }
    for f in feature_fields():
        if f.dtype == String:
            columns[f.name] = pa.array([f"s{v}" for v in rng.integers(0, 1000, n)])
        elif f.dtype == Int64:
            columns[f.name] = pa.array(rng.integers(0, 1_000_000, n))
        else:
            columns[f.name] = pa.array(rng.random(n), f.dtype.to_arrow())
    return pa.table(columns)


CONFIG = """\
project: bench
registry: data/registry.db
provider: local
online_store:
  type: sqlite
  path: data/online.db
offline_store:
  type: duckdb
"""


def open_repo(workdir: Path, rows: pa.Table, config: str = CONFIG) -> FeatureStore:
    """A feature repo in ``workdir`` with the view applied and its source written (not materialized)."""
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    (workdir / "feature_store.yaml").write_text(config)
    pq.write_table(rows, workdir / "data" / "users.parquet")
    store = FeatureStore(repo_path=workdir)
    store.apply([make_view()])
    return store
