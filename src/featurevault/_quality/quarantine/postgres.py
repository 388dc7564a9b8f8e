"""The quarantine as a table in the PostgreSQL registry's schema (``quarantine``)."""

from __future__ import annotations

import builtins
import threading
from datetime import UTC
from typing import Any

from featurevault._backends._postgres import psycopg
from featurevault._backends.registry.postgres import parse_url
from featurevault.errors import BackendError
from featurevault._quality.quarantine.base import COLUMNS, QuarantineEntry, QuarantineStore

_CREATE = """
CREATE TABLE IF NOT EXISTS {table} (
    project TEXT NOT NULL,
    id TEXT NOT NULL,
    view TEXT NOT NULL,
    rule TEXT NOT NULL,
    target TEXT NOT NULL,
    operation TEXT NOT NULL,
    run_id TEXT NOT NULL,
    principal TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    row JSONB NOT NULL,
    PRIMARY KEY (project, id)
)
"""


class PostgresQuarantine(QuarantineStore):
    def __init__(self, url: str, project: str) -> None:
        self._conninfo, self.schema, _ = parse_url(url)
        self.project = project
        self._lock = threading.Lock()
        self._conn: Any = None

    def describe(self) -> str:
        return f"postgresql table {self.schema}.quarantine"

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = psycopg.connect(self._conninfo, autocommit=True)
            except psycopg.Error as exc:
                raise BackendError(f"quarantine ({self.describe()}): cannot connect: {exc}") from None
            sql = psycopg.sql
            self._conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))
            self._conn.execute(sql.SQL(_CREATE).format(table=self._table()))
        return self._conn

    def _table(self) -> Any:
        return psycopg.sql.Identifier(self.schema, "quarantine")

    def _run(self, query: str, params: Any = (), *, many: bool = False) -> Any:
        with self._lock:
            conn = self._connection()
            try:
                statement = psycopg.sql.SQL(query).format(table=self._table())
                if many:
                    with conn.cursor() as cur, conn.transaction():
                        cur.executemany(statement, params)
                        return cur.rowcount
                return conn.execute(statement, params)
            except psycopg.Error as exc:
                raise BackendError(f"quarantine ({self.describe()}): {exc}") from None

    def add(self, entries: list[QuarantineEntry]) -> int:
        if not entries:
            return 0
        rows = [(self.project, *[getattr(e, c) for c in COLUMNS]) for e in entries]
        placeholders = ", ".join(["%s"] * (len(COLUMNS) + 1))
        before = self._count()
        self._run(
            f"INSERT INTO {{table}} (project, {', '.join(COLUMNS)}) VALUES ({placeholders}) "
            "ON CONFLICT (project, id) DO NOTHING",
            rows,
            many=True,
        )
        return self._count() - before

    def _count(self) -> int:
        return int(self._run("SELECT count(*) FROM {table} WHERE project = %s", (self.project,)).fetchone()[0])

    def list(self, view: str | None = None, limit: int | None = None) -> list[QuarantineEntry]:
        query = f"SELECT {', '.join(COLUMNS[:-1])}, row::text FROM {{table}} WHERE project = %s"
        params: list[Any] = [self.project]
        if view is not None:
            query += " AND view = %s"
            params.append(view)
        query += " ORDER BY at, id"
        if limit is not None:
            query += " LIMIT %s"
            params.append(limit)
        rows = self._run(query, params).fetchall()
        return [
            QuarantineEntry(id_, view_, rule, target, operation, run_id, principal, at.astimezone(UTC), row)
            for id_, view_, rule, target, operation, run_id, principal, at, row in rows
        ]

    def remove(self, ids: builtins.list[str]) -> int:
        if not ids:
            return 0
        cursor = self._run("DELETE FROM {table} WHERE project = %s AND id = ANY(%s)", (self.project, list(ids)))
        removed: int = cursor.rowcount
        return removed

    def drop_project(self) -> None:
        self._run("DELETE FROM {table} WHERE project = %s", (self.project,))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
