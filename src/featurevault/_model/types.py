"""Feature value types, with Feast's names (``Int64``, ``Array(String)``, ``ValueType``).

A type knows its Arrow equivalent, which is what the offline engine, the online
codec and the HTTP layer use to convert values.
"""

from __future__ import annotations

import enum
from typing import Any

import pyarrow as pa

from featurevault.errors import DefinitionError


class ValueType(enum.Enum):
    """Feast's legacy value-type enum, accepted wherever a dtype is."""

    UNKNOWN = 0
    BYTES = 1
    STRING = 2
    INT32 = 3
    INT64 = 4
    DOUBLE = 5
    FLOAT = 6
    BOOL = 7
    UNIX_TIMESTAMP = 8
    BYTES_LIST = 11
    STRING_LIST = 12
    INT32_LIST = 13
    INT64_LIST = 14
    DOUBLE_LIST = 15
    FLOAT_LIST = 16
    BOOL_LIST = 17
    UNIX_TIMESTAMP_LIST = 18
    NULL = 19
    MAP = 20
    JSON = 22
    STRUCT = 24


class FeatureType:
    """Base of every feature type. Instances are immutable and compare by name."""

    name: str

    def to_arrow(self) -> pa.DataType:
        raise NotImplementedError

    def to_value_type(self) -> ValueType:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FeatureType) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


class PrimitiveType(FeatureType):
    def __init__(self, name: str, arrow: pa.DataType, value_type: ValueType) -> None:
        self.name = name
        self._arrow = arrow
        self._value_type = value_type

    def to_arrow(self) -> pa.DataType:
        return self._arrow

    def to_value_type(self) -> ValueType:
        return self._value_type


Int32 = PrimitiveType("Int32", pa.int32(), ValueType.INT32)
Int64 = PrimitiveType("Int64", pa.int64(), ValueType.INT64)
Float32 = PrimitiveType("Float32", pa.float32(), ValueType.FLOAT)
Float64 = PrimitiveType("Float64", pa.float64(), ValueType.DOUBLE)
String = PrimitiveType("String", pa.string(), ValueType.STRING)
Bool = PrimitiveType("Bool", pa.bool_(), ValueType.BOOL)
Bytes = PrimitiveType("Bytes", pa.binary(), ValueType.BYTES)
UnixTimestamp = PrimitiveType("UnixTimestamp", pa.timestamp("us", tz="UTC"), ValueType.UNIX_TIMESTAMP)
Map = PrimitiveType("Map", pa.map_(pa.string(), pa.string()), ValueType.MAP)
Json = PrimitiveType("Json", pa.string(), ValueType.JSON)

PRIMITIVES: dict[str, PrimitiveType] = {
    t.name: t for t in (Int32, Int64, Float32, Float64, String, Bool, Bytes, UnixTimestamp, Map, Json)
}


class Array(FeatureType):
    """A list of a primitive type: ``Array(String)``."""

    def __init__(self, base_type: FeatureType) -> None:
        if not isinstance(base_type, PrimitiveType) or base_type in (Map, Json):
            raise DefinitionError(f"Array({base_type!r}) is not supported: arrays hold scalar types")
        self.base_type = base_type
        self.name = f"Array({base_type.name})"

    def to_arrow(self) -> pa.DataType:
        return pa.list_(self.base_type.to_arrow())

    def to_value_type(self) -> ValueType:
        return ValueType[f"{self.base_type.to_value_type().name}_LIST"]


class Struct(FeatureType):
    """A record of named, typed fields: ``Struct({"name": String, "age": Int64})``."""

    def __init__(self, fields: dict[str, Any]) -> None:
        if not isinstance(fields, dict) or not fields:
            raise DefinitionError("Struct(...) takes a non-empty mapping of field name -> type")
        self.fields = {str(k): coerce_dtype(v) for k, v in fields.items()}
        self.name = "Struct(" + ", ".join(f"{k}: {t.name}" for k, t in self.fields.items()) + ")"

    def to_arrow(self) -> pa.DataType:
        return pa.struct([pa.field(k, t.to_arrow()) for k, t in self.fields.items()])

    def to_value_type(self) -> ValueType:
        return ValueType.STRUCT


