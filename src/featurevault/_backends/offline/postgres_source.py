"""Reading a PostgreSQL source (its :class:`~featurevault._backends.offline.specs.SourceSpec`) into Arrow, in chunks, through psycopg.

The offline engine (DuckDB) cannot load its postgres extension on machines
without internet access, so it reads PostgreSQL sources through this module:
a server-side cursor streams the rows, and each chunk becomes one Arrow
record batch typed from the PostgreSQL column types. Filters the engine can
push down (an event-time window) go into ``where_sql`` with psycopg ``%s``
placeholders, so only the needed rows leave the server.

Where the server is, in order: the source's ``connection_string`` (``${VAR}``
expanded from the environment at read time), the ``connection`` the engine
passes (its config's ``postgres:`` section, a :class:`PostgresConnection`),
then libpq's own environment (``PGHOST``, ``PGUSER``, ``PGPASSWORD``, ...).
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa
from pydantic import Field

from featurevault._config import StrictModel
from featurevault.errors import ConfigError, DataSourceError, one_line
from featurevault._backends.offline.specs import SourceSpec

logger = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 100_000
#: statement timeout of source reads: a materialization or training query may scan a large table
DEFAULT_STATEMENT_TIMEOUT_SECONDS = 600.0


class PostgresConnection(StrictModel):
    """Where PostgreSQL sources live, for an offline store config's ``postgres:`` section."""

    #: server host; none: libpq's PGHOST
    host: str | None = None
    #: server port; none: PGPORT or 5432
    port: int | None = None
    #: database; none: PGDATABASE
    database: str | None = None
    #: user; none: PGUSER
    user: str | None = None
    #: password; none: PGPASSWORD (`${VAR}` keeps it out of the file)
    password: str | None = None
    #: libpq sslmode; none: PGSSLMODE
    sslmode: str | None = None
    #: opening a connection fails after this
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    #: each statement (the query, each fetch of a batch) is cancelled by the server after this
    statement_timeout_seconds: float = Field(default=DEFAULT_STATEMENT_TIMEOUT_SECONDS, gt=0)

    def kwargs(self) -> dict[str, Any]:
        values = {
            "host": self.host,
            "port": self.port,
            "dbname": self.database,
            "user": self.user,
            "password": self.password,
            "sslmode": self.sslmode,
            "connect_timeout": max(2, int(self.connect_timeout_seconds + 0.999)),
        }
        return {k: v for k, v in values.items() if v is not None}


# PostgreSQL type OID -> Arrow type; anything else is inferred from the values
_ARROW_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(),
    17: pa.binary(),
    20: pa.int64(),
    21: pa.int32(),
    23: pa.int32(),
    25: pa.string(),
    114: pa.string(),
    700: pa.float32(),
    701: pa.float64(),
    1042: pa.string(),
    1043: pa.string(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
    1700: pa.float64(),
    2950: pa.string(),
    3802: pa.string(),
    1000: pa.list_(pa.bool_()),
    1005: pa.list_(pa.int32()),
    1007: pa.list_(pa.int32()),
    1016: pa.list_(pa.int64()),
    1021: pa.list_(pa.float32()),
    1022: pa.list_(pa.float64()),
    1009: pa.list_(pa.string()),
    1015: pa.list_(pa.string()),
    1001: pa.list_(pa.binary()),
    1185: pa.list_(pa.timestamp("us", tz="UTC")),
}
_NUMERIC = 1700
_AS_TEXT = ("json", "jsonb", "uuid", "numeric")  # loaded as text, then cast (numeric) or kept (json, uuid)


