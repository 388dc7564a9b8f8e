"""Join-key values checked against, and converted to, the type their entity declares.

A key is typed by the feature view's schema field of the same name or, when
the schema leaves it out, by its entity's ``value_type``; an undeclared key is
left as given. Conversions are those that cannot change which entity a value
names: ``"1001"``, ``1001.0`` and ``numpy.int64(1001)`` become the Int64
``1001``; ``"abc"``, ``1001.5``, ``True`` and ``2**70`` are refused with a
:class:`~featurevault.errors.SchemaMismatchError` naming the key, the value
and the expected type. None (and NaN, pandas' missing value) stays a null key,
which matches nothing.

Online reads call :func:`conform_key_values` on plain lists: a column that
already has the declared type is checked in one pass and returned as is, so
the common request pays a type test per value. Historical retrieval calls
:func:`conform_key_column` on Arrow columns.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pyarrow as pa

from featurevault.errors import SchemaMismatchError
from featurevault._model.types import (
    Bool,
    Bytes,
    FeatureType,
    Float32,
    Float64,
    Int32,
    Int64,
    String,
    ValueType,
    from_value_type,
)

_INTEGER_TEXT = re.compile(r"\s*[+-]?\d{1,20}\s*")
_RANGES = {Int64.name: (-(2**63), 2**63 - 1), Int32.name: (-(2**31), 2**31 - 1)}
_EXACT_FLOAT_INT = 2**53  # larger ints do not all have an exact float64
_STRING = String.name
_INT_ONLY, _STR_ONLY = frozenset([int]), frozenset([str])


def join_key_types(views: Iterable[Any]) -> dict[str, FeatureType]:
    """Join key -> declared type, for every key of ``views`` (FeatureView objects) that declares one."""
    types: dict[str, FeatureType] = {}
    for view in views:
        fields = {f.name: f.dtype for f in view.entity_columns}
        for entity in view.entities:
            for key in entity.join_keys:
                dtype = fields.get(key) or _entity_type(entity.value_type)
                if dtype is not None:
                    types.setdefault(key, dtype)
    return types


def _entity_type(value_type: ValueType) -> FeatureType | None:
    if value_type in (ValueType.UNKNOWN, ValueType.NULL):
        return None
    try:
        return from_value_type(value_type)
    except Exception:  # a list value type names no scalar key type
        return None


# -- plain values (online reads) ----------------------------------------------------------------


def conform_key_values(values: list[Any], dtype: FeatureType, key: str) -> list[Any]:
    """``values`` as ``dtype`` values: the same list when they already are, else a converted copy."""
    name = dtype.name
    if len(values) == 1:  # the commonest request: one entity
        only = values[0]
        if type(only) is str and name == _STRING:
            return values
        if type(only) is int and name in _RANGES and _RANGES[name][0] <= only <= _RANGES[name][1]:
            return values
    if name in _RANGES:
        low, high = _RANGES[name]
        if set(map(type, values)) <= _INT_ONLY and (not values or (low <= min(values) and max(values) <= high)):
            return values
    elif name == _STRING:
        if set(map(type, values)) <= _STR_ONLY:
            return values
    elif name not in _CONVERTERS:
        return values  # timestamps and other key types are packed as given
    convert = _CONVERTERS[name]
    return [None if _is_missing(v) else convert(v, key, dtype) for v in values]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, (float, np.floating)) and math.isnan(value))


def _refuse(value: Any, key: str, dtype: FeatureType, why: str = "") -> SchemaMismatchError:
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    reason = f" ({why})" if why else ""
    return SchemaMismatchError(
        f"join key {key!r}: value {shown} ({type(value).__name__}) is not a valid {dtype.name}{reason}"
    )


def _to_int(value: Any, key: str, dtype: FeatureType) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise _refuse(value, key, dtype, "a boolean is not an identifier")
    if isinstance(value, (int, np.integer)):
        result = int(value)
    elif isinstance(value, (float, np.floating)):
        if not float(value).is_integer():
            raise _refuse(value, key, dtype, "not a whole number")
        result = int(value)
    elif isinstance(value, str):
        if not _INTEGER_TEXT.fullmatch(value):
            raise _refuse(value, key, dtype, "not an integer")
        result = int(value)
    else:
        raise _refuse(value, key, dtype)
    low, high = _RANGES[dtype.name]
    if not low <= result <= high:
        raise _refuse(value, key, dtype, f"outside [{low}, {high}]")
    return result


def _to_float(value: Any, key: str, dtype: FeatureType) -> float:
    if isinstance(value, (bool, np.bool_)):
        raise _refuse(value, key, dtype, "a boolean is not an identifier")
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (int, np.integer)) and abs(int(value)) <= _EXACT_FLOAT_INT:
        return float(value)
    raise _refuse(value, key, dtype)


def _to_str(value: Any, key: str, dtype: FeatureType) -> str:
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return str(int(value))
    raise _refuse(value, key, dtype)


def _to_bytes(value: Any, key: str, dtype: FeatureType) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise _refuse(value, key, dtype)


def _to_bool(value: Any, key: str, dtype: FeatureType) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise _refuse(value, key, dtype)


_CONVERTERS: dict[str, Callable[[Any, str, FeatureType], Any]] = {
    Int64.name: _to_int,
    Int32.name: _to_int,
    Float64.name: _to_float,
    Float32.name: _to_float,
    String.name: _to_str,
    Bytes.name: _to_bytes,
    Bool.name: _to_bool,
}


# -- Arrow columns (historical retrieval) -------------------------------------------------------


def conform_key_column(column: pa.Array | pa.ChunkedArray, dtype: FeatureType, key: str) -> pa.Array | pa.ChunkedArray:
    """An entity frame's key column as ``dtype``'s Arrow type; SchemaMismatchError naming a bad value."""
    if dtype.name not in _CONVERTERS:
        return column
    target = dtype.to_arrow()
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if column.type == target:
        return column
    if pa.types.is_null(column.type) or _same_kind(column.type, target):
        try:
            return column.cast(target, safe=True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass  # the value-by-value conversion below names the value that does not fit
    values = conform_key_values(column.to_pylist(), dtype, key)
    return pa.array(values, type=target)


def _same_kind(source: pa.DataType, target: pa.DataType) -> bool:
    numeric = (pa.types.is_integer, pa.types.is_floating)
    if pa.types.is_integer(target):
        return bool(pa.types.is_integer(source) or pa.types.is_floating(source))
    if pa.types.is_floating(target):
        return any(check(source) for check in numeric)
    if pa.types.is_string(target):
        return bool(pa.types.is_large_string(source))
    if pa.types.is_binary(target):
        return bool(pa.types.is_large_binary(source))
    return False


__all__ = ["conform_key_column", "conform_key_values", "join_key_types"]
