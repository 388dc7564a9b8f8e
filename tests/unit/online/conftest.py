"""A real feature store for online tests: a tmp repo on the embedded defaults (SQLite registry and
online store, DuckDB over Parquet), with "now" frozen for reads through the reader's clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurevault import Entity, FeatureService, FeatureView, Field, FileSource, PushSource, RequestSource
from featurevault.model import on_demand_feature_view
from featurevault.store import FeatureStore
from featurevault.types import Float32, Float64, Int64, String

T0 = datetime(2024, 1, 1, tzinfo=UTC)

CONFIG = """\
project: proj
registry: data/registry.db
provider: local
online_store:
  type: sqlite
  path: data/online.db
offline_store:
  type: duckdb
"""


class Harness(FeatureStore):
    """The FeatureStore facade, plus a frozen clock for online reads (TTL checks)."""

    def set_now(self, when: datetime) -> None:
        self._online_reader.clock = when.timestamp


def open_store(repo: Path, tables: dict[str, pa.Table]) -> Harness:
    (repo / "data").mkdir(parents=True, exist_ok=True)
    (repo / "feature_store.yaml").write_text(CONFIG)
    for path, table in tables.items():
        pq.write_table(table, repo / path)
    return Harness(repo_path=repo)


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    """An empty project (no definitions)."""
    store = open_store(tmp_path, {})
    store.set_now(T0)
    yield store
    store.close()


# -- a small repo: drivers (single key), trips (composite key), a global view, ODFVs, a service --------

driver = Entity(name="driver", join_keys=["driver_id"])
route = Entity(name="route", join_keys=["origin", "dest"])

driver_source = FileSource(name="driver_source", path="data/driver.parquet", timestamp_field="event_timestamp")
driver_stats = FeatureView(
    name="driver_stats",
    entities=[driver],
    ttl=timedelta(days=1),
    schema=[Field(name="driver_id", dtype=Int64), Field(name="conv_rate", dtype=Float32),
            Field(name="trips", dtype=Int64), Field(name="city", dtype=String)],
    source=driver_source,
)
route_source = FileSource(name="route_source", path="data/route.parquet", timestamp_field="event_timestamp")
route_stats = FeatureView(
    name="route_stats",
    entities=[route],
    ttl=timedelta(0),
    schema=[Field(name="duration", dtype=Float64)],
    source=route_source,
)
global_source = FileSource(name="global_source", path="data/global.parquet", timestamp_field="event_timestamp")
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
def repo(tmp_path: Path) -> Iterator[Harness]:
    """The small repo applied, its sources filled, nothing materialized yet; now = T0 + 2h."""
    tables = {"data/driver.parquet": driver_rows(), "data/route.parquet": route_rows(),
              "data/global.parquet": global_rows()}
    store = open_store(tmp_path, tables)
    store.apply(ALL)
    store.set_now(T0 + timedelta(hours=2))
    yield store
    store.close()
