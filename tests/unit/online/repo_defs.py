"""What the online tests share: a FeatureStore on a tmp repo with a frozen read clock, and a small
repo (drivers with one key, routes with two, a global view, a push-fed view, on-demand views in
both modes, a feature service) with its source rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import yaml

from featurevault import Entity, FeatureService, FeatureView, Field, FileSource, PushSource, RequestSource
from featurevault._model import on_demand_feature_view
from featurevault._store import FeatureStore
from featurevault.types import Float32, Float64, Int64, String
from tests.support.repo_builder import RepoBuilder

T0 = datetime(2024, 1, 1, tzinfo=UTC)

SQLITE_ONLINE = {"type": "sqlite", "path": "data/online.db"}


class Harness(FeatureStore):
    """The FeatureStore facade, plus a frozen clock for online reads (TTL checks)."""

    def set_now(self, when: datetime) -> None:
        self._online_reader.clock = when.timestamp


def open_store(
    repo: Path, tables: dict[str, pa.Table], online: dict[str, Any] | None = None, extra: str = ""
) -> Harness:
    """A repo in ``repo`` (project ``proj``) with ``tables`` written under it, ``online`` as its
    online_store section and ``extra`` (top-level yaml sections) beside it."""
    return (
        RepoBuilder(repo, project="proj")
        .with_online(online or SQLITE_ONLINE)
        .with_config(**(yaml.safe_load(extra) or {}))
        .with_tables(tables)
        .open(Harness)
    )


def source_tables() -> dict[str, pa.Table]:
    """Repo-relative Parquet path -> rows."""
    return {
        "data/driver.parquet": driver_rows(),
        "data/route.parquet": route_rows(),
        "data/global.parquet": global_rows(),
    }


# -- a small repo: drivers (single key), trips (composite key), a global view, ODFVs, a service --------

driver = Entity(name="driver", join_keys=["driver_id"])
route = Entity(name="route", join_keys=["origin", "dest"])

driver_source = FileSource(name="driver_source", path="data/driver.parquet", timestamp_field="event_timestamp")
driver_stats = FeatureView(
    name="driver_stats",
    entities=[driver],
    ttl=timedelta(days=1),
    schema=[
        Field(name="driver_id", dtype=Int64),
        Field(name="conv_rate", dtype=Float32),
        Field(name="trips", dtype=Int64),
        Field(name="city", dtype=String),
    ],
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

ALL = [
    driver,
    route,
    driver_source,
    route_source,
    global_source,
    push_source,
    request,
    driver_stats,
    route_stats,
    global_stats,
    driver_fresh,
    rate_plus_bonus,
    trips_python,
    service,
]


def driver_rows() -> pa.Table:
    """Drivers 1..3; driver 1 has two rows (the later wins), driver 3 is a day older than the others."""
    return pa.table(
        {
            "driver_id": pa.array([1, 1, 2, 3], pa.int64()),
            "event_timestamp": pa.array(
                [T0, T0 + timedelta(hours=1), T0, T0 - timedelta(days=1)], pa.timestamp("us", tz="UTC")
            ),
            "conv_rate": pa.array([0.5, 0.75, 0.25, 0.125], pa.float32()),
            "trips": pa.array([10, 11, None, 30], pa.int64()),
            "city": ["a", "b", "c", "d"],
        }
    )


def route_rows() -> pa.Table:
    return pa.table(
        {
            "origin": ["x", "x", "y"],
            "dest": ["y", "z", "x"],
            "event_timestamp": pa.array([T0] * 3, pa.timestamp("us", tz="UTC")),
            "duration": [1.5, 2.5, 3.5],
        }
    )


def global_rows() -> pa.Table:
    return pa.table(
        {
            "event_timestamp": pa.array([T0 - timedelta(days=400), T0], pa.timestamp("us", tz="UTC")),
            "total": [1, 2],
        }
    )
