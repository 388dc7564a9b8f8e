"""The embedded registry: one SQLite file, numbered versions, optimistic concurrency.

Reads wait at most ``registry.read_timeout_seconds`` for a lock another process
holds (then :class:`~featurevault.errors.RegistryUnavailableError`); writes wait
up to :data:`WRITE_TIMEOUT_SECONDS`. Each thread has its own connections.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from featurevault._backends.registry.base import Current, MetricPoint, Registry, Snapshot, VersionInfo
from featurevault._config import RegistryConfig
from featurevault.errors import RegistryConflictError, RegistryError, RegistryUnavailableError

T = TypeVar("T")

Config = RegistryConfig

WRITE_TIMEOUT_SECONDS = 30.0
_VERSION_COLUMNS = "version, created_at, author, message, meta, contents"

# Numbered schema migrations; each runs once, in order, inside one transaction.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE versions (
        project TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        author TEXT NOT NULL,
        message TEXT NOT NULL,
        meta TEXT NOT NULL,
        contents TEXT NOT NULL,
        PRIMARY KEY (project, version)
    );
    CREATE TABLE state (
        project TEXT NOT NULL,
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (project, namespace, key)
    );
    """,
    """
    CREATE TABLE metrics (
        project TEXT NOT NULL,
        view TEXT NOT NULL,
        feature TEXT NOT NULL,
        metric TEXT NOT NULL,
        at TEXT NOT NULL,
        value REAL NOT NULL
    );
    CREATE INDEX metrics_by_view_metric_time ON metrics (project, view, metric, at);
    """,
]


