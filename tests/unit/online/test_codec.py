"""Round trips of every feature type through the record codec, and entity-key packing."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from featurevault.errors import SchemaMismatchError
from featurevault._model import Field
from featurevault._ops import codec
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

TS = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)

CASES: list[tuple[FeatureType, list[object]]] = [
    (Int32, [0, -(2**31), 2**31 - 1, None]),
    (Int64, [0, -(2**63), 2**63 - 1, None]),
    (Float32, [1.5, -0.0, float("inf"), None]),
    (Float64, [1e308, 5e-324, float("-inf"), None]),
    (Bool, [True, False, None]),
    (String, ["", "héllo", "日本語 🎉", None]),
    (Bytes, [b"", b"\x00\xff", None]),
    (UnixTimestamp, [TS, datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), None]),
    (Map, [{"a": "1", "ü": "ß"}, {}, None]),
    (Json, ['{"a": [1, 2]}', "null", None]),
    (Array(Int64), [[1, None, 3], [], None]),
    (Array(Float64), [[0.5, float("inf")], None]),
    (Array(String), [["x", "ÿ"], None]),
    (Array(Bool), [[True, False], None]),
    (Array(Bytes), [[b"\x01"], None]),
    (Array(UnixTimestamp), [[TS, None], None]),
]


def _round_trip(dtype: FeatureType, values: list[object]) -> list[object]:
    fields = [Field(name="f", dtype=dtype)]
    layout = codec.Layout.of(fields)
    table = pa.table(
        {
            "f": codec.values_to_arrow(values, dtype, what="f"),
            "ts": pa.array([TS] * len(values), pa.timestamp("us", tz="UTC")),
        }
    )
    records = codec.pack_records(table, codec.Layout.unpack(layout.pack()), "ts")
    decoders = layout.decoders()
    out = []
    for record in records:
        rec = codec.unpack_record(record)
        assert rec[0] == layout.layout_id and codec.micros_to_datetime(rec[1]) == TS
        out.append(decoders[0](rec[2]) if decoders[0] else rec[2])
    return out


@pytest.mark.parametrize(("dtype", "values"), CASES, ids=[str(c[0]) for c in CASES])
def test_every_type_round_trips(dtype: FeatureType, values: list[object]) -> None:
    assert _round_trip(dtype, values) == values


def test_nan_round_trips() -> None:
    arr = pa.array([float("nan"), 1.0], pa.float64())
    table = pa.table({"f": arr, "ts": pa.array([TS, TS], pa.timestamp("us", tz="UTC"))})
    layout = codec.Layout.of([Field(name="f", dtype=Float64)])
    first = codec.unpack_record(codec.pack_records(table, layout, "ts")[0])
    assert math.isnan(first[2])


def test_timestamps_decode_as_aware_utc() -> None:
    (value,) = _round_trip(UnixTimestamp, [datetime(2024, 1, 1, 12, tzinfo=UTC)])
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0)


def test_float32_is_widened_exactly() -> None:
    (value,) = _round_trip(Float32, [0.1])
    assert value == float(np.float32(0.1))


def test_keys_sort_join_key_names_and_keep_types() -> None:
    table = pa.table({"b": [1, 2], "a": ["x", "y"]})
    keys = codec.pack_keys(table, ["b", "a"])
    assert keys == [codec.packb(["x", 1]), codec.packb(["y", 2])]
    assert codec.pack_keys(pa.table({"k": [1]}), ["k"]) != codec.pack_keys(pa.table({"k": ["1"]}), ["k"])
    assert codec.pack_keys(pa.table({"k": pa.array([7], pa.int32())}), ["k"]) == [codec.packb([7])]


def test_numpy_scalars_pack_like_python_values() -> None:
    assert codec.pack_key_columns([[np.int64(5)]], 1) == [codec.packb([5])]


def test_entityless_key_and_layout_key_never_collide_with_entity_keys() -> None:
    assert codec.pack_keys(pa.table({"x": [1, 2]}), []) == [codec.EMPTY_KEY] * 2
    assert codec.layout_key(1).startswith(b"\x00")
    assert not codec.packb([0]).startswith(b"\x00")


def test_layout_id_depends_on_names_and_types() -> None:
    a = codec.Layout.of([Field(name="x", dtype=Int64)])
    b = codec.Layout.of([Field(name="x", dtype=Float64)])
    c = codec.Layout.of([Field(name="y", dtype=Int64)])
    assert len({a.layout_id, b.layout_id, c.layout_id}) == 3
    assert codec.Layout.unpack(a.pack()) == a


@pytest.mark.parametrize(
    ("values", "dtype"),
    [([1.5], Int64), (["5"], Int64), ([1], String), ([True], Int64), ([1], Bool), ([[1.5]], Array(Int64))],
)
def test_values_of_the_wrong_type_are_rejected(values: list[object], dtype: FeatureType) -> None:
    with pytest.raises(SchemaMismatchError, match="col 'c'"):
        codec.values_to_arrow(values, dtype, what="col 'c'")


def test_whole_floats_become_ints_and_dicts_become_json() -> None:
    assert codec.values_to_arrow([1.0, None], Int64, what="c").to_pylist() == [1, None]
    assert codec.values_to_arrow([{"a": 1}], Json, what="c").to_pylist() == ['{"a": 1}']


@pytest.mark.parametrize(("dtype", "values"), CASES, ids=[str(c[0]) for c in CASES])
def test_plain_arrays_convert_like_table_columns(dtype: FeatureType, values: list[object]) -> None:
    # on-demand outputs arrive as plain arrays, materialized batches as table columns
    assert codec.to_python(codec.values_to_arrow(values, dtype, what="f"), dtype) == values


def test_categoricals_are_decoded() -> None:
    import pandas as pd

    series = pd.Series(["a", "b", "a"], dtype="category")
    assert codec.values_to_arrow(series, String, what="c").to_pylist() == ["a", "b", "a"]
