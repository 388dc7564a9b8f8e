"""The result of an online read, with Feast's accessors (``to_dict``, ``to_df``, ``to_arrow``).

Columns are kept as plain lists. Statuses and event timestamps are derived
only when asked for, so the common ``to_dict()`` call pays nothing for them.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any

from featurevault._model.types import FeatureType

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
    #: stored as null and replaced by the field's null policy default (featurevault's addition)
    FILLED = 5
    #: a feature flag of the view, on-demand view or feature service is off for this entity:
    #: served as null (featurevault's addition; see docs/lifecycle.md)
    FLAG_OFF = 6


@dataclass
class ResponseColumn:
    """One output column: its values and, for stored features, per-row statuses and event times (µs)."""

    name: str
    values: list[Any]
    dtype: FeatureType | None
    row_states: list[FieldStatus] | None = None
    event_micros: list[int | None] | None = None


def column_statuses(
    values: list[Any], dtype: FeatureType | None, row_states: list[FieldStatus] | None
) -> list[FieldStatus]:
    """A column's status per row: its stored states, with NULL_VALUE where a present value is None."""
    present, null = FieldStatus.PRESENT, FieldStatus.NULL_VALUE
    if dtype is None:  # join keys echo the request
        return [present] * len(values)
    if not any(map(operator.is_, values, repeat(None))):  # the common case: one C loop, identity only
        return [present] * len(values) if row_states is None else list(row_states)
    if row_states is None:
        return [null if v is None else present for v in values]
    return [(null if v is None else present) if s is present else s for v, s in zip(values, row_states, strict=True)]


def _seconds(values: list[Any], event_micros: list[int | None] | None) -> list[int]:
    if event_micros is None:
        return [0] * len(values)
    return [0 if us is None else us // 1_000_000 for us in event_micros]


class OnlineResponse:
    """Feature values for each entity row: join keys first, then the features in requested order.

    Held as parallel lists (names, values, dtypes, row statuses, event times),
    the cheapest shape for the read path to build.
    """

    def __init__(self, columns: list[ResponseColumn]) -> None:
        self._set(
            [c.name for c in columns],
            [c.values for c in columns],
            [c.dtype for c in columns],
            [c.row_states for c in columns],
            [c.event_micros for c in columns],
        )

    @classmethod
    def from_lists(
        cls,
        names: list[str],
        values: list[list[Any]],
        dtypes: list[FeatureType | None],
        row_states: list[list[FieldStatus] | None],
        event_micros: list[list[int | None] | None],
    ) -> OnlineResponse:
        """Build from parallel per-column lists (a dtype of None marks a join key column)."""
        response = cls.__new__(cls)
        response._set(names, values, dtypes, row_states, event_micros)
        return response

    def _set(
        self,
        names: list[str],
        values: list[list[Any]],
        dtypes: list[FeatureType | None],
        row_states: list[list[FieldStatus] | None],
        event_micros: list[list[int | None] | None],
    ) -> None:
        self._names, self._values, self._dtypes = names, values, dtypes
        self._row_states, self._event_micros = row_states, event_micros

    @property
    def feature_names(self) -> list[str]:
        return list(self._names)

    def parts(
        self,
    ) -> tuple[
        list[str],
        list[list[Any]],
        list[FeatureType | None],
        list[list[FieldStatus] | None],
        list[list[int | None] | None],
    ]:
        """The parallel per-column lists as held, not copies (names, values, dtypes, states, event times).

        For serializers that only read them (the feature server's JSON); columns of one view share
        their state and event-time lists, so a serializer can convert each shared list once.
        """
        return self._names, self._values, self._dtypes, self._row_states, self._event_micros

    @property
    def columns(self) -> list[ResponseColumn]:
        return [
            ResponseColumn(*parts)
            for parts in zip(self._names, self._values, self._dtypes, self._row_states, self._event_micros, strict=True)
        ]

    def __len__(self) -> int:
        return len(self._values[0]) if self._values else 0

    def transform_column(
        self, name: str, fn: Callable[[list[Any]], list[Any]], dtype: FeatureType | None = None
    ) -> None:
        """Replace a column's values with ``fn(values)`` (and its dtype when given): how PII is masked."""
        i = self._names.index(name)
        self._values[i] = fn(self._values[i])
        if dtype is not None:
            self._dtypes[i] = dtype

    def apply_masks(
        self, mask: Callable[[list[Any], str], list[Any]], masks: Sequence[tuple[str, str, FeatureType | None]]
    ) -> None:
        """For each (column, strategy, dtype): the column's values become ``mask(values, strategy)``.

        The dtype replaces the column's when given. Columns the response lacks are skipped.
        What :meth:`transform_column` does per column, for a whole masking decision at once.
        """
        names, values, dtypes = self._names, self._values, self._dtypes
        for name, strategy, dtype in masks:
            if name in names:
                i = names.index(name)
                values[i] = mask(values[i], strategy)
                if dtype is not None:
                    dtypes[i] = dtype

    def fill_nulls(self, name: str, value: Any) -> int:
        """Replace the column's stored nulls (NULL_VALUE) by ``value``, marked FILLED; returns how many."""
        i = self._names.index(name)
        values = self._values[i]
        if not any(map(operator.is_, values, repeat(None))):
            return 0
        states = column_statuses(values, self._dtypes[i], self._row_states[i])
        null = FieldStatus.NULL_VALUE
        rows = [r for r, state in enumerate(states) if state is null]
        if rows:
            values, states = list(values), list(states)
            for r in rows:
                values[r], states[r] = value, FieldStatus.FILLED
            self._values[i], self._row_states[i] = values, states
        return len(rows)

    def to_dict(self, include_event_timestamps: bool = False) -> dict[str, list[Any]]:
        """``{name: [value per entity row]}``; with timestamps, ``name__ts`` holds event times in epoch seconds."""
        if not include_event_timestamps:
            return dict(zip(self._names, map(list, self._values), strict=True))
        result: dict[str, list[Any]] = {}
        for name, values, micros in zip(self._names, self._values, self._event_micros, strict=True):
            result[name] = list(values)
            result[name + TIMESTAMP_POSTFIX] = _seconds(values, micros)
        return result

    @property
    def statuses(self) -> dict[str, list[FieldStatus]]:
        """``{name: [FieldStatus per entity row]}``."""
        parts = zip(self._names, self._values, self._dtypes, self._row_states, strict=True)
        return {name: column_statuses(values, dtype, states) for name, values, dtype, states in parts}

    @property
    def event_timestamps(self) -> dict[str, list[int | None]]:
        """``{name: [event time in epoch microseconds, or None]}`` for stored features."""
        return {n: list(m) for n, m in zip(self._names, self._event_micros, strict=True) if m is not None}

    def to_df(self, include_event_timestamps: bool = False) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.to_dict(include_event_timestamps))

    def to_arrow(self, include_event_timestamps: bool = False) -> pa.Table:
        """An Arrow table; feature columns carry their declared types even when all null."""
        import pyarrow as pa

        arrays: dict[str, pa.Array] = {}
        parts = zip(self._names, self._values, self._dtypes, self._event_micros, strict=True)
        for name, values, dtype, micros in parts:
            arrays[name] = pa.array(values, type=dtype.to_arrow() if dtype is not None else None)
            if include_event_timestamps:
                arrays[name + TIMESTAMP_POSTFIX] = pa.array(_seconds(values, micros), pa.int64())
        return pa.table(arrays)

    def __repr__(self) -> str:
        return f"OnlineResponse(rows={len(self)}, columns={self._names})"
