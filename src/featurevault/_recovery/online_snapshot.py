"""Online-store snapshots: every table streamed to an Arrow IPC file of (key, record) batches.

The format is the same for every online backend, so a snapshot of Redis can be
restored into PostgreSQL or into a scratch SQLite file (the drill does that).
Records are the stored bytes: values encrypted at rest stay encrypted. A table
is restored into a staging table first and swapped in whole, so an interrupted
restore leaves the old table readable and can simply be run again. Stores that
cannot swap a table whole (Redis) overwrite it key by key and remove the keys
the snapshot lacks at the end (``Maintainable.restore_in_place``); run again,
that ends the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pyarrow as pa

from featurevault._backends.online.base import Maintainable, OnlineStore
from featurevault.errors import RecoveryError
from featurevault._recovery.manifest import FileEntry, Manifest
from featurevault._recovery.target import BackupTarget

logger = logging.getLogger(__name__)

SCHEMA = pa.schema([("key", pa.binary()), ("record", pa.binary())])
STAGING_SUFFIXES = ("__rebuild", "__restore")
BATCH = 20_000

Progress = Callable[[str, int], None]


def maintainable(store: OnlineStore) -> Maintainable:
    if not isinstance(store, Maintainable):
        raise RecoveryError(f"online store {store.describe()} cannot be scanned, so it cannot be backed up or rebuilt")
    return store


def live_tables(store: OnlineStore) -> list[str]:
    return [t for t in store.tables() if not t.endswith(STAGING_SUFFIXES)]


def dump(store: OnlineStore, target: BackupTarget, backup_id: str, progress: Progress | None = None) -> list[FileEntry]:
    scanner = maintainable(store)
    entries = []
    for table in live_tables(store):
        name = f"online/{table}.arrows"
        records = 0
        with target.writer(backup_id, "online", f"{table}.arrows") as out:
            with pa.ipc.new_stream(out, SCHEMA) as stream:
                for keys, values in scanner.scan(table, BATCH):
                    stream.write_batch(
                        pa.record_batch([pa.array(keys, pa.binary()), pa.array(values, pa.binary())], schema=SCHEMA)
                    )
                    records += len(keys)
                    if progress is not None:
                        progress(table, records)
        entries.append(FileEntry(name, out.size, out.sha256, "online", table=table, records=records))
        logger.info("backup %s: online table %s, %d records, %d bytes", backup_id, table, records, out.size)
    return entries


def load(
    store: OnlineStore, target: BackupTarget, manifest: Manifest, progress: Progress | None = None
) -> dict[str, int]:
    """Restore every online table of the backup; returns records per table."""
    swapper = maintainable(store)
    entries = {_table_of(f): f for f in manifest.files if f.part == "online"}
    if not swapper.atomic_swap:  # key by key (Redis): stale keys are listed first and removed last
        loads = {table: partial(_batches, target, manifest, entry.path) for table, entry in entries.items()}
        return swapper.restore_in_place(loads, progress)
    return {
        table: _load_and_swap(swapper, target, manifest, entry.path, table, progress)
        for table, entry in entries.items()
    }


def _table_of(entry: FileEntry) -> str:
    return entry.table or entry.path.rsplit("/", 1)[-1].removesuffix(".arrows")


def _batches(target: BackupTarget, manifest: Manifest, path: str) -> Iterator[tuple[list[bytes], list[bytes]]]:
    with target.reader(manifest.backup_id, *path.split("/")) as source:
        for batch in pa.ipc.open_stream(source):
            yield batch.column(0).to_pylist(), batch.column(1).to_pylist()


def _load_and_swap(
    store: Maintainable, target: BackupTarget, manifest: Manifest, path: str, table: str, progress: Progress | None
) -> int:
    """Into a fresh staging table, then swapped in whole (SQLite, PostgreSQL)."""
    staging = f"{table}__restore"
    store.drop(staging)  # a previous, interrupted run
    count = 0
    for keys, records in _batches(target, manifest, path):
        store.load_fresh(staging, keys, records)
        count += len(keys)
        if progress is not None:
            progress(table, count)
    if count == 0:
        store.drop(table)
    else:
        store.swap_in(staging, table)
    return count


def is_empty(store: OnlineStore) -> bool:
    return not live_tables(store)


def extra_tables(store: OnlineStore, manifest: Manifest) -> list[str]:
    """Live tables the backup does not hold (left alone by a restore)."""
    held = {f.online_table for f in manifest.files if f.part == "online"}
    return [t for t in live_tables(store) if t not in held]


def read_records(target: BackupTarget, manifest: Manifest, table: str) -> Any:
    """The (key, record) Arrow table of one backed-up online table (for checks and tests)."""
    entry = next((f for f in manifest.files if f.part == "online" and f.online_table == table), None)
    if entry is None:
        raise RecoveryError(f"backup {manifest.backup_id} holds no online table {table!r}")
    with target.reader(manifest.backup_id, *entry.path.split("/")) as source:
        return pa.ipc.open_stream(source).read_all()
