"""Registry snapshots of the PostgreSQL registry: ``COPY ... TO STDOUT`` of one REPEATABLE READ transaction.

Both tables are copied (as CSV, JSON columns as text) inside one transaction,
so versions and state are one consistent point in time; the bytes stream to
the target as the server sends them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from featurevault._recovery.manifest import FileEntry
from featurevault._recovery.registry_rows import RegistryRows, StateRow
from featurevault._recovery.target import BackupTarget

VERSIONS_FILE = "registry-versions.csv"
STATE_FILE = "registry-state.csv"
_VERSIONS = (
    "SELECT project, version, to_json(created_at)#>>'{{}}', author, message, meta::text, contents::text "
    "FROM {} WHERE project = {} ORDER BY version"
)
_STATE = "SELECT project, namespace, key, value::text FROM {} WHERE project = {}"


def dump(registry: Any, project: str, target: BackupTarget, backup_id: str) -> list[FileEntry]:
    from psycopg import sql

    entries = []
    with registry._conn() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for name, template, table in ((VERSIONS_FILE, _VERSIONS, "versions"), (STATE_FILE, _STATE, "state")):
            query = sql.SQL(template).format(registry._table(table), sql.Literal(project))
            copy_sql = sql.SQL("COPY ({}) TO STDOUT (FORMAT CSV)").format(query)
            with target.writer(backup_id, name) as out, conn.cursor().copy(copy_sql) as copy:
                for chunk in copy:
                    out.write(chunk)
            entries.append(FileEntry(name, out.size, out.sha256, "registry"))
    return entries


def read_rows(versions_path: Path, state_path: Path) -> RegistryRows:
    with versions_path.open(newline="") as v, state_path.open(newline="") as s:
        versions = [(r[0], int(r[1]), *r[2:]) for r in csv.reader(v)]
        state = [tuple(r) for r in csv.reader(s)]
    return RegistryRows(versions, state)  # type: ignore[arg-type]


def live_state(registry: Any, project: str) -> list[StateRow]:
    from psycopg import sql

    with registry._conn() as conn:
        query = sql.SQL("SELECT project, namespace, key, value::text FROM {} WHERE project = %s")
        return [tuple(r) for r in conn.execute(query.format(registry._table("state")), (project,))]


def load(registry: Any, project: str, rows: RegistryRows) -> None:
    """Replace ``project``'s versions and state in one transaction (rerunnable: same result every time)."""
    from psycopg import sql

    state = rows.restorable_state(live_state(registry, project))
    with registry._conn() as conn, conn.transaction():
        for table in ("versions", "state"):
            conn.execute(sql.SQL("DELETE FROM {} WHERE project = %s").format(registry._table(table)), (project,))
        for table, table_rows in (("versions", rows.versions), ("state", state)):
            buffer = io.StringIO()
            csv.writer(buffer, quoting=csv.QUOTE_ALL).writerows(table_rows)
            with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN (FORMAT CSV)").format(registry._table(table))) as copy:
                copy.write(buffer.getvalue())