def _split_top_level(text: str) -> list[str]:
    """``"a: Int64, b: Array(String)"`` -> the comma-separated parts outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


_FROM_VALUE_TYPE: dict[ValueType, FeatureType] = {
    ValueType.BYTES: Bytes,
    ValueType.STRING: String,
    ValueType.INT32: Int32,
    ValueType.INT64: Int64,
    ValueType.DOUBLE: Float64,
    ValueType.FLOAT: Float32,
    ValueType.BOOL: Bool,
    ValueType.UNIX_TIMESTAMP: UnixTimestamp,
    ValueType.MAP: Map,
    ValueType.JSON: Json,
}


def from_value_type(value_type: ValueType) -> FeatureType:
    """Map a legacy ``ValueType`` to its feature type."""
    if value_type in _FROM_VALUE_TYPE:
        return _FROM_VALUE_TYPE[value_type]
    if value_type.name.endswith("_LIST"):
        base = ValueType[value_type.name[: -len("_LIST")]]
        return Array(_FROM_VALUE_TYPE[base])
    raise DefinitionError(f"value type {value_type.name} has no feature type")


def coerce_dtype(dtype: Any) -> FeatureType:
    """Accept a FeatureType, a ValueType or a type name, return a FeatureType."""
    if isinstance(dtype, FeatureType):
        return dtype
    if isinstance(dtype, ValueType):
        return from_value_type(dtype)
    if isinstance(dtype, str):
        return parse_dtype(dtype)
    raise DefinitionError(f"{dtype!r} is not a feature type; use one of {', '.join(PRIMITIVES)} or Array(T)")


def parse_dtype(name: str) -> FeatureType:
    """Parse the name a type serialises to (``"Int64"``, ``"Array(String)"``)."""
    if name in PRIMITIVES:
        return PRIMITIVES[name]
    if name.startswith("Array(") and name.endswith(")"):
        return Array(parse_dtype(name[len("Array(") : -1]))
    if name.startswith("Struct(") and name.endswith(")"):
        fields = [part.split(":", 1) for part in _split_top_level(name[len("Struct(") : -1])]
        return Struct({k.strip(): parse_dtype(t.strip()) for k, t in fields})
    raise DefinitionError(f"unknown feature type {name!r}; use one of {', '.join(PRIMITIVES)} or Array(T)")


def from_arrow(arrow_type: pa.DataType) -> FeatureType:
    """Infer a feature type from an Arrow type (used for schema inference).

    Unsigned integers and 128-bit ones become Int64 and Float64 (values that do not fit are refused
    when written); dictionary-encoded columns (pandas categoricals, DuckDB enums) take their values'
    type. Times of day, intervals and all-null columns have no feature type: declare them.
    """
    if pa.types.is_dictionary(arrow_type):
        return from_arrow(arrow_type.value_type)
    if pa.types.is_int8(arrow_type) or pa.types.is_int16(arrow_type) or pa.types.is_int32(arrow_type):
        return Int32
    if pa.types.is_integer(arrow_type):
        return Int64
    if pa.types.is_float16(arrow_type) or pa.types.is_float32(arrow_type):
        return Float32
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return Float64
    if pa.types.is_boolean(arrow_type):
        return Bool
    if is_string_type(arrow_type):
        return String
    if is_binary_type(arrow_type):
        return Bytes
    if pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type):
        return UnixTimestamp
    if pa.types.is_map(arrow_type):
        return Map
    if pa.types.is_struct(arrow_type):
        return Struct({f.name: from_arrow(f.type) for f in arrow_type})
    if is_list_type(arrow_type):
        return Array(from_arrow(arrow_type.value_type))
    raise DefinitionError(f"no feature type for Arrow type {arrow_type}; declare the field's dtype in the schema")


def is_list_type(arrow_type: pa.DataType) -> bool:
    """Lists of any layout: variable, large, fixed-size (DuckDB's ARRAY) or list views."""
    return (
        pa.types.is_list(arrow_type)
        or pa.types.is_large_list(arrow_type)
        or pa.types.is_fixed_size_list(arrow_type)
        or _is_list_view(arrow_type)
        or _is_large_list_view(arrow_type)
    )


def is_string_type(arrow_type: pa.DataType) -> bool:
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or _is_string_view(arrow_type)


def is_binary_type(arrow_type: pa.DataType) -> bool:
    return pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type) or _is_binary_view(arrow_type)


def _absent(arrow_type: pa.DataType) -> bool:
    return False


# view layouts arrived in pyarrow 16; older versions cannot produce them
_is_string_view = getattr(pa.types, "is_string_view", _absent)
_is_binary_view = getattr(pa.types, "is_binary_view", _absent)
_is_list_view = getattr(pa.types, "is_list_view", _absent)
_is_large_list_view = getattr(pa.types, "is_large_list_view", _absent)


__all__ = [
    "Array",
    "Bool",
    "Bytes",
    "FeatureType",
    "Float32",
    "Float64",
    "Int32",
    "Int64",
    "Json",
    "Map",
    "PrimitiveType",
    "String",
    "Struct",
    "UnixTimestamp",
    "ValueType",
    "coerce_dtype",
    "from_arrow",
    "is_binary_type",
    "is_list_type",
    "is_string_type",
    "parse_dtype",
]
