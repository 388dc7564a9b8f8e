"""Packing of entity keys and feature records for every online backend.

An entity key is ``msgpack([v1, v2, ...])``: the join-key values ordered by
sorted join-key name (an entity-less view uses the empty list). Ints and
strings stay distinct, so ``1001`` and ``"1001"`` are different keys.

A record is ``msgpack([layout_id, event_ts_micros_utc, v1, ..., vn])`` with the
values in the view's feature order at write time. The layout (feature names
and dtype names) is stored once per table under :func:`layout_key`; entity keys
are msgpack arrays and never start with ``0x00``, so the two cannot collide.
Readers map requested features to positions per layout, so a view that gains
a feature keeps reading its older records (the new feature reads as missing).

Value encodings: ints, floats (Float32 widened to float64), bools, strings,
bytes and None natively; UnixTimestamp as int microseconds since the epoch
(decoded to an aware UTC datetime); Map as a dict; Json as its string;
Array(T) as a list of T's encoding.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Any

import msgpack
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from featurevault.errors import SchemaMismatchError
from featurevault._model.types import (
    Array,
    FeatureType,
    Json,
    Map,
    Struct,
    UnixTimestamp,
    is_binary_type,
    is_list_type,
    is_string_type,
    parse_dtype,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LAYOUT_PREFIX = b"\x00layout:"
_TS_US = pa.timestamp("us", tz="UTC")

unpackb = msgpack.unpackb


def _to_native(value: Any) -> Any:
    """msgpack fallback for values that are not plain Python (numpy scalars, datetimes)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime):
        return datetime_to_micros(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot encode {type(value).__name__} value {value!r} in an entity key or record")


def packer() -> Callable[[Any], bytes]:
    """A pack function for one thread's batch of work (a Packer is not thread-safe; it is cheap to make)."""
    pack: Callable[[Any], bytes] = msgpack.Packer(default=_to_native).pack
    return pack


def packb(value: Any) -> bytes:
    packed: bytes = msgpack.packb(value, default=_to_native)
    return packed


#: the key of every row of an entity-less view
EMPTY_KEY: bytes = packb([])


# -- timestamps --------------------------------------------------------------------------------


def datetime_to_micros(value: datetime) -> int:
    """Microseconds since the epoch; a naive datetime is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def micros_to_datetime(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


# -- layouts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """The feature names and dtypes of records written with one ``layout_id``."""

    names: tuple[str, ...]
    dtypes: tuple[str, ...]
    layout_id: int = field(init=False)

    def __post_init__(self) -> None:
        text = "\x1f".join(f"{n}\x1e{d}" for n, d in zip(self.names, self.dtypes, strict=True))
        object.__setattr__(self, "layout_id", zlib.crc32(text.encode()))

    @classmethod
    def of(cls, features: Sequence[Any]) -> Layout:
        """The layout of a view's features (``Field`` objects)."""
        return cls(tuple(f.name for f in features), tuple(f.dtype.name for f in features))

    @property
    def key(self) -> bytes:
        return layout_key(self.layout_id)

    def pack(self) -> bytes:
        return packb({"names": list(self.names), "dtypes": list(self.dtypes)})

    @classmethod
    def unpack(cls, data: bytes) -> Layout:
        body = unpackb(data)
        return cls(tuple(body["names"]), tuple(body["dtypes"]))

    def decoders(self) -> list[Callable[[Any], Any] | None]:
        """Per feature, the function turning a stored value back into its Python value (None: as is)."""
        return [value_decoder(parse_dtype(d)) for d in self.dtypes]


def layout_key(layout_id: int) -> bytes:
    return LAYOUT_PREFIX + str(layout_id).encode()


def value_decoder(dtype: FeatureType) -> Callable[[Any], Any] | None:
    if dtype == UnixTimestamp:
        return _decode_ts
    if isinstance(dtype, Array) and dtype.base_type == UnixTimestamp:
        return _decode_ts_list
    return None


def _decode_ts(value: Any) -> Any:
    return None if value is None else EPOCH + timedelta(microseconds=value)


def _decode_ts_list(value: Any) -> Any:
    return None if value is None else [None if v is None else EPOCH + timedelta(microseconds=v) for v in value]


# -- Arrow columns to stored values -------------------------------------------------------------


def column_values(column: pa.Array | pa.ChunkedArray) -> list[Any]:
    """A column as the Python values the codec stores (timestamps as int microseconds)."""
    arrow_type = column.type
    if pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type):
        return _numeric_values(_timestamps_as_micros(column))
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_boolean(arrow_type):
        return _numeric_values(column)
    if pa.types.is_map(arrow_type):
        return [None if v is None else dict(v) for v in column.to_pylist()]
    if is_list_type(arrow_type):
        value_type = arrow_type.value_type
        if pa.types.is_timestamp(value_type) or pa.types.is_date(value_type):
            column = column.cast(pa.list_(_TS_US), safe=False).cast(pa.list_(pa.int64()))
        lists: list[Any] = column.to_pylist()
        return lists
    if pa.types.is_null(arrow_type):
        return [None] * len(column)
    values: list[Any] = column.to_pylist()
    return values


