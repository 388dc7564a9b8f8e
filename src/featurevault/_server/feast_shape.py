"""An OnlineResponse -> Feast's feature-server JSON.

Feast answers ``{"metadata": {"feature_names": [...]}, "results": [...]}`` with
one result per output column (join keys first): its ``values``, ``statuses``
(``"PRESENT"``, ``"NULL_VALUE"``, ``"NOT_FOUND"``, ``"OUTSIDE_MAX_AGE"``) and
``event_timestamps`` (RFC 3339 in UTC with a ``Z``, fractional seconds only
when non-zero, ``1970-01-01T00:00:00Z`` where there is none, as for join
keys). Values follow the protobuf JSON mapping Feast uses: bytes as base64,
NaN/infinity as strings, timestamps as integer seconds since the epoch.
Columns are converted with C-level calls (``map`` over cached formatters),
not a Python statement per row.
"""

from __future__ import annotations

import base64
import functools
import math
import operator
import time
from datetime import datetime
from itertools import repeat
from typing import Any

from featurevault._ops.online_response import OnlineResponse, column_statuses

EPOCH = "1970-01-01T00:00:00Z"
# FieldStatus numbers (Feast's) -> names; an IntEnum member looks itself up by its number.
STATUS_NAMES = {
    0: "INVALID",
    1: "PRESENT",
    2: "NULL_VALUE",
    3: "NOT_FOUND",
    4: "OUTSIDE_MAX_AGE",
    5: "FILLED",
    6: "FLAG_OFF",
}


def feast_body(result: OnlineResponse) -> dict[str, Any]:
    """Feast's JSON for an OnlineResponse (the values, statuses and event times it holds).

    Reads the response's column lists in place (``parts()``): they are encoded right away and
    never changed. Features of one view share their state and event-time lists: each shared
    list is converted once and its text shared by the columns (a null value makes its own).
    """
    names, columns, dtypes, row_states, event_micros = result.parts()
    rows = len(columns[0]) if columns else 0
    present = ["PRESENT"] * rows
    epochs = [EPOCH] * rows
    # the last shared state and event-time lists converted, and their text
    last_states: Any = None
    state_text: list[str] = []
    last_micros: Any = None
    stamp_text: list[str] = []
    vectors = []
    for values, dtype, states, micros in zip(columns, dtypes, row_states, event_micros, strict=True):
        if dtype is None:  # a join key echoes the request
            text = present
        elif any(map(operator.is_, values, repeat(None))):  # nulls: this column's own statuses
            text = list(map(STATUS_NAMES.__getitem__, column_statuses(values, dtype, states)))
        elif states is None:
            text = present
        else:
            if states is not last_states:
                last_states, state_text = states, list(map(STATUS_NAMES.__getitem__, states))
            text = state_text
        if micros is None:
            stamps = epochs
        else:
            if micros is not last_micros:
                last_micros, stamp_text = micros, rfc3339_micros(micros, rows)
            stamps = stamp_text
        json = _one_value(values) if rows == 1 else json_values(values)
        vectors.append({"values": json, "statuses": text, "event_timestamps": stamps})
    return {"metadata": {"feature_names": list(names)}, "results": vectors}


def _one_value(values: list[Any]) -> list[Any]:
    """A one-row column as JSON can carry it (the single-entity request, the commonest)."""
    kind = type(values[0])
    if kind in _AS_IS:
        return values
    if kind is float:
        return values if math.isfinite(values[0]) else [_finite_or_name(values[0])]
    return json_values(values)


#: value types JSON carries unchanged
_AS_IS = frozenset({int, str, bool, type(None)})


def json_values(values: list[Any]) -> list[Any]:
    """Values as JSON can carry them (most columns pass through untouched)."""
    sample = next(filter(lambda v: v is not None, values), None)
    if isinstance(sample, float):
        return values if _all_finite(values) else list(map(_finite_or_name, values))
    if isinstance(sample, (bytes, bytearray)):
        return [None if v is None else base64.b64encode(v).decode("ascii") for v in values]
    if isinstance(sample, datetime):
        return [None if v is None else int(v.timestamp()) for v in values]
    if isinstance(sample, list) and any(isinstance(x, float) for row in values if row for x in row):
        return [None if row is None else list(map(_finite_or_name, row)) for row in values]
    return values


def _all_finite(values: list[Any]) -> bool:
    # fsum over the non-zero, non-None values is one C loop; a NaN or infinity makes it non-finite.
    try:
        return math.isfinite(math.fsum(filter(None, values)))
    except (OverflowError, ValueError):  # overflow, or inf + -inf
        return all(v is None or math.isfinite(v) for v in values)


def _finite_or_name(value: Any) -> Any:
    if not isinstance(value, float) or math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def rfc3339_micros(micros: list[int | None] | None, n: int) -> list[str]:
    """Event times (epoch microseconds) as Feast prints them; missing ones as the epoch."""
    if micros is None or n == 0:
        return [EPOCH] * n
    # map() over a C-level LRU cache: the same event times recur across rows, features and requests.
    return list(map(_stamp_text, micros))


@functools.lru_cache(maxsize=65536)
def _stamp_text(micros: int | None) -> str:
    if not micros:
        return EPOCH
    seconds, fraction = divmod(micros, 1_000_000)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    if fraction == 0:
        return text + "Z"
    if fraction % 1000 == 0:
        return f"{text}.{fraction // 1000:03d}Z"
    return f"{text}.{fraction:06d}Z"
