"""PostgreSQL online store: one table of (key BYTEA PRIMARY KEY, record BYTEA) per feature view.

Reads fetch every key in one ``= ANY(%s)`` statement on an autocommit pooled
connection, under a statement timeout and a client-side deadline. Writes copy
the records (binary COPY) into a temporary staging table and upsert them with
one ``INSERT ... ON CONFLICT``, in one transaction, so a reader sees either
the old or the new record of a key. A catalog table in ``db_schema`` maps
each (project, feature view) to its PostgreSQL table, whose name must fit in
63 bytes.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from featurevault._backends._postgres import (
    Deadline,
    is_connection_lost,
    make_pool,
    pooled,
    psycopg,
)
from featurevault._backends.online.base import Maintainable, OnlineStore
from featurevault._config import StrictModel
from featurevault.errors import BackendError, BackendUnavailableError, one_line

logger = logging.getLogger(__name__)

CATALOG = "featurevault_online_tables"
# a table or schema dropped by another client since this one created it, or a lock cycle: redo once
_REDO_WRITE = (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName, psycopg.errors.DeadlockDetected)


class Config(StrictModel):
    """``online_store: {type: postgres, host, port, database, user, password, sslmode, db_schema}``."""

    #: the store type
    type: Literal["postgres"] = "postgres"
    #: server host
    host: str = "localhost"
    #: server port
    port: int = 5432
    #: database name
    database: str = "postgres"
    #: user name
    user: str = "postgres"
    #: password (`${VAR}` keeps it out of the file)
    password: str | None = None
    #: libpq sslmode (`require`, `verify-full`, ...); none: libpq default
    sslmode: str | None = None
    #: client key file
    sslkey_path: str | None = None
    #: client certificate file
    sslcert_path: str | None = None
    #: CA certificate file
    sslrootcert_path: str | None = None
    #: the schema holding the feature tables
    db_schema: str = "public"
    #: connections the pool keeps open
    min_conn: int = Field(default=1, ge=0)
    #: connections the pool opens at most
    max_conn: int = Field(default=4, ge=1)
    #: opening a connection fails after this
    connect_timeout_seconds: float = Field(default=1.0, gt=0)
    #: statement timeout of reads (and the client-side deadline just past it): a read serves a request
    read_timeout_seconds: float = Field(default=0.5, gt=0)
    #: statement and lock timeout of writes, table creation and drops: one batch of a materialization
    write_timeout_seconds: float = Field(default=30.0, gt=0)


SETTINGS = {
    "host": "online_store.host/port",
    "password": "online_store.password",
    "database": "online_store.database",
    "user": "online_store.user",
    "sslmode": "online_store.sslmode",
}


def connection_kwargs(config: Config) -> dict[str, Any]:
    """libpq keyword arguments for ``config`` (None values are left to libpq's defaults)."""
    kwargs = {
        "host": config.host,
        "port": config.port,
        "dbname": config.database,
        "user": config.user,
        "password": config.password,
        "sslmode": config.sslmode,
        "sslkey": config.sslkey_path,
        "sslcert": config.sslcert_path,
        "sslrootcert": config.sslrootcert_path,
        "connect_timeout": max(2, int(config.connect_timeout_seconds + 0.999)),
        "application_name": "featurevault-online",
        "options": f"-c statement_timeout={int(config.read_timeout_seconds * 1000)}",
    }
    return {k: v for k, v in kwargs.items() if v is not None}


def table_name(project: str, table: str) -> str:
    """The PostgreSQL table of a feature view; long names are shortened with a hash."""
    name = f"{project}__{table}"
    if len(name.encode()) <= 63:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:12]
    return f"{name.encode()[:50].decode(errors='ignore')}_{digest}"


