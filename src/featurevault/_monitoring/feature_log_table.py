"""The Arrow table and Parquet file of a batch of logged responses (the feature log's writer thread).

Columns are concatenated across the batch's responses as lists first, then converted
once each; statuses are computed on the Arrow arrays and kept as a dictionary of names;
sampled rows are taken in one ``take``. The writer holds the interpreter lock as little as
it can, since reads run beside it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from featurevault._monitoring.feature_log import (
    LOG_TIMESTAMP,
    REGISTRY_VERSION,
    REQUEST_ID,
    SERVICE,
    STATUS_SUFFIX,
    TIMESTAMP_SUFFIX,
    new_file_name,
)
from featurevault._ops.online_response import FieldStatus

_PRESENT, _NULL = int(FieldStatus.PRESENT), int(FieldStatus.NULL_VALUE)
_STATUS_NAMES = pa.array([s.name for s in sorted(FieldStatus)])


def logged_columns(service: Any) -> list[tuple[str, str, str]]:
    """``(column, view, feature)`` of every feature of ``service``, in the order a read returns them."""
    return [(f"{p.name_to_use}__{f}", p.name, f) for p in service.feature_view_projections for f in p.features]


class _Column:
    """One logged column across the batch: values, and for features their statuses and event times."""

    def __init__(self, dtype: Any, offset: int) -> None:
        self.dtype = dtype
        self.values: list[Any] = [None] * offset
        self.states: list[Any] = [_PRESENT] * offset
        self.micros: list[Any] = [None] * offset
        self.has_states = self.has_micros = False

    def add(self, values: list[Any], states: list[Any] | None, micros: list[Any] | None) -> None:
        n = len(values)
        self.values += values
        if states is not None:
            self.has_states = True
            self.states += states
        else:
            self.states += [_PRESENT] * n
        if micros is not None:
            self.has_micros = True
            self.micros += micros
        else:
            self.micros += [None] * n

    def pad(self, total: int) -> None:
        missing = total - len(self.values)
        if missing:
            self.values += [None] * missing
            self.states += [_PRESENT] * missing
            self.micros += [None] * missing


def log_table(entries: list[Any]) -> pa.Table:
    """One table of the sampled rows of ``entries`` (responses of one service)."""
    columns: dict[str, _Column] = {}
    meta: dict[str, list[Any]] = {REQUEST_ID: [], SERVICE: [], REGISTRY_VERSION: [], LOG_TIMESTAMP: []}
    picked: list[int] = []
    full_names: dict[int, list[tuple[str, str, str]]] = {}
    total = 0
    for entry in entries:
        names, values, dtypes, states, micros = entry.columns
        n = len(values[0]) if values else 0
        for name, vals, dtype, st, mic in zip(_names(entry, full_names), values, dtypes, states, micros, strict=True):
            column = columns.get(name) or columns.setdefault(name, _Column(dtype, total))
            column.add(vals, st, mic)
        picked += range(total, total + n) if entry.rows is None else [total + i for i in entry.rows]
        total += n
        for column in columns.values():
            column.pad(total)
        for key, value in (
            (REQUEST_ID, entry.request_id),
            (SERVICE, entry.service),
            (REGISTRY_VERSION, str(entry.version)),
            (LOG_TIMESTAMP, int(entry.at * 1_000_000)),
        ):
            meta[key] += [value] * n
    arrays: dict[str, pa.Array] = {}
    for name, column in columns.items():
        arrays.update(_arrays(name, column))
    arrays[REQUEST_ID] = pa.array(meta[REQUEST_ID], pa.string())
    arrays[SERVICE] = pa.array(meta[SERVICE], pa.string())
    arrays[REGISTRY_VERSION] = pa.array(meta[REGISTRY_VERSION], pa.string())
    arrays[LOG_TIMESTAMP] = pa.array(meta[LOG_TIMESTAMP], pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    table = pa.table(arrays)
    return table if len(picked) == total else table.take(pa.array(picked, pa.int64()))


def write_log_file(directory: Path, table: pa.Table, at: float) -> Path:
    """Write ``table`` to a new file of ``directory``: to a hidden name first, renamed when complete."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / new_file_name(at)
    partial = directory / f".{path.name}.partial"
    pq.write_table(table, partial)
    os.replace(partial, path)
    return path


def _names(entry: Any, cache: dict[int, list[tuple[str, str, str]]]) -> list[str]:
    """The entry's column names, features under their full names when the response holds the service's features."""
    names, dtypes = entry.columns[0], entry.columns[2]
    key = id(entry.definition)
    full = cache.get(key)
    if full is None:
        full = cache[key] = logged_columns(entry.definition)
    features = [i for i, dtype in enumerate(dtypes) if dtype is not None]
    if len(features) != len(full):
        return list(names)
    renamed = list(names)
    for i, (column, _, _) in zip(features, full, strict=True):
        renamed[i] = column
    return renamed


def _arrays(name: str, column: _Column) -> dict[str, pa.Array]:
    values = _values(column)
    if column.dtype is None:  # a join key: the request's value
        return {name: values}
    codes = pa.array(column.states, pa.int8()) if column.has_states else pa.array([_PRESENT] * len(values), pa.int8())
    nulls = pc.and_(pc.equal(codes, _PRESENT), pc.is_null(values))
    codes = pc.if_else(nulls, pa.scalar(_NULL, pa.int8()), codes)
    arrays = {name: values, name + STATUS_SUFFIX: pa.DictionaryArray.from_arrays(codes, _STATUS_NAMES)}
    if column.has_micros:
        arrays[name + TIMESTAMP_SUFFIX] = pa.array(column.micros, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    return arrays


def _values(column: _Column) -> pa.Array:
    if column.dtype is not None:
        try:
            return pa.array(column.values, column.dtype.to_arrow())
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # masked: served as text or hashes, not the declared type
            pass
    return pa.array(column.values)
