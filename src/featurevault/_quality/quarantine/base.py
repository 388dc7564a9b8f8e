"""The quarantine: rows a ``quarantine`` rule kept out of the stores, durable and queryable.

Each entry is one row: the view, the rule it broke, where it was going (``online``,
``offline`` or ``online_and_offline``), the operation and run (request) id, the principal,
the time, and the row's original values as JSON (PII columns sealed as in the online
store when PII is encrypted at rest). An entry's id is derived from its content and its
run: quarantining the same materialization window twice (a re-run after a crash) keeps
one entry per row, never two.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa

COLUMNS = ("id", "view", "rule", "target", "operation", "run_id", "principal", "at", "row")


@dataclass(frozen=True)
class QuarantineEntry:
    id: str
    view: str
    rule: str
    #: where the row was going: online, offline or online_and_offline
    target: str
    #: materialize, push or write_to_online_store
    operation: str
    run_id: str
    principal: str
    at: datetime
    #: the row's values as JSON (view column names; the event time under the source's timestamp field)
    row: str

    @property
    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = json.loads(self.row)
        return values

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "view": self.view,
            "rule": self.rule,
            "target": self.target,
            "operation": self.operation,
            "run_id": self.run_id,
            "principal": self.principal,
            "at": self.at.isoformat(),
            "values": self.values,
        }


@dataclass(frozen=True)
class QuarantineBatch:
    """Who and what a batch of quarantined rows came from."""

    view: str
    target: str
    operation: str
    run_id: str
    principal: str
    #: for ids: rows quarantined again by a re-run of the same key keep their id
    dedupe_key: str


def entries_of(batch: QuarantineBatch, rows: pa.Table, rule_column: str) -> list[QuarantineEntry]:
    """One entry per row of ``rows`` (view columns plus ``rule_column``)."""
    rules = rows.column(rule_column).to_pylist()
    texts = row_texts(rows.drop_columns([rule_column]))
    now = datetime.now(UTC)
    entries = []
    for rule, text in zip(rules, texts, strict=True):
        digest = hashlib.sha256(f"{batch.view}\0{batch.dedupe_key}\0{rule}\0{text}".encode()).hexdigest()[:20]
        entries.append(
            QuarantineEntry(
                digest, batch.view, rule, batch.target, batch.operation, batch.run_id, batch.principal, now, text
            )
        )
    return entries


def row_texts(table: pa.Table) -> list[str]:
    """Each row as ``json.dumps({name: jsonable(value)}, sort_keys=True)`` writes it, built a column at a time."""
    names = sorted(table.column_names)
    if not names:
        return ["{}"] * table.num_rows
    columns = [_encoded(table.column(name)) for name in names]
    keys = [_encode_text(name) + ": " for name in names]
    return ["{" + ", ".join(k + v for k, v in zip(keys, values, strict=True)) + "}" for values in zip(*columns)]


def _encoded(column: pa.ChunkedArray) -> list[str]:
    """The JSON text of each value of ``column`` (scalars the common types take a short path)."""
    kind, values = column.type, column.to_pylist()
    if pa.types.is_integer(kind):
        return ["null" if v is None else int.__repr__(v) for v in values]
    if pa.types.is_boolean(kind):
        return ["null" if v is None else ("true" if v else "false") for v in values]
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return ["null" if v is None else _encode_text(v) for v in values]
    if pa.types.is_floating(kind):
        return [
            "null" if v is None else (float.__repr__(v) if math.isfinite(v) else _dumps(jsonable(v))) for v in values
        ]
    if pa.types.is_timestamp(kind):
        return ["null" if v is None else '{"$ts": ' + _encode_text(jsonable(v)["$ts"]) + "}" for v in values]
    return [_dumps(jsonable(v)) for v in values]


_encode_text = json.encoder.encode_basestring_ascii  # what json.dumps writes for a str (ensure_ascii)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def jsonable(value: Any) -> Any:
    """``value`` as JSON can hold it (times, bytes, NaN and maps tagged; :func:`from_jsonable` reverses it)."""
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"$ts": value.astimezone(UTC).isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes):
        return {"$bytes": value.hex()}
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return {"$float": repr(value)}
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and isinstance(value[0], tuple):  # Arrow maps come back as lists of pairs
            return {"$map": [[k, jsonable(v)] for k, v in value]}
        return [jsonable(v) for v in value]
    return value


def from_jsonable(value: Any) -> Any:
    """The Python value an entry's JSON stands for."""
    if isinstance(value, dict):
        if "$ts" in value:
            return datetime.fromisoformat(value["$ts"])
        if "$date" in value:
            return date.fromisoformat(value["$date"])
        if "$bytes" in value:
            return bytes.fromhex(value["$bytes"])
        if "$float" in value:
            return float(value["$float"])
        if "$map" in value:
            return {k: from_jsonable(v) for k, v in value["$map"]}
        return {k: from_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_jsonable(v) for v in value]
    return value


class QuarantineStore(ABC):
    """Where quarantined rows are kept. ``add`` is durable when it returns."""

    @abstractmethod
    def add(self, entries: list[QuarantineEntry]) -> int:
        """Store ``entries`` (an id already stored is kept once); returns how many were new."""

    @abstractmethod
    def list(self, view: str | None = None, limit: int | None = None) -> list[QuarantineEntry]:
        """Entries, oldest first, optionally of one view."""

    @abstractmethod
    def remove(self, ids: builtins.list[str]) -> int:
        """Delete entries by id; returns how many were removed."""

    def get(self, entry_id: str) -> QuarantineEntry | None:
        return next((e for e in self.list() if e.id == entry_id), None)

    def older_than(self, cutoff: datetime) -> builtins.list[str]:
        return [e.id for e in self.list() if e.at < cutoff]

    def describe(self) -> str:
        return type(self).__name__

    def close(self) -> None:
        """Release resources."""