class Store(Registry):
    """Registry in a SQLite file (the embedded default)."""

    type_name = "sqlite"
    embedded = True

    def __init__(self, path: Path, read_timeout: float = 2.0) -> None:
        self.path = path.resolve()
        self.read_timeout = read_timeout
        self._local = threading.local()
        self._open: list[sqlite3.Connection] = []
        self._open_lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._created = False
        try:
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise RegistryError(f"registry {self.path}: cannot be opened as a registry ({exc})") from None
        self._check_schema()

    @classmethod
    def from_config(cls, config: Any, *, resolve: Callable[[str], Path]) -> Store:
        return cls(resolve(config.path), read_timeout=config.read_timeout_seconds)

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection for writes (waits up to WRITE_TIMEOUT_SECONDS for a lock)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect(WRITE_TIMEOUT_SECONDS)
        return conn

    def _reader(self) -> sqlite3.Connection:
        """This thread's connection for reads (waits up to ``read_timeout`` for a lock)."""
        conn = getattr(self._local, "reader", None)
        if conn is None:
            conn = self._local.reader = self._connect(self.read_timeout)
        return conn

    def _connect(self, timeout: float) -> sqlite3.Connection:
        # Only the first connection may create the file: one opened later (another thread)
        # must find the migrated registry, never start an empty database beside it.
        mode = "rw" if self._created else "rwc"
        try:
            conn = sqlite3.connect(
                f"{self.path.as_uri()}?mode={mode}",
                timeout=timeout,
                isolation_level=None,
                check_same_thread=False,
                uri=True,
            )
            self._created = True
        except sqlite3.Error as exc:
            raise RegistryError(f"registry {self.path}: cannot open ({exc})") from exc
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" in str(exc) or "busy" in str(exc):
                raise RegistryUnavailableError(
                    f"registry {self.path}: cannot open ({exc}); waited {timeout:g}s"
                    + (" (registry.read_timeout_seconds)" if timeout == self.read_timeout else "")
                ) from None
            raise
        except sqlite3.Error:
            conn.close()
            raise  # not a database: the caller says so in its own words
        with self._open_lock:
            self._open.append(conn)
        return conn

    def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``query`` in one read transaction (one consistent view of the file)."""
        try:
            conn = self._reader()
            conn.execute("BEGIN")
            try:
                return query(conn)
            finally:
                conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise RegistryUnavailableError(
                    f"registry {self.path}: read timed out after {self.read_timeout:g}s waiting for a lock held by "
                    f"another process (registry.read_timeout_seconds): {exc}"
                ) from None
            raise RegistryError(f"registry {self.path}: {exc}") from None
        except sqlite3.Error as exc:
            raise RegistryError(f"registry {self.path}: {exc}") from None

    def _migrate(self) -> None:
        conn = self._conn()
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
        conn.execute("BEGIN IMMEDIATE")
        try:
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for number, sql in enumerate(MIGRATIONS, start=1):
                if number not in done:
                    for statement in filter(str.strip, sql.split(";")):
                        conn.execute(statement)
                    conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (number, _now().isoformat()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _check_schema(self) -> None:
        """A file whose migrations are marked done but which lacks their tables is not our registry."""
        names = {row[0] for row in self._conn().execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = sorted({"versions", "state"} - names)
        if missing:
            raise RegistryError(
                f"registry {self.path}: not a featurevault registry (table(s) {', '.join(missing)} missing); "
                "point 'registry' at a new file or at an existing featurevault registry"
            )

    def latest_version(self, project: str) -> int:
        return self._read(lambda conn: _latest(conn, project))

    def load(self, project: str, version: int | None = None) -> Snapshot | None:
        return self._read(lambda conn: _load(conn, project, version))

    def read_current(
        self, project: str, *, known_version: int | None = None, namespaces: tuple[str, ...] = ()
    ) -> Current:
        def query(conn: sqlite3.Connection) -> Current:
            latest = _latest(conn, project)
            snapshot = _load(conn, project, latest) if latest and latest != known_version else None
            return Current(latest, snapshot, {ns: _state(conn, project, ns) for ns in namespaces})

        return self._read(query)

    def commit(
        self,
        project: str,
        contents: dict[str, Any],
        *,
        expected_version: int,
        author: str,
        message: str,
        meta: dict[str, Any] | None = None,
    ) -> int:
        new_version = expected_version + 1
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            latest = _latest(conn, project)
            if latest != expected_version:
                raise sqlite3.IntegrityError(f"newest version is {latest}")
            conn.execute(
                "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    project,
                    new_version,
                    _now().isoformat(),
                    author,
                    message,
                    json.dumps(meta or {}),
                    json.dumps(contents, sort_keys=True),
                ),
            )
            conn.execute("COMMIT")
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK")
            raise RegistryConflictError(
                f"registry {self.path}: version {new_version} of project {project!r} was committed by another "
                "apply while this one was planned; re-run plan/apply against the new version"
            ) from None
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return new_version

    def history(self, project: str, limit: int | None = None) -> list[VersionInfo]:
        def query(conn: sqlite3.Connection) -> list[VersionInfo]:
            rows = conn.execute(
                "SELECT version, created_at, author, message, meta FROM versions WHERE project = ? "
                "ORDER BY version DESC LIMIT ?",
                (project, -1 if limit is None else limit),
            )
            return [_info(row) for row in rows]

        return self._read(query)

    def get_state(self, project: str, namespace: str) -> dict[str, Any]:
        return self._read(lambda conn: _state(conn, project, namespace))

    def set_state(self, project: str, namespace: str, key: str, value: Any) -> None:
        if value is None:
            self._conn().execute(
                "DELETE FROM state WHERE project = ? AND namespace = ? AND key = ?", (project, namespace, key)
            )
            return
        self._conn().execute(
            "INSERT INTO state VALUES (?, ?, ?, ?) ON CONFLICT (project, namespace, key) DO UPDATE SET value = "
            "excluded.value",
            (project, namespace, key, json.dumps(value)),
        )

    def record_metrics(self, project: str, points: list[MetricPoint]) -> None:
        rows = [(project, p.view, p.feature, p.metric, _iso(p.at), float(p.value)) for p in points]
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def metrics(
        self, project: str, *, view: str | None = None, metric: str | None = None, since: datetime | None = None
    ) -> list[MetricPoint]:
        sql = "SELECT view, feature, metric, at, value FROM metrics WHERE project = ?"
        params: list[Any] = [project]
        for column, value in (("view", view), ("metric", metric)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        if since is not None:
            sql += " AND at >= ?"
            params.append(_iso(since))
        rows = self._conn().execute(sql + " ORDER BY at, view, metric, feature", params).fetchall()
        return [MetricPoint(v, f, m, datetime.fromisoformat(at), value) for v, f, m, at, value in rows]

    def delete_project(self, project: str) -> None:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM versions WHERE project = ?", (project,))
        conn.execute("DELETE FROM state WHERE project = ?", (project,))
        conn.execute("DELETE FROM metrics WHERE project = ?", (project,))
        conn.execute("COMMIT")

    def try_lock(self, project: str, name: str) -> Callable[[], None] | None:
        """An advisory file lock (``flock``) beside the registry file; released when the holder dies."""
        import fcntl

        folder = self.path.parent / f"{self.path.name}.locks"
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / f"{_lock_file_name(project, name)}.lock", "a+")  # noqa: SIM115 (held until released)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None

        def release() -> None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

        return release

    def close(self) -> None:
        with self._open_lock:
            connections, self._open = self._open, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    def describe(self) -> str:
        return f"sqlite ({self.path})"


def _iso(value: datetime) -> str:
    """UTC ISO text with a fixed width, so that text order is time order."""
    aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _latest(conn: sqlite3.Connection, project: str) -> int:
    row = conn.execute("SELECT MAX(version) FROM versions WHERE project = ?", (project,)).fetchone()
    return int(row[0] or 0)


def _load(conn: sqlite3.Connection, project: str, version: int | None) -> Snapshot | None:
    sql = f"SELECT {_VERSION_COLUMNS} FROM versions WHERE project = ?"
    if version is None:
        row = conn.execute(sql + " ORDER BY version DESC LIMIT 1", (project,)).fetchone()
    else:
        row = conn.execute(sql + " AND version = ?", (project, version)).fetchone()
    if row is None:
        return None
    return Snapshot(_info(row), json.loads(row[5]))


def _state(conn: sqlite3.Connection, project: str, namespace: str) -> dict[str, Any]:
    rows = conn.execute("SELECT key, value FROM state WHERE project = ? AND namespace = ?", (project, namespace))
    return {key: json.loads(value) for key, value in rows}


def _info(row: tuple[Any, ...]) -> VersionInfo:
    return VersionInfo(
        version=int(row[0]),
        created_at=datetime.fromisoformat(row[1]),
        author=row[2],
        message=row[3],
        meta=json.loads(row[4]),
    )


def _lock_file_name(project: str, name: str) -> str:
    import hashlib

    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in f"{project}__{name}")[:80]
    return f"{safe}-{hashlib.sha1(f'{project}:{name}'.encode()).hexdigest()[:8]}"
