"""Entity timestamps and time windows, shared by the offline engines (all times mean UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from featurevault.errors import EntityKeyError

_UTC_US = pa.timestamp("us", tz="UTC")


def naive_utc(value: datetime | None) -> datetime | None:
    """A datetime as naive UTC (naive input already means UTC)."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def as_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


def window_lower(low: datetime | None, view: Any) -> datetime | None:
    """The earliest event time any entity row can match (None: unbounded)."""
    if low is None:  # every entity timestamp is null: nothing can match
        return datetime.max
    if not view.ttl:
        return None
    try:
        return naive_utc(low - view.ttl)
    except OverflowError:  # a ttl reaching before year 1
        return None


def utc_timestamps(column: pa.ChunkedArray, name: str) -> pa.ChunkedArray:
    """Entity timestamps as UTC (naive ones are taken to be UTC already)."""
    typ = column.type
    try:
        if pa.types.is_timestamp(typ):
            return column if typ.tz == "UTC" else column.cast(pa.timestamp(typ.unit, tz="UTC"))
        if pa.types.is_date(typ):
            return column.cast(pa.timestamp("us")).cast(_UTC_US)
        if pa.types.is_string(typ) or pa.types.is_large_string(typ):
            return pc.cast(column, pa.timestamp("us", tz="UTC"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise EntityKeyError(f"entity timestamp column {name!r} cannot be read as timestamps: {exc}") from exc
    raise EntityKeyError(f"entity timestamp column {name!r} has type {typ}, not a timestamp")
