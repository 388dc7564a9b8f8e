"""Schema inference at apply: every column type DuckDB reads from a source, and the join keys' types.

The source file is written by DuckDB itself, so the Arrow types are the ones the offline engine
really produces; an inferred view is then materialized and read back, value for value.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from featurevault import Entity, FeatureView, Field, FileSource
from featurevault.errors import DefinitionError, SchemaMismatchError
from featurevault.types import (
    Array,
    Bool,
    Bytes,
    Float32,
    Float64,
    Int32,
    Int64,
    Map,
    String,
    UnixTimestamp,
)
from tests.unit.online.repo_defs import Harness, open_store

NOW = datetime(2024, 1, 2, tzinfo=UTC)

# DuckDB expression -> (inferred type, the value read back online)
COLUMNS = {
    "c_tinyint": ("7::TINYINT", Int32, 7),
    "c_smallint": ("7::SMALLINT", Int32, 7),
    "c_integer": ("7::INTEGER", Int32, 7),
    "c_bigint": ("7::BIGINT", Int64, 7),
    "c_utinyint": ("7::UTINYINT", Int64, 7),
    "c_usmallint": ("7::USMALLINT", Int64, 7),
    "c_uinteger": ("7::UINTEGER", Int64, 7),
    "c_ubigint": ("7::UBIGINT", Int64, 7),
    "c_hugeint": ("7::HUGEINT", Float64, 7.0),
    "c_float": ("1.5::FLOAT", Float32, 1.5),
    "c_double": ("1.5::DOUBLE", Float64, 1.5),
    "c_decimal": ("1.25::DECIMAL(10, 2)", Float64, 1.25),
    "c_boolean": ("true", Bool, True),
    "c_varchar": ("'ü'", String, "ü"),
    "c_uuid": ("'8d3c9f6e-0e52-4c39-9a8e-3d4e3a8b9c01'::UUID", String, "8d3c9f6e-0e52-4c39-9a8e-3d4e3a8b9c01"),
    "c_enum": ("'ok'::mood", String, "ok"),
    "c_blob": ("'\\x01'::BLOB", Bytes, b"\x01"),
    "c_date": ("DATE '2024-01-01'", UnixTimestamp, datetime(2024, 1, 1, tzinfo=UTC)),
    "c_timestamp": (
        "TIMESTAMP '2024-01-01 01:02:03.456789'",
        UnixTimestamp,
        datetime(2024, 1, 1, 1, 2, 3, 456789, tzinfo=UTC),
    ),
    "c_timestamptz": ("TIMESTAMPTZ '2024-01-01 01:02:03+00'", UnixTimestamp, datetime(2024, 1, 1, 1, 2, 3, tzinfo=UTC)),
    "c_timestamp_ns": ("'2024-01-01 01:02:03'::TIMESTAMP_NS", UnixTimestamp, datetime(2024, 1, 1, 1, 2, 3, tzinfo=UTC)),
    "c_timestamp_s": ("'2024-01-01 01:02:03'::TIMESTAMP_S", UnixTimestamp, datetime(2024, 1, 1, 1, 2, 3, tzinfo=UTC)),
    "c_map": ("MAP {'a': 'b'}", Map, {"a": "b"}),
    "c_int_list": ("[1, 2]::BIGINT[]", Array(Int64), [1, 2]),
    "c_int_array": ("[1, 2]::INTEGER[2]", Array(Int32), [1, 2]),
    "c_str_list": ("['a', NULL]", Array(String), ["a", None]),
    "c_double_list": ("[0.5]::DOUBLE[]", Array(Float64), [0.5]),
    "c_bool_list": ("[true]", Array(Bool), [True]),
    "c_ts_list": ("[TIMESTAMP '2024-01-01']", Array(UnixTimestamp), [datetime(2024, 1, 1, tzinfo=UTC)]),
}
# DuckDB types with no feature type: apply names the view and the column
REFUSED = {"c_time": "TIME '01:02:03'", "c_interval": "INTERVAL 1 DAY", "c_null": "NULL"}


def write_source(repo: Path, columns: dict[str, str], key_sql: str = "1001::BIGINT") -> None:
    con = duckdb.connect()
    con.sql("CREATE TYPE mood AS ENUM ('sad', 'ok')")
    selected = ", ".join(f"{sql} AS {name}" for name, sql in columns.items())
    path = repo / "data" / "all_types.parquet"
    con.sql(
        f"COPY (SELECT {key_sql} AS item_id, TIMESTAMPTZ '2024-01-01 00:00:00+00' AS event_timestamp, "
        f"{selected}) TO '{path}' (FORMAT parquet)"
    )
    con.close()


def inferred_view(name: str = "all_types") -> FeatureView:
    source = FileSource(name=f"{name}_source", path="data/all_types.parquet", timestamp_field="event_timestamp")
    return FeatureView(
        name=name, entities=[Entity(name="item", join_keys=["item_id"])], ttl=timedelta(0), source=source
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Harness]:
    harness = open_store(tmp_path, {})
    harness.set_now(NOW)
    yield harness
    harness.close()


def test_every_source_type_is_inferred_and_round_trips(store: Harness) -> None:
    write_source(store.repo_path, {name: sql for name, (sql, _, _) in COLUMNS.items()})
    view = inferred_view()
    store.apply([view.entities[0], view.source, view])
    applied = store.get_feature_view("all_types")
    assert {f.name: f.dtype for f in applied.entity_columns} == {"item_id": Int64}
    assert {f.name: f.dtype for f in applied.features} == {name: dtype for name, (_, dtype, _) in COLUMNS.items()}

    store.materialize(datetime(2023, 12, 31, tzinfo=UTC), NOW)
    out = store.get_online_features([f"all_types:{name}" for name in COLUMNS], [{"item_id": 1001}]).to_dict()
    assert {name: out[name][0] for name in COLUMNS} == {name: value for name, (_, _, value) in COLUMNS.items()}


@pytest.mark.parametrize("column", sorted(REFUSED))
def test_a_type_without_a_feature_type_names_view_and_column(store: Harness, column: str) -> None:
    write_source(store.repo_path, {"c_ok": "1", column: REFUSED[column]})
    view = inferred_view()
    with pytest.raises(DefinitionError) as info:
        store.apply([view.entities[0], view.source, view])
    assert "feature view 'all_types'" in str(info.value) and repr(column) in str(info.value)


def test_join_key_types_are_inferred_when_the_schema_leaves_them_out(store: Harness) -> None:
    write_source(store.repo_path, {"score": "0.5::DOUBLE"}, key_sql="'a1'")
    source = FileSource(name="scores_source", path="data/all_types.parquet", timestamp_field="event_timestamp")
    item = Entity(name="item", join_keys=["item_id"])
    declared = FeatureView(name="scores", entities=[item], source=source, schema=[Field(name="score", dtype=Float64)])
    store.apply([item, source, declared])
    applied = store.get_feature_view("scores")
    assert [(f.name, f.dtype) for f in applied.entity_columns] == [("item_id", String)]
    assert [f.name for f in applied.features] == ["score"]
    store.materialize(datetime(2023, 12, 31, tzinfo=UTC), NOW)
    with pytest.raises(SchemaMismatchError, match="join key 'item_id'.*String"):
        store.get_online_features(["scores:score"], [{"item_id": 1.5}])
    assert store.get_online_features(["scores:score"], [{"item_id": "a1"}]).to_dict()["score"] == [0.5]
