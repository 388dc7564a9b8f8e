"""Apply checks each declared field's dtype against the source column: lossless widening only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from featurevault.errors import DefinitionError
from featurevault._ops.schema_check import holds_losslessly
from featurevault.types import Array, Float32, Float64, Int32, Int64, Json, Map, String, Struct, UnixTimestamp
from tests.unit.online.repo_defs import driver, open_store


@pytest.mark.parametrize(
    ("declared", "actual"),
    [
        (Int64, pa.int32()),
        (Int64, pa.int8()),
        (Float64, pa.float32()),
        (Float64, pa.int32()),
        (Float32, pa.int16()),
        (UnixTimestamp, pa.date32()),
        (UnixTimestamp, pa.timestamp("ns")),
        (String, pa.large_string()),
        (Json, pa.string()),
        (Map, pa.struct([("a", pa.string())])),
        (Array(Int64), pa.list_(pa.int32())),
        (Struct({"a": Int64}), pa.struct([("a", pa.int32()), ("b", pa.int8())])),
        (Int64, pa.null()),
    ],
)
def test_lossless_widening_is_allowed(declared: object, actual: pa.DataType) -> None:
    assert holds_losslessly(declared, actual)


@pytest.mark.parametrize(
    ("declared", "actual"),
    [
        (Int64, pa.float64()),
        (Int32, pa.int64()),
        (Float32, pa.int64()),
        (Float32, pa.float64()),
        (Int64, pa.string()),
        (String, pa.int64()),
        (Int64, pa.uint64()),
        (Array(Int32), pa.list_(pa.int64())),
        (Struct({"a": Int64}), pa.struct([("b", pa.int64())])),
        (UnixTimestamp, pa.int64()),
    ],
)
def test_lossy_or_reinterpreting_types_are_refused(declared: object, actual: pa.DataType) -> None:
    assert not holds_losslessly(declared, actual)


def test_apply_names_view_field_declared_and_actual_type(tmp_path: Path) -> None:
    from featurevault import FeatureView, Field, FileSource

    table = pa.table(
        {
            "driver_id": pa.array([1], pa.int64()),
            "event_timestamp": pa.array([0], pa.timestamp("us", tz="UTC")),
            "driver_trips": pa.array([1.5], pa.float64()),
            "driver_rate": pa.array([0.5], pa.float32()),
        }
    )
    store = open_store(tmp_path, {"data/stats.parquet": table})
    source = FileSource(name="stats_source", path="data/stats.parquet", timestamp_field="event_timestamp")

    def view(trips_type: object) -> FeatureView:
        return FeatureView(
            name="driver_stats",
            entities=[driver],
            ttl=timedelta(days=1),
            source=source,
            schema=[Field(name="driver_trips", dtype=trips_type), Field(name="driver_rate", dtype=Float64)],
        )

    with pytest.raises(DefinitionError) as info:
        store.apply([driver, source, view(Int64)])
    message = str(info.value)
    assert "'driver_stats'" in message and "'driver_trips'" in message and "Int64" in message and "double" in message
    assert store.list_feature_views() == []
    store.apply([driver, source, view(Float64)])  # float32 data in a Float64 field widens losslessly
    assert [v.name for v in store.list_feature_views()] == ["driver_stats"]
    store.close()
