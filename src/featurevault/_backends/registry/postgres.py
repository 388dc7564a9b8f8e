"""PostgreSQL registry: numbered versions of each project's definitions, plus operational state.

``registry: {registry_type: sql, path: postgresql+psycopg://user@host:5432/db}``
(Feast's form; ``postgresql://`` works too, as do libpq parameters in the
query string). Tables live in the schema named by ``?schema=`` (default
``featurevault``) and mirror the SQLite registry: ``versions(project,
version, ...)`` keyed by (project, version), so of two racing commits of the
same number exactly one inserts and the other gets
:class:`~featurevault.errors.RegistryConflictError`; ``state(project,
namespace, key, value)``. The schema is created and upgraded by the numbered
:data:`MIGRATIONS`, applied once under an advisory lock.

An unreachable server fails at once when refused, and otherwise within
``connect_timeout`` (default 2 s, libpq's minimum), with
:class:`~featurevault.errors.RegistryUnavailableError` (a ``RegistryError``), so the registry
cache can keep serving its last good copy instead of hanging. A server that stops
answering mid-call fails a read after ``registry.read_timeout_seconds`` (default 2 s)
and a write after :data:`WRITE_TIMEOUT_SECONDS`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from featurevault._backends._postgres import Deadline, connection_error, psycopg
from featurevault._backends.registry.base import Current, MetricPoint, Registry, Snapshot, VersionInfo
from featurevault.errors import (
    BackendUnavailableError,
    RegistryConflictError,
    RegistryError,
    RegistryUnavailableError,
    one_line,
)

logger = logging.getLogger(__name__)

SETTINGS = {
    "host": "registry.path (host/port)",
    "password": "registry.path (password)",
    "database": "registry.path (database)",
    "user": "registry.path (user)",
    "sslmode": "registry.path (sslmode)",
}

#: (number, statements): append only; a released migration is never edited
MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE versions (
            project TEXT NOT NULL,
            version INTEGER NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            author TEXT NOT NULL,
            message TEXT NOT NULL,
            meta JSON NOT NULL,
            contents JSON NOT NULL,
            PRIMARY KEY (project, version)
        );
        CREATE TABLE state (
            project TEXT NOT NULL,
            namespace TEXT NOT NULL,
            key TEXT NOT NULL,
            value JSON NOT NULL,
            PRIMARY KEY (project, namespace, key)
        );
        """,
    ),
    (
        2,
        """
        CREATE TABLE metrics (
            project TEXT NOT NULL,
            view TEXT NOT NULL,
            feature TEXT NOT NULL,
            metric TEXT NOT NULL,
            at TIMESTAMPTZ NOT NULL,
            value DOUBLE PRECISION NOT NULL
        );
        CREATE INDEX metrics_by_view_metric_time ON metrics (project, view, metric, at);
        """,
    ),
]

WRITE_TIMEOUT_SECONDS = 10.0
_STATEMENT_TIMEOUT_MS = int(WRITE_TIMEOUT_SECONDS * 1000)
_VERSION_COLUMNS = "version, created_at, author, message, meta::text, contents::text"


