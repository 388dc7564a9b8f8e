"""The result of an online read, with Feast's accessors (``to_dict``, ``to_df``, ``to_arrow``).

Columns are kept as plain lists. Statuses and event timestamps are derived
only when asked for, so the common ``to_dict()`` call pays nothing for them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from featurevault.types import FeatureType

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

#: suffix of the event-timestamp column of a feature in ``to_dict(include_event_timestamps=True)``
TIMESTAMP_POSTFIX = "__ts"


class FieldStatus(enum.IntEnum):
    """Why a value is what it is (Feast's names and numbers)."""

    INVALID = 0
    #: found, and within the view's ttl
    PRESENT = 1
    #: the entity was found but this feature was stored as null
    NULL_VALUE = 2
    #: the entity key is not in the online store (or the feature was added after it was written)
    NOT_FOUND = 3
    #: found, but older than the view's ttl: served as null
    OUTSIDE_MAX_AGE = 4


@dataclass
class ResponseColumn:
    """One output column: its values and, for stored features, per-row statuses and event times (µs)."""

    name: str
    values: list[Any]
    dtype: FeatureType | None
    row_states: list[FieldStatus] | None = None
    event_micros: list[int | None] | None = None

    def statuses(self) -> list[FieldStatus]:
        present, null = FieldStatus.PRESENT, FieldStatus.NULL_VALUE
        if self.dtype is None:  # join keys echo the request
            return [present] * len(self.values)
        if self.row_states is None:
            return [null if v is None else present for v in self.values]
        return [
            (null if v is None else present) if s is present else s
            for v, s in zip(self.values, self.row_states, strict=True)
        ]

    def event_seconds(self) -> list[int]:
        if self.event_micros is None:
            return [0] * len(self.values)
        return [0 if us is None else us // 1_000_000 for us in self.event_micros]


class OnlineResponse:
    """Feature values for each entity row: join keys first, then the features in requested order."""

    def __init__(self, columns: list[ResponseColumn]) -> None:
        self._columns = columns

    @property
    def feature_names(self) -> list[str]:
        return [c.name for c in self._columns]

    def __len__(self) -> int:
        return len(self._columns[0].values) if self._columns else 0

    def to_dict(self, include_event_timestamps: bool = False) -> dict[str, list[Any]]:
        """``{name: [value per entity row]}``; with timestamps, ``name__ts`` holds event times in epoch seconds."""
        if not include_event_timestamps:
            return {c.name: list(c.values) for c in self._columns}
        result: dict[str, list[Any]] = {}
        for c in self._columns:
            result[c.name] = list(c.values)
            result[c.name + TIMESTAMP_POSTFIX] = c.event_seconds()
        return result

    @property
    def statuses(self) -> dict[str, list[FieldStatus]]:
        """``{name: [FieldStatus per entity row]}``."""
        return {c.name: c.statuses() for c in self._columns}

    @property
    def event_timestamps(self) -> dict[str, list[int | None]]:
        """``{name: [event time in epoch microseconds, or None]}`` for stored features."""
        return {c.name: list(c.event_micros) for c in self._columns if c.event_micros is not None}

    def to_df(self, include_event_timestamps: bool = False) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.to_dict(include_event_timestamps))

    def to_arrow(self, include_event_timestamps: bool = False) -> pa.Table:
        """An Arrow table; feature columns carry their declared types even when all null."""
        import pyarrow as pa

        arrays: dict[str, pa.Array] = {}
        for c in self._columns:
            arrow_type = c.dtype.to_arrow() if c.dtype is not None else None
            arrays[c.name] = pa.array(c.values, type=arrow_type)
            if include_event_timestamps:
                arrays[c.name + TIMESTAMP_POSTFIX] = pa.array(c.event_seconds(), pa.int64())
        return pa.table(arrays)

    def __repr__(self) -> str:
        return f"OnlineResponse(rows={len(self)}, columns={self.feature_names})"
