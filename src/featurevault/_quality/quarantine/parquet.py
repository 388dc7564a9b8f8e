"""The quarantine as Parquet files under the repo's data directory (the embedded default).

One file per quarantined batch, written to a temporary name, flushed and renamed, so a
crash leaves either the whole batch or none of it. Removing entries rewrites the files
that held them the same way.
"""

from __future__ import annotations

import builtins
import os
import threading
import uuid
from datetime import UTC
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from featurevault._quality.quarantine.base import COLUMNS, QuarantineEntry, QuarantineStore

SCHEMA = pa.schema([(c, pa.timestamp("us", tz="UTC") if c == "at" else pa.string()) for c in COLUMNS])


class ParquetQuarantine(QuarantineStore):
    def __init__(self, root: Path, project: str) -> None:
        self.root = Path(root) / project
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"parquet files under {self.root}"

    def add(self, entries: list[QuarantineEntry]) -> int:
        """One new file per batch; an id already stored (a re-run) is dropped when read, not here,
        so that adding costs the same however large the quarantine is."""
        if not entries:
            return 0
        fresh = {e.id: e for e in entries}
        with self._lock:
            self._write(self._new_file(), list(fresh.values()))
        return len(fresh)

    def list(self, view: str | None = None, limit: int | None = None) -> list[QuarantineEntry]:
        entries = [e for e in self._read_all() if view is None or e.view == view]
        entries.sort(key=lambda e: (e.at, e.id))
        return entries[:limit] if limit is not None else entries

    def remove(self, ids: builtins.list[str]) -> int:
        gone = set(ids)
        removed = 0
        with self._lock:
            for path in self._files():
                entries = self._read(path)
                kept = [e for e in entries if e.id not in gone]
                if len(kept) == len(entries):
                    continue
                removed += len(entries) - len(kept)
                if kept:
                    self._write(path, kept)
                else:
                    self._delete(path)
        return removed

    def _read_all(self) -> builtins.list[QuarantineEntry]:
        seen: dict[str, QuarantineEntry] = {}
        for path in self._files():
            for entry in self._read(path):
                seen.setdefault(entry.id, entry)
        return list(seen.values())

    # -- the files: local ones here, objects in :class:`~.objects.ObjectQuarantine` ----------------

    def _new_file(self) -> Any:
        return self.root / f"{uuid.uuid4().hex}.parquet"

    def _files(self) -> builtins.list[Any]:
        return sorted(self.root.glob("*.parquet")) if self.root.exists() else []

    def _read(self, path: Any) -> builtins.list[QuarantineEntry]:
        try:
            table = pq.read_table(path)
        except FileNotFoundError:  # removed by a concurrent purge
            return []
        return entries_from(table)

    def _delete(self, path: Any) -> None:
        path.unlink(missing_ok=True)

    def _write(self, path: Any, entries: builtins.list[QuarantineEntry]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        with open(tmp, "wb") as handle:
            pq.write_table(table_of(entries), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_dir(self.root)


def table_of(entries: list[QuarantineEntry]) -> pa.Table:
    return pa.table({c: [getattr(e, c) for e in entries] for c in COLUMNS}, schema=SCHEMA)


def entries_from(table: pa.Table) -> list[QuarantineEntry]:
    rows = table.to_pylist()
    for row in rows:
        row["at"] = row["at"].astimezone(UTC)
    return [QuarantineEntry(**row) for row in rows]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