def parse_url(url: str) -> tuple[str, str, int]:
    """(libpq URI, schema, connect timeout) from a registry path."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgresql", "postgres"):
        raise RegistryError(f"registry.path {url!r}: expected postgresql://user@host:port/database")
    query = dict(parse_qsl(parts.query))
    schema = query.pop("schema", "featurevault")
    timeout = int(query.setdefault("connect_timeout", "2"))
    query.setdefault("application_name", "featurevault-registry")
    return urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(query), "")), schema, timeout


class Store(Registry):
    """The registry in a PostgreSQL schema."""

    type_name = "sql"

    def __init__(self, url: str, read_timeout: float = 2.0) -> None:
        self._conninfo, self.schema, self.connect_timeout = parse_url(url)
        self.read_timeout = read_timeout
        self._kwargs: dict[str, Any] = {"options": f"-c statement_timeout={_STATEMENT_TIMEOUT_MS}"}
        self._where = f"postgres registry {_redact(url)} schema {self.schema}"
        # one connection, one operation at a time: registry calls are rare (the cache absorbs reads),
        # and connecting directly reports a refused or misconfigured server at once, without a pool's retries
        self._connection: Any = None
        self._lock = threading.Lock()
        self._migrated = False

    @classmethod
    def from_config(cls, config: Any, *, resolve: Callable[[str], Path]) -> Store:
        return cls(config.path, read_timeout=config.read_timeout_seconds)

    # -- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _conn(self, timeout: float | None = None) -> Iterator[Any]:
        """The connection, migrated and held for one operation; failures become RegistryError.

        ``timeout`` bounds a read (the socket is shut down when it passes), and its wait for
        the connection while another call holds it; writes get the statement timeout plus a second.
        """
        if not self._lock.acquire(timeout=-1 if timeout is None else timeout):
            raise RegistryUnavailableError(
                f"{self._where}: the connection stayed busy with another call for {timeout:g}s "
                "(registry.read_timeout_seconds)"
            )
        try:
            yield from self._held(timeout)
        finally:
            self._lock.release()

    def _held(self, timeout: float | None) -> Iterator[Any]:
        conn = self._connect()
        read = timeout is not None and self._migrated  # a first call migrates: a write
        deadline = Deadline(conn, timeout if timeout is not None and read else WRITE_TIMEOUT_SECONDS + 1)
        try:
            with deadline:
                if not self._migrated:
                    self._migrate(conn)
                yield conn
        except RegistryConflictError:
            raise
        except psycopg.OperationalError as exc:
            self._drop_connection()
            if deadline.fired:
                raise RegistryUnavailableError(
                    f"{self._where}: no answer within {deadline.seconds:g}s"
                    + (" (registry.read_timeout_seconds)" if read else "")
                ) from None
            raise RegistryUnavailableError(f"{self._where}: server unreachable: {one_line(exc)}") from None
        except psycopg.Error as exc:
            raise RegistryError(f"{self._where}: {one_line(exc)}") from None

    def _connect(self) -> Any:
        if self._connection is not None and not self._connection.closed and not self._connection.broken:
            return self._connection
        self._drop_connection()
        try:
            self._connection = psycopg.connect(self._conninfo, autocommit=True, **self._kwargs)
        except psycopg.Error as exc:
            error = connection_error(exc, where=self._where, settings=SETTINGS)
            kind = RegistryUnavailableError if isinstance(error, BackendUnavailableError) else RegistryError
            raise kind(str(error)) from None
        return self._connection

    def _drop_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = None

    def try_lock(self, project: str, name: str) -> Callable[[], None] | None:
        """A session-level advisory lock on a connection of its own; released when the holder disconnects."""
        key = int.from_bytes(
            hashlib.sha256(f"{self.schema}:{project}:{name}".encode()).digest()[:8], "big", signed=True
        )
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True, **self._kwargs)
        except psycopg.Error as exc:
            raise connection_error(exc, where=self._where, settings=SETTINGS) from None
        locked = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        if locked is None or not locked[0]:
            conn.close()
            return None

        def release() -> None:
            try:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
            finally:
                conn.close()

        return release

    def _table(self, name: str) -> Any:
        return psycopg.sql.Identifier(self.schema, name)

    def _migrate(self, conn: Any) -> None:
        schema = psycopg.sql.Identifier(self.schema)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"featurevault-registry:{self.schema}",))
            conn.execute(psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
            conn.execute(
                psycopg.sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)"
                ).format(self._table("schema_migrations"))
            )
            done = {
                v
                for (v,) in conn.execute(
                    psycopg.sql.SQL("SELECT version FROM {}").format(self._table("schema_migrations"))
                )
            }
            conn.execute(psycopg.sql.SQL("SET LOCAL search_path TO {}").format(schema))
            for number, statements in MIGRATIONS:
                if number in done:
                    continue
                logger.info("%s: applying schema migration %d", self._where, number)
                conn.execute(statements)
                conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (%s, now())", (number,))
        self._migrated = True

    # -- versions ---------------------------------------------------------------------------

    def latest_version(self, project: str) -> int:
        with self._conn(self.read_timeout) as conn:
            return self._latest(conn, project)

    def load(self, project: str, version: int | None = None) -> Snapshot | None:
        with self._conn(self.read_timeout) as conn:
            return self._load(conn, project, version)

    def read_current(
        self, project: str, *, known_version: int | None = None, namespaces: tuple[str, ...] = ()
    ) -> Current:
        with self._conn(self.read_timeout) as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            latest = self._latest(conn, project)
            snapshot = self._load(conn, project, latest) if latest and latest != known_version else None
            return Current(latest, snapshot, {ns: self._state(conn, project, ns) for ns in namespaces})

    def _latest(self, conn: Any, project: str) -> int:
        query = psycopg.sql.SQL("SELECT COALESCE(MAX(version), 0) FROM {} WHERE project = %s")
        return int(conn.execute(query.format(self._table("versions")), (project,)).fetchone()[0])

    def _load(self, conn: Any, project: str, version: int | None) -> Snapshot | None:
        if version is None:
            sql = f"SELECT {_VERSION_COLUMNS} FROM {{}} WHERE project = %s ORDER BY version DESC LIMIT 1"
            params: tuple[Any, ...] = (project,)
        else:
            sql = f"SELECT {_VERSION_COLUMNS} FROM {{}} WHERE project = %s AND version = %s"
            params = (project, version)
        row = conn.execute(psycopg.sql.SQL(sql).format(self._table("versions")), params).fetchone()
        if row is None:
            return None
        return Snapshot(info=_info(row[:5]), contents=json.loads(row[5]))

    def _state(self, conn: Any, project: str, namespace: str) -> dict[str, Any]:
        query = psycopg.sql.SQL("SELECT key, value::text FROM {} WHERE project = %s AND namespace = %s")
        rows = conn.execute(query.format(self._table("state")), (project, namespace)).fetchall()
        return {key: json.loads(value) for key, value in rows}

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
        new = expected_version + 1
        versions = self._table("versions")
        with self._conn() as conn:
            try:
                with conn.transaction():
                    latest = conn.execute(
                        psycopg.sql.SQL("SELECT COALESCE(MAX(version), 0) FROM {} WHERE project = %s").format(versions),
                        (project,),
                    ).fetchone()[0]
                    if latest != expected_version:
                        raise _conflict(project, expected_version, latest)
                    conn.execute(
                        psycopg.sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s, %s)").format(versions),
                        (
                            project,
                            new,
                            datetime.now(timezone.utc),
                            author,
                            message,
                            json.dumps(meta or {}),
                            json.dumps(contents, sort_keys=True),
                        ),
                    )
            except psycopg.errors.UniqueViolation:
                raise _conflict(project, expected_version, None) from None
        return new

    def history(self, project: str, limit: int | None = None) -> list[VersionInfo]:
        query = psycopg.sql.SQL(
            "SELECT version, created_at, author, message, meta::text FROM {} WHERE project = %s "
            "ORDER BY version DESC LIMIT %s"
        ).format(self._table("versions"))
        with self._conn(self.read_timeout) as conn:
            rows = conn.execute(query, (project, limit)).fetchall()
        return [_info(row) for row in rows]

    # -- state ------------------------------------------------------------------------------

    def get_state(self, project: str, namespace: str) -> dict[str, Any]:
        with self._conn(self.read_timeout) as conn:
            return self._state(conn, project, namespace)

    def set_state(self, project: str, namespace: str, key: str, value: Any) -> None:
        state = self._table("state")
        with self._conn() as conn:
            if value is None:
                conn.execute(
                    psycopg.sql.SQL("DELETE FROM {} WHERE project = %s AND namespace = %s AND key = %s").format(state),
                    (project, namespace, key),
                )
                return
            conn.execute(
                psycopg.sql.SQL(
                    "INSERT INTO {} VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (project, namespace, key) DO UPDATE SET value = EXCLUDED.value"
                ).format(state),
                (project, namespace, key, json.dumps(value)),
            )

    def record_metrics(self, project: str, points: list[MetricPoint]) -> None:
        rows = [(project, p.view, p.feature, p.metric, _aware(p.at), float(p.value)) for p in points]
        insert = psycopg.sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s)").format(self._table("metrics"))
        with self._conn() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(insert, rows)

    def metrics(
        self, project: str, *, view: str | None = None, metric: str | None = None, since: datetime | None = None
    ) -> list[MetricPoint]:
        sql = "SELECT view, feature, metric, at, value FROM {} WHERE project = %s"
        params: list[Any] = [project]
        for column, value in (("view", view), ("metric", metric)):
            if value is not None:
                sql += f" AND {column} = %s"
                params.append(value)
        if since is not None:
            sql += " AND at >= %s"
            params.append(_aware(since))
        query = psycopg.sql.SQL(sql + " ORDER BY at, view, metric, feature").format(self._table("metrics"))
        with self._conn() as conn:
            rows = conn.execute(query, params).fetchall()
        return [MetricPoint(v, f, m, at.astimezone(timezone.utc), value) for v, f, m, at, value in rows]

    def delete_project(self, project: str) -> None:
        with self._conn() as conn, conn.transaction():
            for table in ("versions", "state", "metrics"):
                conn.execute(
                    psycopg.sql.SQL("DELETE FROM {} WHERE project = %s").format(self._table(table)), (project,)
                )

    def close(self) -> None:
        with self._lock:
            self._drop_connection()

    def describe(self) -> str:
        return self._where


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _info(row: tuple[Any, ...]) -> VersionInfo:
    version, created_at, author, message, meta = row
    return VersionInfo(version=version, created_at=created_at, author=author, message=message, meta=json.loads(meta))


def _conflict(project: str, expected: int, latest: int | None) -> RegistryConflictError:
    found = f"version {latest}" if latest is not None else f"a commit of version {expected + 1}"
    return RegistryConflictError(
        f"registry of project {project!r} changed: planned against version {expected} but found {found}; "
        "re-plan and apply again"
    )


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))