class Store(OnlineStore, Maintainable):
    """Records of one project in PostgreSQL tables under ``db_schema``."""

    type_name = "postgres"

    def __init__(self, config: Config, project: str) -> None:
        self.config = config
        self.project = project
        self._kwargs = connection_kwargs(config)
        self._pool = make_pool(
            "",
            self._kwargs,
            min_size=min(config.min_conn, config.max_conn),
            max_size=config.max_conn,
            name=f"featurevault-online-{project}",
        )
        self._ready: set[str] = set()  # tables known to exist

    @classmethod
    def from_config(cls, config: Any, *, project: str, resolve: Callable[[str], Path]) -> Store:
        return cls(config if isinstance(config, Config) else Config.model_validate(config), project)

    # -- helpers ----------------------------------------------------------------------------

    def _qualified(self, table: str) -> Any:
        return psycopg.sql.Identifier(self.config.db_schema, table_name(self.project, table))

    def _connection(self) -> Any:
        return pooled(
            self._pool,
            timeout=self.config.connect_timeout_seconds,
            conninfo="",
            kwargs=self._kwargs,
            where=self.describe(),
            settings=SETTINGS,
        )

    def _failure(self, exc: Exception, deadline: Deadline, action: str, timeout_key: str) -> BackendError:
        if deadline.fired or isinstance(exc, (psycopg.errors.QueryCanceled, psycopg.errors.LockNotAvailable)):
            return BackendUnavailableError(
                f"{self.describe()}: {action} timed out after {getattr(self.config, timeout_key):g}s "
                f"(online_store.{timeout_key})"
            )
        if isinstance(exc, psycopg.OperationalError):
            return BackendUnavailableError(f"{self.describe()}: {action} failed, server unreachable: {one_line(exc)}")
        return BackendError(f"{self.describe()}: {action} failed: {one_line(exc)}")

    # -- reads ------------------------------------------------------------------------------

    def read(self, table: str, keys: Sequence[bytes]) -> list[bytes | None]:
        if not keys:
            return []
        query = psycopg.sql.SQL("SELECT key, record FROM {} WHERE key = ANY(%s)").format(self._qualified(table))
        try:
            found = self._select(query, keys, may_retry=True)
        except _ConnectionLost:
            # the server dropped a connection (restart, kill): its idle siblings are likely dead too,
            # so check the pool, then try once more (reads are idempotent)
            logger.info("%s: connection lost, checking the pool and retrying the read once", self.describe())
            self._check_pool()
            found = self._select(query, keys, may_retry=False)
        if found is None:
            return [None] * len(keys)
        return [found.get(k) for k in keys]

    def _select(self, query: Any, keys: Sequence[bytes], *, may_retry: bool) -> dict[bytes, bytes] | None:
        """key -> record of the keys found; None when the table does not exist."""
        with self._connection() as conn:
            # a little past the server's statement timeout, which cancels cleanly and keeps the connection
            deadline = Deadline(conn, self.config.read_timeout_seconds * 1.2 + 0.05)
            try:
                with deadline, conn.cursor(binary=True) as cur:
                    cur.execute(query, (list(keys),), prepare=True)
                    return dict(cur.fetchall())
            except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
                return None
            except psycopg.Error as exc:
                if may_retry and not deadline.fired and is_connection_lost(exc, conn):
                    raise _ConnectionLost from None
                raise self._failure(exc, deadline, "read", "read_timeout_seconds") from None

    def _check_pool(self) -> None:
        try:
            self._pool.check()
        except psycopg.Error:  # the server is really gone: the retry reports it
            logger.debug("pool check failed", exc_info=True)

    # -- writes -----------------------------------------------------------------------------

    def write(self, table: str, keys: Sequence[bytes], records: Sequence[bytes]) -> None:
        self.check_aligned(table, keys, records)
        if not keys:
            return
        latest = dict(zip(keys, records))  # the last record of a key wins, as with repeated SETs
        try:
            self._write_once(table, latest)
        except _REDO_WRITE:
            self._ready.discard(table)
            try:
                self._write_once(table, latest)
            except _REDO_WRITE as exc:
                raise BackendError(f"{self.describe()}: write to {table!r} failed twice: {one_line(exc)}") from None

    def _write_deadline(self, conn: Any) -> Deadline:
        # a little past the server's statement timeout, which cancels cleanly and keeps the connection
        return Deadline(conn, self.config.write_timeout_seconds * 1.1 + 1.0)

    def _write_limits(self, conn: Any) -> None:
        """Inside a transaction: its statements and lock waits end after ``write_timeout_seconds``.

        Connections carry the read timeout by default; writes, creations and drops need their own.
        """
        timeout_ms = int(self.config.write_timeout_seconds * 1000)
        conn.execute(f"SET LOCAL statement_timeout = {timeout_ms}; SET LOCAL lock_timeout = {timeout_ms}")

    def _write_once(self, table: str, latest: dict[bytes, bytes]) -> None:
        target = self._qualified(table)
        with self._connection() as conn:
            deadline = self._write_deadline(conn)
            try:
                with deadline:
                    if table not in self._ready:
                        self._create(conn, table)
                    with conn.transaction(), conn.cursor() as cur:
                        self._stage(cur, latest)
                        cur.execute(
                            psycopg.sql.SQL(
                                "INSERT INTO {} (key, record) SELECT key, record FROM pg_temp.featurevault_stage "
                                "ORDER BY key ON CONFLICT (key) DO UPDATE SET record = EXCLUDED.record"
                            ).format(target)
                        )
            except _REDO_WRITE:
                raise
            except psycopg.Error as exc:
                raise self._failure(exc, deadline, "write", "write_timeout_seconds") from None

    def _stage(self, cur: Any, latest: dict[bytes, bytes]) -> None:
        self._write_limits(cur)
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS featurevault_stage (key BYTEA, record BYTEA) ON COMMIT DELETE ROWS"
        )
        with cur.copy("COPY pg_temp.featurevault_stage (key, record) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["bytea", "bytea"])
            for row in latest.items():
                copy.write_row(row)

    def _create(self, conn: Any, table: str) -> None:
        schema = psycopg.sql.Identifier(self.config.db_schema)
        catalog = psycopg.sql.Identifier(self.config.db_schema, CATALOG)
        with conn.transaction():
            self._write_limits(conn)
            # concurrent first writers: serialise creation on a lock named after the schema
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"featurevault:{self.config.db_schema}",))
            conn.execute(psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
            conn.execute(
                psycopg.sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (project TEXT, name TEXT, pg_table TEXT NOT NULL, "
                    "PRIMARY KEY (project, name))"
                ).format(catalog)
            )
            conn.execute(
                psycopg.sql.SQL("CREATE TABLE IF NOT EXISTS {} (key BYTEA PRIMARY KEY, record BYTEA NOT NULL)").format(
                    self._qualified(table)
                )
            )
            conn.execute(
                psycopg.sql.SQL("INSERT INTO {} VALUES (%s, %s, %s) ON CONFLICT DO NOTHING").format(catalog),
                (self.project, table, table_name(self.project, table)),
            )
        self._ready.add(table)

    # -- tables -----------------------------------------------------------------------------

    def tables(self) -> list[str]:
        catalog = psycopg.sql.Identifier(self.config.db_schema, CATALOG)
        query = psycopg.sql.SQL(
            "SELECT c.name FROM {} c WHERE c.project = %s AND to_regclass(quote_ident(%s) || '.' || "
            "quote_ident(c.pg_table)) IS NOT NULL ORDER BY c.name"
        ).format(catalog)
        with self._connection() as conn:
            deadline = Deadline(conn, self.config.read_timeout_seconds * 4)
            try:
                with deadline:
                    rows = conn.execute(query, (self.project, self.config.db_schema)).fetchall()
            except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
                return []
            except psycopg.Error as exc:
                raise self._failure(exc, deadline, "listing tables", "read_timeout_seconds") from None
        return [name for (name,) in rows]

    def drop(self, table: str) -> None:
        catalog = psycopg.sql.Identifier(self.config.db_schema, CATALOG)
        with self._connection() as conn:
            deadline = self._write_deadline(conn)
            try:
                with deadline, conn.transaction():
                    self._write_limits(conn)
                    conn.execute(psycopg.sql.SQL("DROP TABLE IF EXISTS {}").format(self._qualified(table)))
                    if conn.execute("SELECT to_regclass(%s)", (f'"{self.config.db_schema}".{CATALOG}',)).fetchone()[0]:
                        conn.execute(
                            psycopg.sql.SQL("DELETE FROM {} WHERE project = %s AND name = %s").format(catalog),
                            (self.project, table),
                        )
            except psycopg.errors.InvalidSchemaName:
                return
            except psycopg.Error as exc:
                raise self._failure(exc, deadline, f"dropping {table!r}", "write_timeout_seconds") from None
        self._ready.discard(table)

    # -- maintenance (backups, rebuilds, erasure) -------------------------------------------

    def scan(self, table: str, batch_size: int = 10_000) -> Iterator[tuple[list[bytes], list[bytes]]]:
        """A binary COPY out of one REPEATABLE READ transaction: the batches are one consistent snapshot."""
        query = psycopg.sql.SQL("COPY {} (key, record) TO STDOUT (FORMAT BINARY)").format(self._qualified(table))
        with self._connection() as conn:
            try:
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    # one COPY lasts as long as the consumer takes to store the whole table (a backup
                    # of millions of records): no statement timeout, unlike a read serving a request
                    cur.execute("SET LOCAL statement_timeout = 0")
                    with cur.copy(query) as copy:
                        copy.set_types(["bytea", "bytea"])
                        keys: list[bytes] = []
                        records: list[bytes] = []
                        for key, record in copy.rows():
                            keys.append(key)
                            records.append(record)
                            if len(keys) >= batch_size:
                                yield keys, records
                                keys, records = [], []
                        if keys:
                            yield keys, records
            except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
                return
            except psycopg.Error as exc:
                raise BackendError(f"{self.describe()}: scan of {table!r} failed: {one_line(exc)}") from None

    def delete(self, table: str, keys: Sequence[bytes]) -> int:
        if not keys:
            return 0
        query = psycopg.sql.SQL("DELETE FROM {} WHERE key = ANY(%s)").format(self._qualified(table))
        with self._connection() as conn:
            try:
                with conn.transaction():
                    deleted: int = conn.execute(query, (list(keys),)).rowcount
                    return deleted
            except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName):
                return 0
            except psycopg.Error as exc:
                raise BackendError(f"{self.describe()}: delete from {table!r} failed: {one_line(exc)}") from None

    def load_fresh(self, table: str, keys: Sequence[bytes], records: Sequence[bytes]) -> None:
        """Binary COPY straight into the table (no staging, no upsert): the keys are new and distinct."""
        self.check_aligned(table, keys, records)
        if table not in self._ready:
            with self._connection() as conn:
                self._create(conn, table)
        query = psycopg.sql.SQL("COPY {} (key, record) FROM STDIN (FORMAT BINARY)").format(self._qualified(table))
        with self._connection() as conn:
            try:
                with conn.transaction(), conn.cursor() as cur:
                    # one COPY lasts as long as the consumer takes to store the whole table (a backup
                    # of millions of records): no statement timeout, unlike a read serving a request
                    cur.execute("SET LOCAL statement_timeout = 0")
                    with cur.copy(query) as copy:
                        copy.set_types(["bytea", "bytea"])
                        for row in zip(keys, records):
                            copy.write_row(row)
            except psycopg.Error as exc:
                raise BackendError(f"{self.describe()}: load into {table!r} failed: {one_line(exc)}") from None

    def swap_in(self, staging: str, table: str) -> None:
        """Drop the old table and rename the staging one in a single transaction."""
        catalog = psycopg.sql.Identifier(self.config.db_schema, CATALOG)
        target = psycopg.sql.Identifier(table_name(self.project, table))
        with self._connection() as conn:
            try:
                with conn.transaction():
                    conn.execute(psycopg.sql.SQL("DROP TABLE IF EXISTS {}").format(self._qualified(table)))
                    conn.execute(
                        psycopg.sql.SQL("ALTER TABLE {} RENAME TO {}").format(self._qualified(staging), target)
                    )
                    conn.execute(
                        psycopg.sql.SQL("DELETE FROM {} WHERE project = %s AND name = %s").format(catalog),
                        (self.project, staging),
                    )
                    conn.execute(
                        psycopg.sql.SQL("INSERT INTO {} VALUES (%s, %s, %s) ON CONFLICT DO NOTHING").format(catalog),
                        (self.project, table, table_name(self.project, table)),
                    )
            except psycopg.Error as exc:
                raise BackendError(
                    f"{self.describe()}: swap of {staging!r} into {table!r} failed: {one_line(exc)}"
                ) from None
        self._ready.discard(staging)
        self._ready.add(table)

    def ping(self) -> None:
        try:
            self._ping(may_retry=True)
        except _ConnectionLost:
            # a pooled connection the server had closed: check the pool, then ask once more
            self._check_pool()
            self._ping(may_retry=False)

    def _ping(self, *, may_retry: bool) -> None:
        with self._connection() as conn:
            deadline = Deadline(conn, self.config.read_timeout_seconds)
            try:
                with deadline:
                    conn.execute("SELECT 1")
            except psycopg.Error as exc:
                if may_retry and not deadline.fired and is_connection_lost(exc, conn):
                    raise _ConnectionLost from None
                raise self._failure(exc, deadline, "ping", "read_timeout_seconds") from None

    def close(self) -> None:
        self._pool.close()

    def describe(self) -> str:
        c = self.config
        return f"postgres online store {c.user}@{c.host}:{c.port}/{c.database} schema {c.db_schema}"


class _ConnectionLost(Exception):
    """A pooled connection turned out dead before the statement ran."""
