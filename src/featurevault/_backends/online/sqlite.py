"""The embedded online store: one SQLite file, one table per (project, feature view).

Tables are ``key BLOB PRIMARY KEY, record BLOB`` WITHOUT ROWID, so a lookup is
one B-tree descent. The file runs in WAL mode: readers never wait for a
writer. Each thread gets its own connection, so the HTTP server can share one
store between worker threads.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from featurevault._backends.online.base import Maintainable, OnlineStore
from featurevault.errors import BackendError, BackendUnavailableError

logger = logging.getLogger(__name__)

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_SEPARATOR = ":"  # never part of a project or view name, so prefixes cannot collide


class Config(BaseModel):
    """``online_store`` section for ``type: sqlite``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the store type
    type: Literal["sqlite"] = "sqlite"
    #: the database file, relative to the repo
    path: str = "data/online_store.db"
    #: seconds a statement waits for a lock held by another process before failing
    timeout: float = 5.0


class Store(OnlineStore, Maintainable):
    """SQLite online store for one project."""

    type_name = "sqlite"
    embedded = True

    def __init__(self, path: Path, project: str, timeout: float = 5.0) -> None:
        self.path = path
        self.project = project
        self.timeout = timeout
        self._prefix = f"{project}{_SEPARATOR}"
        self._quoted: dict[str, str] = {}
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def from_config(cls, config: Config, *, project: str, resolve: Callable[[str], Path]) -> Store:
        return cls(resolve(config.path), project, config.timeout)

    # -- connections ---------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        if self._closed:
            raise BackendError(f"online store {self.describe()} is closed")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # check_same_thread off: each connection stays with its thread, but close() runs anywhere
            conn = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, cached_statements=256, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except (sqlite3.Error, OSError) as exc:
            raise BackendUnavailableError(f"cannot open the SQLite online store at {self.path}: {exc}") from exc
        with self._lock:
            self._connections.append(conn)
        self._local.max_vars = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return conn

    # -- tables --------------------------------------------------------------------------------

    def _table(self, table: str) -> str:
        """The quoted SQLite name of a view's table."""
        quoted = self._quoted.get(table)
        if quoted is None:
            if not _NAME_RE.match(table):
                raise BackendError(f"invalid online table name {table!r}")
            quoted = self._quoted[table] = '"' + self._prefix + table + '"'
        return quoted

    def write(self, table: str, keys: Sequence[bytes], records: Sequence[bytes]) -> None:
        self._insert(table, keys, records, "INSERT OR REPLACE", "write to")

    def _insert(self, table: str, keys: Sequence[bytes], records: Sequence[bytes], verb: str, what: str) -> None:
        """One transaction: create the table if needed, then ``verb`` every (key, record)."""
        self.check_aligned(table, keys, records)
        name = self._table(table)
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(f"CREATE TABLE IF NOT EXISTS {name} (key BLOB PRIMARY KEY, record BLOB) WITHOUT ROWID")
                conn.executemany(f"{verb} INTO {name} (key, record) VALUES (?, ?)", zip(keys, records))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise _backend_error(f"{what} online table {table!r}", exc) from exc

    def read(self, table: str, keys: Sequence[bytes]) -> list[bytes | None]:
        if not keys:
            return []
        name = self._table(table)
        conn = self._conn()
        if len(keys) == 1:  # the commonest read: one entity, one B-tree descent
            try:
                row = conn.execute(f"SELECT record FROM {name} WHERE key = ?", keys).fetchone()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return [None]
                raise _backend_error(f"read from online table {table!r}", exc) from exc
            return [row[0] if row is not None else None]
        step = self._local.max_vars
        found: dict[bytes, bytes] = {}
        try:
            for i in range(0, len(keys), step):
                chunk = keys[i : i + step]
                marks = ",".join("?" * len(chunk))
                found.update(conn.execute(f"SELECT key, record FROM {name} WHERE key IN ({marks})", chunk).fetchall())
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return [None] * len(keys)
            raise _backend_error(f"read from online table {table!r}", exc) from exc
        get = found.get
        return [get(k) for k in keys]

    def drop(self, table: str) -> None:
        try:
            self._conn().execute(f"DROP TABLE IF EXISTS {self._table(table)}")
        except sqlite3.OperationalError as exc:
            raise _backend_error(f"drop online table {table!r}", exc) from exc

    def tables(self) -> list[str]:
        rows = self._conn().execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return sorted(name[len(self._prefix) :] for (name,) in rows if name.startswith(self._prefix))

    # -- maintenance (backups, rebuilds, erasure) ------------------------------------------------

    def scan(self, table: str, batch_size: int = 10_000) -> Iterator[tuple[list[bytes], list[bytes]]]:
        # a dedicated connection holding one read transaction: the batches are one consistent snapshot
        conn = self._connect()
        try:
            conn.execute("BEGIN")
            try:
                cursor = conn.execute(f"SELECT key, record FROM {self._table(table)} ORDER BY key")
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):
                    return
                raise _backend_error(f"scan of online table {table!r}", exc) from exc
            while rows := cursor.fetchmany(batch_size):
                keys, records = zip(*rows)
                yield list(keys), list(records)
        finally:
            conn.close()
            with self._lock:
                if conn in self._connections:
                    self._connections.remove(conn)

    def delete(self, table: str, keys: Sequence[bytes]) -> int:
        name = self._table(table)
        conn = self._conn()
        try:
            before = conn.total_changes
            conn.executemany(f"DELETE FROM {name} WHERE key = ?", ((k,) for k in keys))
            return conn.total_changes - before
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return 0
            raise _backend_error(f"delete from online table {table!r}", exc) from exc

    def load_fresh(self, table: str, keys: Sequence[bytes], records: Sequence[bytes]) -> None:
        """Fill a staging table no reader sees (restores, rebuilds): plain inserts of distinct keys."""
        self._insert(table, keys, records, "INSERT", "load of")

    def swap_in(self, staging: str, table: str) -> None:
        source, target = self._table(staging), self._table(table)
        conn = self._conn()
        try:
            # the replaced table's pages are freed without being zeroed first (builds with
            # SQLITE_SECURE_DELETE would write every page of it again); deletes of single
            # records (forget) keep the build's secure-delete setting
            secure = {0: "0", 1: "1"}.get(conn.execute("PRAGMA secure_delete").fetchall()[0][0], "FAST")
            conn.execute("PRAGMA secure_delete=FAST")
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute(f"DROP TABLE IF EXISTS {target}")
                    conn.execute(f"ALTER TABLE {source} RENAME TO {target}")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                conn.execute(f"PRAGMA secure_delete={secure}")
        except sqlite3.OperationalError as exc:
            raise _backend_error(f"swap of {staging!r} into online table {table!r}", exc) from exc

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for conn in self._connections:
                try:
                    conn.close()
                except sqlite3.ProgrammingError:  # made in a thread that is gone
                    logger.debug("online store connection already unusable at close")
            self._connections.clear()
        self._local = threading.local()

    def describe(self) -> str:
        return f"sqlite:{self.path}"


def _backend_error(action: str, exc: sqlite3.OperationalError) -> BackendError:
    if "locked" in str(exc) or "busy" in str(exc):
        return BackendUnavailableError(f"{action}: the SQLite file is locked by another process ({exc})")
    return BackendError(f"{action}: {exc}")
