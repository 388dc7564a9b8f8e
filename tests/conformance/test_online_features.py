"""Features through the codec and the online reader, on every online backend.

The same writes and reads as a user makes (``write_to_online_store``,
``materialize``, ``get_online_features``) with the backend under test behind
them: every dtype round trips (nulls, unicode, 1 MB values), composite keys,
and the TTL is applied at read time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from featurevault import Entity, FeatureView, Field, FileSource
from featurevault._ops import codec
from featurevault._ops.online import FieldStatus
from featurevault.types import (
    Array,
    Bool,
    Bytes,
    FeatureType,
    Float32,
    Float64,
    Int32,
    Int64,
    Json,
    Map,
    String,
    UnixTimestamp,
)
from tests.conformance.conftest import online_section
from tests.unit.online.repo_defs import ALL, T0, Harness, open_store, source_tables

TS = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
BIG = "ü" * (512 * 1024)  # 1 MiB of UTF-8

DTYPES: dict[str, tuple[FeatureType, list[Any]]] = {
    "f_int32": (Int32, [-(2**31), 2**31 - 1, None]),
    "f_int64": (Int64, [-(2**63), 2**63 - 1, None]),
    "f_float32": (Float32, [1.5, float("-inf"), None]),
    "f_float64": (Float64, [5e-324, 1e308, None]),
    "f_bool": (Bool, [True, False, None]),
    "f_string": (String, ["日本語 🎉", BIG, None]),
    "f_bytes": (Bytes, [b"\x00\xff", b"", None]),
    "f_ts": (UnixTimestamp, [TS, datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), None]),
    "f_map": (Map, [{"a": "1", "ü": "ß"}, {}, None]),
    "f_json": (Json, ['{"a": [1, 2]}', "null", None]),
    "f_ints": (Array(Int64), [[1, None, 3], [], None]),
    "f_floats": (Array(Float64), [[0.5, float("inf")], [], None]),
    "f_strings": (Array(String), [["x", "ÿ"], [], None]),
    "f_bools": (Array(Bool), [[True, False], [], None]),
    "f_bytes_list": (Array(Bytes), [[b"\x01"], [], None]),
    "f_ts_list": (Array(UnixTimestamp), [[TS, None], [], None]),
}

item = Entity(name="item", join_keys=["item_id"])
every_type = FeatureView(
    name="every_type",
    entities=[item],
    ttl=timedelta(0),
    schema=[Field(name="item_id", dtype=String)] + [Field(name=n, dtype=t) for n, (t, _) in DTYPES.items()],
    source=FileSource(name="every_type_source", path="data/every_type.parquet", timestamp_field="event_timestamp"),
)


def every_type_rows() -> pa.Table:
    rows = {"item_id": ["ключ-1", "key 2", "k3"], "event_timestamp": pa.array([T0] * 3, pa.timestamp("us", tz="UTC"))}
    for name, (dtype, values) in DTYPES.items():
        rows[name] = codec.values_to_arrow(values, dtype, what=name)
    return pa.table(rows)


@pytest.fixture
def harness(online_backend: str, tmp_path: Path) -> Iterator[Harness]:
    """The online tests' repo on a FeatureStore whose online store is the backend under test."""
    tables = {**source_tables(), "data/every_type.parquet": every_type_rows()}
    store = open_store(tmp_path, tables, online=online_section(online_backend, tmp_path))
    store.online_store.ping()
    store.apply([*ALL, item, every_type])
    store.set_now(T0 + timedelta(hours=2))
    yield store
    store.teardown()
    assert store.online_store.tables() == []
    store.close()


def test_every_dtype_round_trips(harness: Harness) -> None:
    assert harness.write_to_online_store("every_type", every_type_rows()) == 3
    refs = [f"every_type:{name}" for name in DTYPES]
    out = harness.get_online_features(refs, {"item_id": ["k3", "ключ-1", "missing", "key 2"]}).to_dict()
    for name, (_, values) in DTYPES.items():
        assert out[name] == [values[2], values[0], None, values[1]], name


def test_materialized_values_composite_keys_and_ttl(harness: Harness) -> None:
    harness.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2), ["driver_stats", "route_stats"])
    out = harness.get_online_features(
        ["driver_stats:conv_rate", "driver_stats:trips", "route_stats:duration"],
        {"driver_id": [1, 2, 3, 99], "origin": ["x", "y", "x", "q"], "dest": ["y", "x", "z", "q"]},
    )
    assert out.to_dict()["conv_rate"] == [0.75, 0.25, None, None]
    assert out.to_dict()["duration"] == [1.5, 3.5, 2.5, None]
    assert out.statuses["trips"] == [
        FieldStatus.PRESENT,
        FieldStatus.NULL_VALUE,
        FieldStatus.OUTSIDE_MAX_AGE,
        FieldStatus.NOT_FOUND,
    ]
    harness.set_now(T0 + timedelta(days=1, hours=1, seconds=1))  # driver_stats has a 1 day ttl
    later = harness.get_online_features(
        ["driver_stats:conv_rate", "route_stats:duration"], [{"driver_id": 1, "origin": "x", "dest": "y"}]
    )
    assert later.to_dict()["conv_rate"] == [None]
    assert later.statuses["conv_rate"] == [FieldStatus.OUTSIDE_MAX_AGE]
    assert later.to_dict()["duration"] == [1.5]  # ttl 0: never expires


@pytest.mark.parametrize("size", [1, 1000])
def test_batch_of_entities(harness: Harness, size: int) -> None:
    table = pa.table(
        {
            "driver_id": pa.array(range(size), pa.int64()),
            "event_timestamp": pa.array([T0] * size, pa.timestamp("us", tz="UTC")),
            "conv_rate": pa.array([i / 1000 for i in range(size)], pa.float32()),
            "trips": pa.array(range(size), pa.int64()),
            "city": [f"c{i}" for i in range(size)],
        }
    )
    harness.write_to_online_store("driver_stats", table)
    out = harness.get_online_features(
        ["driver_stats:trips", "driver_stats:city"], {"driver_id": list(range(size))[::-1]}
    ).to_dict()
    assert out["trips"] == list(range(size))[::-1]
    assert out["city"] == [f"c{i}" for i in range(size)][::-1]


def test_ttl_boundary_to_the_microsecond(harness: Harness) -> None:
    """A value exactly ttl old is served; one microsecond older is OUTSIDE_MAX_AGE."""
    written = datetime(2024, 3, 4, 5, 6, 7, 654321, tzinfo=UTC)
    row = pa.table(
        {
            "driver_id": pa.array([7], pa.int64()),
            "event_timestamp": pa.array([written], pa.timestamp("us", tz="UTC")),
            "conv_rate": pa.array([0.5], pa.float32()),
            "trips": pa.array([3], pa.int64()),
            "city": ["x"],
        }
    )
    harness.write_to_online_store("driver_stats", row)  # driver_stats has a ttl of exactly one day
    expected = {
        timedelta(days=1) - timedelta(microseconds=1): FieldStatus.PRESENT,
        timedelta(days=1): FieldStatus.PRESENT,
        timedelta(days=1, microseconds=1): FieldStatus.OUTSIDE_MAX_AGE,
        timedelta(days=1, microseconds=2): FieldStatus.OUTSIDE_MAX_AGE,
    }
    for age, status in expected.items():
        harness.set_now(written + age)
        out = harness.get_online_features(["driver_stats:trips"], [{"driver_id": 7}])
        assert out.statuses["trips"] == [status], age
        assert out.to_dict()["trips"] == [3 if status is FieldStatus.PRESENT else None], age
