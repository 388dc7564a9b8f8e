"""Shared set-up of the online benchmarks: a project with one 20-feature view on the embedded stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from featurevault import Entity, FeatureView, Field, FileSource
from featurevault.backends.online.sqlite import Store as SqliteOnlineStore
from featurevault.backends.registry.sqlite import Store as SqliteRegistry
from featurevault.model import RepoContents
from featurevault.ops.online import OnlineReader, OnlineResponse
from featurevault.ops.registry_cache import RegistryCache
from featurevault.types import Float32, Float64, Int64, String

PROJECT = "bench"
VIEW = "user_stats"
N_FEATURES = 20
NOW = datetime(2024, 6, 1, tzinfo=UTC)


def feature_fields() -> list[Field]:
    """20 features of mixed types, the shape of a typical user-profile view."""
    types = [Float64] * 8 + [Float32] * 4 + [Int64] * 6 + [String] * 2
    return [Field(name=f"f{i:02d}", dtype=t) for i, t in enumerate(types)]


def make_view() -> FeatureView:
    user = Entity(name="user", join_keys=["user_id"])
    source = FileSource(name="user_source", path="users.parquet", timestamp_field="event_timestamp")
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


@dataclass
class OnlineHarness:
    """The registry cache, online store and reader wired as the FeatureStore facade wires them."""

    registry: RegistryCache
    online_store: SqliteOnlineStore
    reader: OnlineReader
    project: str = PROJECT
    offline_store: Any = None

    def get_online_features(self, features: Any, entity_rows: Any, full_feature_names: bool = False) -> OnlineResponse:
        version, contents = self.registry.versioned_contents()
        return self.reader.read(version, contents, features, entity_rows, full_feature_names)

    def close(self) -> None:
        self.online_store.close()
        self.registry.close()


def open_harness(workdir: Path, view: FeatureView, offline_store: Any = None) -> OnlineHarness:
    registry = SqliteRegistry(workdir / "registry.db")
    contents = RepoContents()
    for obj in (*view.entities, view.source, view):
        contents.by_kind(obj.kind)[obj.name] = obj
    registry.commit(PROJECT, contents.to_dict(), expected_version=registry.latest_version(PROJECT),
                    author="bench", message="bench")
    online = SqliteOnlineStore(workdir / "online.db", PROJECT)
    cache = RegistryCache(registry, PROJECT, 10.0)
    return OnlineHarness(cache, online, OnlineReader(online, clock=NOW.timestamp), offline_store=offline_store)
