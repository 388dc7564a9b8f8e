"""Apply-time check that each declared field's dtype can hold its source column without loss.

A column may be narrower than its field (int32 data in an Int64 field, float32
in Float64, a date in UnixTimestamp); anything that would lose or reinterpret
values (float data in an Int64 field, int64 in Float32, text in Int64) is refused
with the view, field, declared type and the source's actual type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pyarrow as pa

from featurevault.errors import DefinitionError
from featurevault._model.types import Array, FeatureType, Json, Map, Struct, from_arrow

if TYPE_CHECKING:
    from featurevault._model.entity import Field

#: declared type name -> predicate on the source's Arrow type (beyond an exact match)
#: declared type -> whether a column of an Arrow type holds its values unchanged (beyond the exact type)
_WIDENS_TO: dict[str, Callable[[pa.DataType], bool]] = {
    "Int32": lambda t: pa.types.is_int8(t) or pa.types.is_int16(t) or pa.types.is_uint8(t) or pa.types.is_uint16(t),
    "Int64": lambda t: pa.types.is_signed_integer(t) or t in (pa.uint8(), pa.uint16(), pa.uint32()),
    "Float32": lambda t: pa.types.is_float16(t) or t in (pa.int8(), pa.int16(), pa.uint8(), pa.uint16()),
    "Float64": lambda t: (
        pa.types.is_floating(t) or t in (pa.int8(), pa.int16(), pa.int32(), pa.uint8(), pa.uint16(), pa.uint32())
    ),
    "String": lambda t: pa.types.is_large_string(t),
    "Bytes": lambda t: pa.types.is_large_binary(t),
    "UnixTimestamp": lambda t: pa.types.is_timestamp(t) or pa.types.is_date(t),
}


def holds_losslessly(declared: FeatureType, actual: pa.DataType) -> bool:
    """Whether every value of an ``actual``-typed column fits ``declared`` unchanged."""
    if pa.types.is_null(actual):
        return True
    if pa.types.is_dictionary(actual):
        actual = actual.value_type
    if actual == declared.to_arrow():
        return True
    if declared == Json:
        return bool(pa.types.is_string(actual) or pa.types.is_large_string(actual))
    if declared == Map:
        return bool(pa.types.is_map(actual) or pa.types.is_struct(actual))
    if isinstance(declared, Struct):
        return bool(pa.types.is_struct(actual)) and all(
            actual.get_field_index(name) >= 0 and holds_losslessly(t, actual.field(name).type)
            for name, t in declared.fields.items()
        )
    if isinstance(declared, Array):
        is_list = pa.types.is_list(actual) or pa.types.is_large_list(actual)
        return is_list and holds_losslessly(declared.base_type, actual.value_type)
    widens = _WIDENS_TO.get(declared.name)
    return bool(widens and widens(actual))


def check_field_types(view_name: str, source_name: str, fields: list[Field], schema: pa.Schema) -> None:
    """Raise DefinitionError for the first field whose source column does not fit its declared dtype."""
    for field in fields:
        if field.name not in schema.names:
            continue  # a missing column is reported by the caller
        actual = schema.field(field.name).type
        if not holds_losslessly(field.dtype, actual):
            raise DefinitionError(
                f"feature view {view_name!r}: field {field.name!r} is declared {field.dtype.name} but source "
                f"{source_name!r} has it as {actual} ({_described(actual)}); declare {_described(actual)} "
                "or convert the column"
            )


def _described(actual: pa.DataType) -> str:
    try:
        return from_arrow(actual).name
    except Exception:  # an Arrow type with no feature type: show Arrow's name alone
        return str(actual)


__all__ = ["check_field_types", "holds_losslessly"]
