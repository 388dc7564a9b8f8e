"""A small feature store for online tests: the real SQLite registry and online store, an in-memory offline engine.

The offline engine is a plain implementation of the OfflineStore interface over
Arrow tables (latest row per key by event time, then created time), so these
tests exercise materialization without depending on the DuckDB engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from featurevault import Entity, FeatureService, FeatureView, Field, FileSource, PushSource, RequestSource
from featurevault.backends.offline.base import EVENT_TS, OfflineStore, ViewRequest
from featurevault.backends.online.sqlite import Store as SqliteOnlineStore
from featurevault.backends.registry.sqlite import Store as SqliteRegistry
from featurevault.model import DataSource, RepoContents, on_demand_feature_view
from featurevault.ops import materialize as materialize_ops
from featurevault.ops import write as write_ops
from featurevault.ops.online import OnlineReader, OnlineResponse
from featurevault.ops.registry_cache import RegistryCache
from featurevault.types import Float32, Float64, Int64, String

T0 = datetime(2024, 1, 1, tzinfo=UTC)


class MemoryOffline(OfflineStore):
    """Batch sources held as Arrow tables, keyed by source path."""

    type_name = "memory"

    def __init__(self) -> None:
        self.tables: dict[str, pa.Table] = {}
        self.appended: list[tuple[str, pa.Table]] = []
        #: raise after this many batches (to test failed runs)
        self.fail_after_batches: int | None = None

    @classmethod
    def from_config(cls, config: Any, *, resolve: Callable[[str], Path]) -> MemoryOffline:
        return cls()

    def historical(self, entity: Any, requests: list[ViewRequest], *, timestamp_column: str) -> pa.Table:
        raise AssertionError("not used by online tests")

    def _rows(self, view: FeatureView) -> pd.DataFrame:
        source = view.batch_source
        df = self.tables[source.path].to_pandas().rename(columns=source.field_mapping)
        return df.rename(columns={source.timestamp_field: EVENT_TS})

    def latest_per_key(
        self, view: FeatureView, start: datetime | None, end: datetime, *, batch_rows: int = 100_000
    ) -> Iterator[pa.RecordBatch]:
        df = self._rows(view)
        df = df[(df[EVENT_TS] <= end) & ((df[EVENT_TS] >= start) if start is not None else True)]
        created = view.batch_source.created_timestamp_column
        df = df.sort_values([EVENT_TS, created] if created else [EVENT_TS], kind="stable")
        if view.join_keys:
            df = df.groupby(view.join_keys, sort=False).tail(1)
        else:
            df = df.tail(1)
        table = pa.Table.from_pandas(df[[*view.join_keys, EVENT_TS, *view.feature_names]], preserve_index=False)
        for i, batch in enumerate(table.to_batches(max_chunksize=batch_rows)):
            if self.fail_after_batches is not None and i >= self.fail_after_batches:
                raise RuntimeError("offline engine failed mid-run")
            yield batch

    def time_range(self, view: FeatureView) -> tuple[datetime | None, datetime | None]:
        ts = self._rows(view)[EVENT_TS]
        return (None, None) if ts.empty else (ts.min().to_pydatetime(), ts.max().to_pydatetime())

    def schema(self, source: DataSource) -> pa.Schema:
        return self.tables[source.path].schema

    def append(self, source: DataSource, table: pa.Table) -> None:
        self.appended.append((source.path, table))


@dataclass
class Harness:
    """Duck-types the parts of the FeatureStore facade that the online ops use."""

    project: str
    registry: RegistryCache
    online_store: SqliteOnlineStore
    offline_store: MemoryOffline
    now: list[float] = field(default_factory=lambda: [T0.timestamp()])

    def __post_init__(self) -> None:
        self.reader = OnlineReader(self.online_store, clock=lambda: self.now[0])

    def set_now(self, when: datetime) -> None:
        self.now[0] = when.timestamp()

    def apply(self, *objects: Any) -> None:
        contents = RepoContents()
        for obj in objects:
            contents.by_kind(obj.kind)[obj.name] = obj
        base = self.registry.registry.latest_version(self.project)
        self.registry.registry.commit(
            self.project, contents.to_dict(), expected_version=base, author="test", message="test"
        )
        self.registry.refresh(force=True)

    def get_online_features(self, features: Any, entity_rows: Any, full_feature_names: bool = False) -> OnlineResponse:
        version, contents = self.registry.versioned_contents()
        return self.reader.read(version, contents, features, entity_rows, full_feature_names)

    def materialize(self, start: datetime, end: datetime, views: list[str] | None = None) -> Any:
        return materialize_ops.materialize(self, start, end, views)

    def materialize_incremental(self, end: datetime, views: list[str] | None = None) -> Any:
        return materialize_ops.materialize_incremental(self, end, views)

    def push(self, name: str, df: Any, to: Any = write_ops.PushMode.ONLINE) -> int:
        return write_ops.push(self, name, df, to)

    def write_to_online_store(self, view: str, df: Any) -> int:
        return write_ops.write_to_online_store(self, view, df)


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    registry = SqliteRegistry(tmp_path / "registry.db")
    online = SqliteOnlineStore(tmp_path / "online.db", "proj")
    h = Harness("proj", RegistryCache(registry, "proj", 0.0), online, MemoryOffline())
    yield h
    online.close()
    registry.close()


# -- a small repo: drivers (single key), trips (composite key), a global view, ODFVs, a service --------

driver = Entity(name="driver", join_keys=["driver_id"])
route = Entity(name="route", join_keys=["origin", "dest"])

driver_source = FileSource(name="driver_source", path="driver.parquet", timestamp_field="event_timestamp")
driver_stats = FeatureView(
    name="driver_stats",
    entities=[driver],
    ttl=timedelta(days=1),
    schema=[Field(name="driver_id", dtype=Int64), Field(name="conv_rate", dtype=Float32),
            Field(name="trips", dtype=Int64), Field(name="city", dtype=String)],
    source=driver_source,
)
route_source = FileSource(name="route_source", path="route.parquet", timestamp_field="event_timestamp")
route_stats = FeatureView(
    name="route_stats",
    entities=[route],
    ttl=timedelta(0),
    schema=[Field(name="duration", dtype=Float64)],
    source=route_source,
)
global_source = FileSource(name="global_source", path="global.parquet", timestamp_field="event_timestamp")
global_stats = FeatureView(
    name="global_stats", entities=[], ttl=None, schema=[Field(name="total", dtype=Int64)], source=global_source
)
push_source = PushSource(name="driver_push", batch_source=driver_source)
driver_fresh = FeatureView(
    name="driver_fresh",
    entities=[driver],
    ttl=timedelta(0),
    schema=[Field(name="conv_rate", dtype=Float32), Field(name="trips", dtype=Int64), Field(name="city", dtype=String)],
    source=push_source,
)
request = RequestSource(name="req", schema=[Field(name="bonus", dtype=Int64)])


@on_demand_feature_view(sources=[driver_stats, request], schema=[Field(name="rate_plus_bonus", dtype=Float64)])
def rate_plus_bonus(inputs: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"rate_plus_bonus": inputs["conv_rate"] + inputs["bonus"]})


@on_demand_feature_view(
    sources=[driver_stats[["trips"]], request], schema=[Field(name="trips_x2", dtype=Int64)], mode="python"
)
def trips_python(inputs: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {"trips_x2": [None if t is None else t * 2 + b - b for t, b in zip(inputs["trips"], inputs["bonus"])]}


service = FeatureService(name="driver_service", features=[driver_stats[["conv_rate", "city"]], rate_plus_bonus])

ALL = [driver, route, driver_source, route_source, global_source, push_source, request,
       driver_stats, route_stats, global_stats, driver_fresh, rate_plus_bonus, trips_python, service]


def driver_rows() -> pa.Table:
    """Drivers 1..3; driver 1 has two rows (the later wins), driver 3 is a day older than the others."""
    return pa.table({
        "driver_id": pa.array([1, 1, 2, 3], pa.int64()),
        "event_timestamp": pa.array([T0, T0 + timedelta(hours=1), T0, T0 - timedelta(days=1)],
                                    pa.timestamp("us", tz="UTC")),
        "conv_rate": pa.array([0.5, 0.75, 0.25, 0.125], pa.float32()),
        "trips": pa.array([10, 11, None, 30], pa.int64()),
        "city": ["a", "b", "c", "d"],
    })


def route_rows() -> pa.Table:
    return pa.table({
        "origin": ["x", "x", "y"],
        "dest": ["y", "z", "x"],
        "event_timestamp": pa.array([T0] * 3, pa.timestamp("us", tz="UTC")),
        "duration": [1.5, 2.5, 3.5],
    })


def global_rows() -> pa.Table:
    return pa.table({
        "event_timestamp": pa.array([T0 - timedelta(days=400), T0], pa.timestamp("us", tz="UTC")),
        "total": [1, 2],
    })


@pytest.fixture
def repo(harness: Harness) -> Harness:
    """The harness with the small repo applied and its sources filled (nothing materialized yet)."""
    harness.offline_store.tables.update(
        {"driver.parquet": driver_rows(), "route.parquet": route_rows(), "global.parquet": global_rows()}
    )
    harness.apply(*ALL)
    harness.set_now(T0 + timedelta(hours=2))
    return harness