def _timestamps_as_micros(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    if pa.types.is_date(column.type):
        column = column.cast(pa.timestamp("s"))
    if column.type.tz is None:
        column = column.cast(pa.timestamp(column.type.unit, tz="UTC"))
    return column.cast(_TS_US, safe=False).cast(pa.int64())


def _numeric_values(column: pa.Array | pa.ChunkedArray) -> list[Any]:
    # numpy's tolist is several times faster than to_pylist; nulls are patched in afterwards.
    values: list[Any]
    if column.null_count == 0:
        values = column.to_numpy(zero_copy_only=False).tolist()
        return values
    fill = False if pa.types.is_boolean(column.type) else 0
    values = pc.fill_null(column, fill).to_numpy(zero_copy_only=False).tolist()
    for i in np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False)).tolist():
        values[i] = None
    return values


# -- checking and casting columns to declared types --------------------------------------------


def _kind(arrow_type: pa.DataType) -> str:
    checks = (
        ("null", pa.types.is_null),
        ("bool", pa.types.is_boolean),
        ("int", pa.types.is_integer),
        ("float", lambda t: pa.types.is_floating(t) or pa.types.is_decimal(t)),
        ("string", is_string_type),
        ("bytes", is_binary_type),
        ("timestamp", lambda t: pa.types.is_timestamp(t) or pa.types.is_date(t)),
        ("map", lambda t: pa.types.is_map(t) or pa.types.is_struct(t)),
        ("list", is_list_type),
    )
    for name, check in checks:
        if check(arrow_type):
            return name
    return str(arrow_type)


# target kind -> source kinds that convert without changing meaning (no str -> int parsing, no truncation)
_COMPATIBLE = {
    "bool": {"bool"},
    "int": {"int", "float"},  # whole floats only (pandas turns nullable ints into floats); the safe cast checks
    "float": {"int", "float"},
    "string": {"string"},
    "bytes": {"bytes"},
    "timestamp": {"timestamp"},
    "map": {"map"},
    "list": {"list"},
}


def _compatible(source: pa.DataType, target: pa.DataType) -> bool:
    source_kind, target_kind = _kind(source), _kind(target)
    if source_kind == "null":
        return True
    if source_kind not in _COMPATIBLE.get(target_kind, set()):
        return False
    if target_kind == "list":
        return _compatible(source.value_type, target.value_type)
    return True


