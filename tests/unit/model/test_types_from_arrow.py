"""``types.from_arrow``: the feature type inferred for every Arrow type a source can carry."""

from __future__ import annotations

import pyarrow as pa
import pytest

from featurevault.errors import DefinitionError
from featurevault.types import (
    Array,
    Bool,
    Bytes,
    FeatureType,
    Float32,
    Float64,
    Int32,
    Int64,
    Map,
    String,
    UnixTimestamp,
    from_arrow,
)

INFERRED: list[tuple[pa.DataType, FeatureType]] = [
    (pa.int8(), Int32),
    (pa.int16(), Int32),
    (pa.int32(), Int32),
    (pa.int64(), Int64),
    (pa.uint8(), Int64),
    (pa.uint16(), Int64),
    (pa.uint32(), Int64),
    (pa.uint64(), Int64),
    (pa.float16(), Float32),
    (pa.float32(), Float32),
    (pa.float64(), Float64),
    (pa.decimal128(10, 2), Float64),
    (pa.decimal128(38, 0), Float64),  # DuckDB's HUGEINT
    (pa.decimal256(50, 3), Float64),
    (pa.bool_(), Bool),
    (pa.string(), String),
    (pa.large_string(), String),
    (pa.string_view(), String),
    (pa.binary(), Bytes),
    (pa.large_binary(), Bytes),
    (pa.binary_view(), Bytes),
    (pa.date32(), UnixTimestamp),
    (pa.date64(), UnixTimestamp),
    (pa.timestamp("s"), UnixTimestamp),
    (pa.timestamp("ms"), UnixTimestamp),
    (pa.timestamp("us"), UnixTimestamp),
    (pa.timestamp("ns"), UnixTimestamp),
    (pa.timestamp("us", tz="UTC"), UnixTimestamp),
    (pa.timestamp("ns", tz="Europe/Paris"), UnixTimestamp),
    (pa.map_(pa.string(), pa.string()), Map),
    (pa.dictionary(pa.uint8(), pa.string()), String),  # DuckDB enums, pandas categoricals
    (pa.dictionary(pa.int32(), pa.int64()), Int64),
    (pa.list_(pa.int32()), Array(Int32)),
    (pa.list_(pa.int64()), Array(Int64)),
    (pa.list_(pa.float64()), Array(Float64)),
    (pa.list_(pa.decimal128(2, 1)), Array(Float64)),
    (pa.list_(pa.string()), Array(String)),
    (pa.list_(pa.bool_()), Array(Bool)),
    (pa.list_(pa.binary()), Array(Bytes)),
    (pa.list_(pa.timestamp("us")), Array(UnixTimestamp)),
    (pa.large_list(pa.string()), Array(String)),
    (pa.list_(pa.int32(), 2), Array(Int32)),  # DuckDB's fixed-size ARRAY
    (pa.list_view(pa.int64()), Array(Int64)),
]

REFUSED: list[pa.DataType] = [
    pa.null(),
    pa.time32("s"),
    pa.time64("us"),
    pa.duration("us"),
    pa.month_day_nano_interval(),
    pa.struct([("k", pa.int32())]),
    pa.binary(16),  # fixed-size binary
    pa.list_(pa.list_(pa.int64())),  # arrays hold scalars
    pa.list_(pa.map_(pa.string(), pa.string())),
]


@pytest.mark.parametrize(("arrow_type", "expected"), INFERRED, ids=[str(t) for t, _ in INFERRED])
def test_inferred_type(arrow_type: pa.DataType, expected: FeatureType) -> None:
    assert from_arrow(arrow_type) == expected


@pytest.mark.parametrize("arrow_type", REFUSED, ids=[str(t) for t in REFUSED])
def test_types_without_a_feature_type_are_a_definition_error(arrow_type: pa.DataType) -> None:
    with pytest.raises(DefinitionError, match="feature type|not supported"):
        from_arrow(arrow_type)
