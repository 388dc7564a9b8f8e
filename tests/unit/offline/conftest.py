"""Helpers for the offline engine tests: tiny Parquet sources, views, an engine per join plan."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurevault._backends.offline.base import OfflineStore
from featurevault._backends.offline.duckdb import Config, Store
from featurevault._model import Entity, FeatureView, Field, FileSource, RepoContents
from featurevault.types import Float64, Int64

T0 = datetime(2024, 1, 15, 12, 0, 0)
DRIVER = Entity(name="driver", join_keys=["driver_id"])


def ts(seconds: float = 0, micros: int = 0) -> datetime:
    """T0 shifted by seconds and microseconds (naive, meaning UTC)."""
    return T0 + timedelta(seconds=seconds, microseconds=micros)


def write_parquet(path: Path, columns: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            name: pa.array(values, pa.timestamp("us")) if values and isinstance(_first(values), datetime) else values
            for name, values in columns.items()
        }
    )
    pq.write_table(table, path)
    return path


def _first(values: list[Any]) -> Any:
    return next((v for v in values if v is not None), None)


def make_view(
    name: str,
    path: str,
    features: list[str],
    *,
    entities: list[Entity] | None = None,
    ttl: timedelta | None = None,
    created: str = "",
    timestamp_field: str = "event_ts",
    key_types: dict[str, Any] | None = None,
    **source_kwargs: Any,
) -> FeatureView:
    entities = [DRIVER] if entities is None else entities
    keys = [k for e in entities for k in e.join_keys]
    schema = [Field(name=k, dtype=(key_types or {}).get(k, Int64)) for k in keys]
    schema += [Field(name=f, dtype=Float64) for f in features]
    source = FileSource(
        name=f"{name}_source",
        path=path,
        timestamp_field=timestamp_field,
        created_timestamp_column=created,
        **source_kwargs,
    )
    return FeatureView(name=name, source=source, entities=entities, schema=schema, ttl=ttl)


def contents(*objects: Any) -> RepoContents:
    result = RepoContents()
    for obj in objects:
        result.by_kind(obj.kind)[obj.name] = obj
        for entity in getattr(obj, "entities", []):
            result.entities[entity.name] = entity
    return result


#: Spark runs in one xdist worker, which holds the run's single SparkSession
SPARK = pytest.param("spark", marks=pytest.mark.xdist_group("spark"))


def spark_engine(request: pytest.FixtureRequest, tmp_path: Path) -> OfflineStore:
    """The Spark engine on the run's shared local[2] session, resolving paths under tmp_path."""
    from featurevault._backends.offline import spark

    request.getfixturevalue("spark_session")
    return spark.Store.from_config(spark.Config(), resolve=lambda p: tmp_path / p)


@pytest.fixture(params=["hash", "asof", SPARK])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OfflineStore]:
    """Each engine in turn (DuckDB forcing each join plan, then Spark), resolving paths under tmp_path."""
    if request.param == "spark":
        store = spark_engine(request, tmp_path)
    else:
        store = Store.from_config(Config(join_strategy=request.param), resolve=lambda p: tmp_path / p)
    yield store
    store.close()


@pytest.fixture
def make_engine(tmp_path: Path) -> Iterator[Callable[..., Store]]:
    stores: list[Store] = []

    def build(**config: Any) -> Store:
        store = Store.from_config(Config(**config), resolve=lambda p: tmp_path / p)
        stores.append(store)
        return store

    yield build
    for store in stores:
        store.close()
