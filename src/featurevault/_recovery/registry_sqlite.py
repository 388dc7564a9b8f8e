"""Registry snapshots of the SQLite registry: the SQLite online backup API, one consistent copy."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from featurevault._recovery.manifest import FileEntry
from featurevault._recovery.registry_rows import RegistryRows, StateRow
from featurevault._recovery.target import BackupTarget

FILE = "registry.sqlite"
_CHUNK = 1 << 20


def dump(registry: Any, project: str, target: BackupTarget, backup_id: str) -> list[FileEntry]:
    """Copy the registry file with the backup API, keep only ``project``'s rows, stream it to the target."""
    with tempfile.TemporaryDirectory(prefix="featurevault-backup-") as scratch:
        copy = Path(scratch) / FILE
        source = sqlite3.connect(registry.path, timeout=30)
        destination = sqlite3.connect(copy)
        try:
            source.backup(destination)
            destination.execute("DELETE FROM versions WHERE project != ?", (project,))
            destination.execute("DELETE FROM state WHERE project != ?", (project,))
            destination.commit()
            destination.execute("VACUUM")
        finally:
            source.close()
            destination.close()
        with target.writer(backup_id, FILE) as out, copy.open("rb") as data:
            while chunk := data.read(_CHUNK):
                out.write(chunk)
    return [FileEntry(FILE, out.size, out.sha256, "registry")]


def read_rows(path: Path) -> RegistryRows:
    """The rows of a downloaded snapshot file."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        versions = conn.execute(
            "SELECT project, version, created_at, author, message, meta, contents FROM versions ORDER BY version"
        ).fetchall()
        state = conn.execute("SELECT project, namespace, key, value FROM state").fetchall()
    finally:
        conn.close()
    return RegistryRows([tuple(r) for r in versions], [tuple(r) for r in state])


def live_state(registry: Any, project: str) -> list[StateRow]:
    rows = registry._conn().execute("SELECT project, namespace, key, value FROM state WHERE project = ?", (project,))
    return [tuple(r) for r in rows]


def load(registry: Any, project: str, rows: RegistryRows) -> None:
    """Replace ``project``'s versions and state in one transaction (rerunnable: same result every time)."""
    conn = registry._conn()
    state = rows.restorable_state(live_state(registry, project))
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM versions WHERE project = ?", (project,))
        conn.execute("DELETE FROM state WHERE project = ?", (project,))
        conn.executemany("INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?)", rows.versions)
        conn.executemany("INSERT INTO state VALUES (?, ?, ?, ?)", state)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