def read_postgres_source(
    source: SourceSpec,
    columns: Sequence[str] | None = None,
    where_sql: str = "",
    params: Sequence[Any] = (),
    *,
    connection: PostgresConnection | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> pa.RecordBatchReader:
    """Stream ``SELECT columns FROM source WHERE where_sql`` as Arrow record batches.

    ``columns`` are the source's own column names (before its field
    mapping), all when None. ``where_sql`` is a SQL condition over those
    columns with ``%s`` placeholders bound to ``params``.
    """
    psycopg = _psycopg()
    query = _select(psycopg, source, columns, where_sql)
    conn = _connect(psycopg, source, connection)
    cursor = conn.cursor(name=f"featurevault_{source.name}"[:63])
    try:
        cursor.itersize = batch_rows
        cursor.execute(query, tuple(params))
        batches = _Batches(psycopg, source, conn, cursor, batch_rows)
    except psycopg.Error as exc:
        _close_quietly(psycopg, conn, cursor)
        raise _read_error(psycopg, source, exc) from None
    return pa.RecordBatchReader.from_batches(batches.schema, batches)


def postgres_source_schema(source: SourceSpec, *, connection: PostgresConnection | None = None) -> pa.Schema:
    """The columns of a source (source names, before field mapping), without reading rows."""
    psycopg = _psycopg()
    conn = _connect(psycopg, source, connection)
    try:
        with conn.cursor() as cursor:
            cursor.execute(psycopg.sql.SQL("{} LIMIT 0").format(_select(psycopg, source, None, "")))
            return _schema(cursor.description)
    except psycopg.Error as exc:
        raise _read_error(psycopg, source, exc) from None
    finally:
        conn.close()


def _read_error(psycopg: Any, source: SourceSpec, exc: Exception) -> DataSourceError:
    hint = ""
    if isinstance(exc, psycopg.errors.QueryCanceled):
        hint = " (offline_store.postgres.statement_timeout_seconds)"
    return DataSourceError(f"postgres source {source.name!r}: {one_line(exc)}{hint}")


def _close_quietly(psycopg: Any, conn: Any, cursor: Any) -> None:
    try:
        cursor.close()
    except psycopg.Error:
        pass
    conn.close()


def _psycopg() -> Any:
    from featurevault._backends._postgres import psycopg  # raises the install hint when missing

    return psycopg


def _select(psycopg: Any, source: SourceSpec, columns: Sequence[str] | None, where_sql: str) -> Any:
    sql = psycopg.sql
    if source.table:
        relation = sql.Identifier(*source.table.split("."))
    else:
        relation = sql.SQL("({}) AS featurevault_source").format(sql.SQL(source.query.strip().rstrip(";")))
    selected = sql.SQL(", ").join(sql.Identifier(c) for c in columns) if columns else sql.SQL("*")
    query = sql.SQL("SELECT {} FROM {}").format(selected, relation)
    if where_sql:
        query = sql.SQL("{} WHERE {}").format(query, sql.SQL(where_sql))
    return query


def _connect(psycopg: Any, source: SourceSpec, connection: PostgresConnection | None) -> Any:
    conninfo = _expand(source) if source.connection_string else ""
    kwargs = {} if conninfo or connection is None else connection.kwargs()
    kwargs.setdefault("connect_timeout", 10)
    timeout = connection.statement_timeout_seconds if connection else DEFAULT_STATEMENT_TIMEOUT_SECONDS
    options = f"-c TimeZone=UTC -c statement_timeout={int(timeout * 1000)}"
    try:
        conn = psycopg.connect(conninfo, application_name="featurevault-offline", options=options, **kwargs)
    except psycopg.Error as exc:
        where = "its connection_string" if conninfo else "offline_store.postgres (or PG* environment variables)"
        raise DataSourceError(f"postgres source {source.name!r}: cannot connect ({where}): {one_line(exc)}") from None
    for name in _AS_TEXT:
        conn.adapters.register_loader(name, psycopg.types.string.TextLoader)
    return conn


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand(source: SourceSpec) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConfigError(
                f"postgres source {source.name!r}: environment variable {name} (used in connection_string) is not set"
            )
        return os.environ[name]

    return _ENV.sub(value, source.connection_string)


def _schema(description: Any) -> pa.Schema:
    """Arrow types from the PostgreSQL column types; unmapped types arrive as text."""
    return pa.schema([pa.field(col.name, _ARROW_TYPES.get(col.type_code, pa.string())) for col in description])


class _Batches:
    """The record batches of an open server-side cursor; closing it (or dropping it) frees the connection."""

    def __init__(self, psycopg: Any, source: SourceSpec, conn: Any, cursor: Any, batch_rows: int) -> None:
        self.psycopg, self.source, self.conn, self.cursor, self.batch_rows = psycopg, source, conn, cursor, batch_rows
        self.schema = _schema(cursor.description)
        self.text_columns = [c.type_code not in _ARROW_TYPES or c.type_code == _NUMERIC for c in cursor.description]

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        try:
            while rows := self.cursor.fetchmany(self.batch_rows):
                yield _to_batch(rows, self.schema, self.text_columns)
        except self.psycopg.Error as exc:
            raise _read_error(self.psycopg, self.source, exc) from None
        finally:
            self.close()

    def close(self) -> None:
        if self.conn.closed:
            return
        try:
            self.cursor.close()
        except self.psycopg.Error:  # the connection is gone; closing it below is all that is left
            pass
        self.conn.close()

    def __del__(self) -> None:
        self.close()


def _to_batch(rows: list[tuple[Any, ...]], schema: pa.Schema, text_columns: list[bool]) -> pa.RecordBatch:
    arrays = []
    for column, values, as_text in zip(schema, zip(*rows), text_columns):
        if as_text:  # numeric arrives as text and is cast; unmapped types are kept as their text form
            text = pa.array([None if v is None else str(v) for v in values], pa.string())
            arrays.append(text.cast(column.type))
        else:
            arrays.append(pa.array(values, column.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


# -- the DuckDB engine's view of a PostgreSQL source -------------------------------------------


@dataclass
class RegisteredSource:
    """A PostgreSQL source's rows registered in a DuckDB cursor, shaped like the engine's ``SourceFiles``."""

    source: SourceSpec
    name: str
    path: str
    files: list[str] = field(default_factory=list)
    partitions: list[dict[str, str]] = field(default_factory=list)

    def pruned(self, lower: datetime | None, upper: datetime | None) -> list[str]:
        return self.files  # the time window was already applied in PostgreSQL

    def bind(self, cursor: Any, files: list[str] | None = None) -> str:
        """The table expression reading the registered rows (already in ``cursor``)."""
        return self.reader_sql(files)

    def reader_sql(self, files: list[str] | None = None) -> str:
        return '"' + self.name.replace('"', '""') + '"'


def register_postgres_source(
    cursor: Any,
    source: SourceSpec,
    lower: datetime | None,
    upper: datetime | None,
    *,
    connection: PostgresConnection | None = None,
) -> RegisteredSource:
    """Read a source's rows with lower <= event time <= upper (naive UTC bounds) into ``cursor``.

    The rows are fetched in chunks through psycopg and registered as an Arrow
    table under a unique name, so the engine's SQL reads them like a file.
    """
    conditions, params = [], []
    column = '"' + source.timestamp_field.replace('"', '""') + '"'
    if source.timestamp_field and lower is not None:
        conditions.append(f"{column} >= %s")
        params.append(lower)
    if source.timestamp_field and upper is not None:
        conditions.append(f"{column} <= %s")
        params.append(upper)
    reader = read_postgres_source(source, None, " AND ".join(conditions), params, connection=connection)
    name = f"__fv_pg_{source.name}_{uuid.uuid4().hex[:8]}"
    cursor.register(name, reader.read_all())
    where = source.table or "query"
    return RegisteredSource(source=source, name=name, path=f"postgres:{where}", files=[name])