def conform_column(column: pa.Array | pa.ChunkedArray, dtype: FeatureType, *, what: str) -> pa.Array | pa.ChunkedArray:
    """``column`` cast to ``dtype``'s Arrow type; SchemaMismatchError naming ``what`` if it does not fit."""
    target = dtype.to_arrow()
    if pa.types.is_dictionary(column.type):  # pandas categoricals, dictionary-encoded Parquet
        column = column.cast(column.type.value_type)
    if column.type == target:
        return column
    if dtype == Json and not pa.types.is_string(column.type) and not pa.types.is_null(column.type):
        return _json_text(column.to_pylist(), what)
    if isinstance(dtype, Struct) and not pa.types.is_null(column.type):
        return _as_struct(column.to_pylist(), dtype, what)
    if dtype == Map and pa.types.is_struct(column.type):
        return _as_map(
            [None if v is None else {k: x for k, x in v.items() if x is not None} for v in column.to_pylist()], what
        )
    if not _compatible(column.type, target):
        raise SchemaMismatchError(f"{what} has type {column.type}, expected {dtype.name} ({target})")
    try:
        # timestamps may lose sub-microsecond digits; everything else must convert exactly
        return column.cast(target, safe=not pa.types.is_timestamp(target))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise SchemaMismatchError(f"{what} cannot be stored as {dtype.name}: {exc}") from None


def values_to_arrow(values: Any, dtype: FeatureType, *, what: str) -> pa.Array:
    """Python values (a list, numpy array or pandas Series) as an Arrow array of ``dtype``."""
    if dtype == Map:
        return _as_map(list(values), what)
    if isinstance(dtype, Struct):
        return _as_struct(list(values), dtype, what)
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
        if dtype == Json:
            return _json_text(list(values), what)
        raise SchemaMismatchError(f"{what}: values do not form a {dtype.name} column ({exc})") from None
    return conform_column(array, dtype, what=what)


def _as_map(values: list[Any], what: str) -> pa.Array:
    try:
        return pa.array(values, type=Map.to_arrow())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as exc:
        raise SchemaMismatchError(f"{what}: expected a mapping of strings to strings ({exc})") from None


def _as_struct(values: list[Any], dtype: Struct, what: str) -> pa.Array:
    records = [json.loads(v) if isinstance(v, str) else v for v in values]  # JSON text is accepted too
    try:
        return pa.array(records, type=dtype.to_arrow())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        raise SchemaMismatchError(f"{what}: expected records with fields {', '.join(dtype.fields)} ({exc})") from None


def _json_text(values: list[Any], what: str) -> pa.Array:
    try:
        return pa.array([v if v is None or isinstance(v, str) else json.dumps(v) for v in values], pa.string())
    except TypeError as exc:
        raise SchemaMismatchError(f"{what}: value is not JSON-serialisable ({exc})") from None


def to_python(array: pa.Array | pa.ChunkedArray, dtype: FeatureType) -> list[Any]:
    """Values of an array of ``dtype`` as read results present them (aware datetimes, dicts)."""
    values = column_values(array)
    decode = value_decoder(dtype)
    return values if decode is None else [decode(v) for v in values]


# -- keys and records ---------------------------------------------------------------------------


def pack_key_columns(columns: Sequence[Sequence[Any]], rows: int) -> list[bytes]:
    """Entity keys from join-key value columns already ordered by sorted join-key name."""
    if not columns:
        return [EMPTY_KEY] * rows
    pack = packer()
    return [pack(row) for row in zip(*columns)]


def pack_keys(table: pa.Table, join_keys: Sequence[str]) -> list[bytes]:
    """The entity key of every row of ``table``."""
    columns = [column_values(table.column(k)) for k in sorted(join_keys)]
    return pack_key_columns(columns, table.num_rows)


def pack_records(table: pa.Table, layout: Layout, timestamp_column: str) -> list[bytes]:
    """One record per row of ``table``: ``[layout_id, ts_micros, *values]`` in the layout's order."""
    columns = [column_values(table.column(name)) for name in layout.names]
    timestamps = column_values(table.column(timestamp_column))
    pack = packer()
    return [pack(r) for r in zip(repeat(layout.layout_id, table.num_rows), timestamps, *columns)]


def unpack_record(record: bytes) -> list[Any]:
    values: list[Any] = unpackb(record)
    return values


__all__ = [
    "EMPTY_KEY",
    "Layout",
    "column_values",
    "conform_column",
    "datetime_to_micros",
    "layout_key",
    "micros_to_datetime",
    "pack_key_columns",
    "pack_keys",
    "pack_records",
    "packb",
    "packer",
    "unpack_record",
    "to_python",
    "unpackb",
    "values_to_arrow",
]
