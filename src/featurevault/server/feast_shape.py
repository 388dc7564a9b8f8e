"""Columns of an online read -> Feast's feature-server JSON, one column at a time.

Feast answers ``{"metadata": {"feature_names": [...]}, "results": [...]}`` with
one result per output column (join keys first): its ``values``, ``statuses``
(``"PRESENT"``, ``"NULL_VALUE"``, ``"NOT_FOUND"``, ``"OUTSIDE_MAX_AGE"``) and
``event_timestamps`` (RFC 3339 in UTC with a ``Z``, fractional seconds only
when non-zero: ``1970-01-01T00:00:00Z`` where there is no timestamp). Values
follow the protobuf JSON mapping: bytes as base64, NaN/inf as strings,
timestamps as integer seconds since the epoch. Each conversion is one Arrow
compute call per column, never a Python loop per row.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

EPOCH = "1970-01-01T00:00:00Z"
PRESENT = "PRESENT"


def feature_vector(values: pa.Array | pa.ChunkedArray, statuses: list[str], timestamps: list[str]) -> dict[str, Any]:
    return {"values": json_values(values), "statuses": statuses, "event_timestamps": timestamps}


def key_vector(values: pa.Array | pa.ChunkedArray | Sequence[Any]) -> dict[str, Any]:
    """A join-key or request column: always present, with the epoch as its timestamp (as Feast does)."""
    column = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values)
    n = len(column)
    return {"values": json_values(column), "statuses": [PRESENT] * n, "event_timestamps": [EPOCH] * n}


def json_values(column: pa.Array | pa.ChunkedArray) -> list[Any]:
    """Python values for JSON, following the protobuf JSON mapping Feast's server uses."""
    kind = column.type
    if pa.types.is_floating(kind):
        return _float_values(column)
    if pa.types.is_timestamp(kind):
        seconds = pc.cast(pc.cast(column, pa.timestamp("s", tz="UTC"), safe=False), pa.int64())
        return seconds.to_pylist()
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        return [None if b is None else base64.b64encode(b).decode("ascii") for b in column.to_pylist()]
    if pa.types.is_map(kind):
        return [None if m is None else dict(m) for m in column.to_pylist()]
    return column.to_pylist()


def _float_values(column: pa.Array | pa.ChunkedArray) -> list[Any]:
    values = column.to_pylist()
    if len(column) == 0 or not pc.any(pc.invert(pc.is_finite(column))).as_py():
        return values
    # Rare: NaN and infinities are not JSON numbers; spell them as protobuf JSON does.
    return [_non_finite(v) for v in values]


def _non_finite(value: float | None) -> float | str | None:
    if value is None or value == value and value not in (float("inf"), float("-inf")):
        return value
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def rfc3339(column: pa.Array | pa.ChunkedArray) -> list[str]:
    """Event timestamps as Feast prints them; missing ones as the epoch."""
    if len(column) == 0:
        return []
    if pa.types.is_null(column.type):
        return [EPOCH] * len(column)
    utc = pc.cast(column, pa.timestamp("us", tz="UTC"))
    text = pc.strftime(utc, format="%Y-%m-%dT%H:%M:%S")
    # Arrow prints microseconds always; Feast prints none, 3 or 6 digits as needed.
    text = pc.replace_substring_regex(text, pattern=r"\.000000$", replacement="")
    text = pc.replace_substring_regex(text, pattern=r"(\.\d{3})000$", replacement=r"\1")
    text = pc.binary_join_element_wise(text, pa.scalar("Z"), "")
    return pc.fill_null(text, EPOCH).to_pylist()


def response_body(names: list[str], vectors: list[dict[str, Any]]) -> dict[str, Any]:
    return {"metadata": {"feature_names": names}, "results": vectors}
