"""Delta Lake tables, on local disk or in object storage: reads at a version or time with partition
pruning, appends, OPTIMIZE, VACUUM, deletes.

Everything goes through the table's transaction log with the ``deltalake`` package
(the ``delta`` extra): DuckDB scans the files of the chosen version as a pyarrow
dataset (lazily, with projection and filter pushdown), holding only the fragments
of the date partitions a query needs. A write is one Delta commit: a reader sees
the table before it or after it, never half of it.

A table is at a :data:`Location`: a local directory, or an ``s3://bucket/prefix`` URI.
In S3 the log is read and written by ``deltalake`` (its ``storage_options`` built by
:func:`storage_options` from the source's ``s3_endpoint_override`` and the AWS
environment) and the data files are read through pyarrow's ``S3FileSystem``, the one
the Parquet-in-S3 sources use. Commits rely on S3's conditional writes (put if
absent), which AWS S3, MinIO and moto honour; for a server without them,
``AWS_S3_ALLOW_UNSAFE_RENAME=true`` lets a single writer commit.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from featurevault.backends.offline.duckdb_sources import SourceFiles
from featurevault.backends.offline.object_store import SCHEME, filesystem, is_object_path
from featurevault.errors import DataSourceError, MissingDependencyError
from featurevault.backends.offline.specs import SourceSpec

logger = logging.getLogger(__name__)

#: where a table is: a local directory, or its ``s3://bucket/prefix`` URI (no trailing slash)
Location = Path | str

#: environment variables handed to deltalake as they are, when set (credentials, commit safety)
FORWARDED_ENVIRONMENT = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_S3_ALLOW_UNSAFE_RENAME",
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_DENIED = (
    "403 Forbidden",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "lacked the necessary privileges",
)


def deltalake() -> Any:
    """The ``deltalake`` module, or an error naming the extra to install."""
    try:
        import deltalake as module
    except ImportError:
        raise MissingDependencyError(
            "Delta tables need the 'deltalake' package: pip install 'featurevault[delta]'"
        ) from None
    return module


# -- where a table is --------------------------------------------------------------------------------


def location(source: SourceSpec, resolve: Callable[[str], Path]) -> Location:
    """The table of ``source``: its ``s3://`` URI, or its local path resolved against the repo."""
    return source.path.rstrip("/") if is_object_path(source.path) else resolve(source.path)


def _located(where: Location) -> Location:
    """A local path given as text becomes a ``Path``; an ``s3://`` URI stays text."""
    return where.rstrip("/") if isinstance(where, str) and is_object_path(where) else Path(where)


def storage_options(endpoint: str | None) -> dict[str, str]:
    """deltalake's object store settings for S3: the endpoint override, the region and the AWS environment."""
    options: dict[str, str] = {}
    if endpoint:
        options["AWS_ENDPOINT_URL"] = endpoint if "://" in endpoint else f"https://{endpoint}"
        if endpoint.startswith("http://"):
            options["AWS_ALLOW_HTTP"] = "true"
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        options["AWS_REGION"] = region
    options.update({k: os.environ[k] for k in FORWARDED_ENVIRONMENT if os.environ.get(k)})
    return options


def _options(source: SourceSpec, where: Location) -> dict[str, str] | None:
    return storage_options(source.s3_endpoint_override or None) if isinstance(where, str) else None


def describe(source: SourceSpec, where: Location) -> str:
    """``'s3://b/p' at http://host:port`` (the endpoint only when overridden) or ``'/local/path'``."""
    at = f" at {source.s3_endpoint_override}" if isinstance(where, str) and source.s3_endpoint_override else ""
    return f"{str(where)!r}{at}"


def failure_reason(exc: BaseException, where: Location) -> str:
    """deltalake's error on one line (its object-store errors span lines, with colour codes), with a hint
    when it is the credentials or a missing bucket."""
    text = _ANSI.sub("", str(exc))
    lines = [line.strip().lstrip("\u21b3").strip() for line in text.splitlines()]
    reason = ": ".join(line for line in lines if line and not line.startswith("<")) or type(exc).__name__
    reason = reason if len(reason) <= 500 else reason[:497] + "..."
    if any(s in text for s in _DENIED):
        return f"access denied: check the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, profile) ({reason})"
    if "NoSuchBucket" in text and isinstance(where, str):
        bucket = where.removeprefix(SCHEME).split("/", 1)[0]
        return f"the bucket {bucket!r} does not exist ({reason})"
    if type(exc).__name__ == "TableNotFoundError":
        return f"no Delta table there (no commit under _delta_log) ({reason})"
    return reason


@contextmanager
def _failing(source: SourceSpec, where: Location, action: str) -> Iterator[None]:
    """deltalake's and the object store's errors as a :class:`DataSourceError` naming the source and table."""
    try:
        yield
    except DataSourceError:
        raise
    except (OSError, deltalake().exceptions.DeltaError) as exc:
        raise DataSourceError(
            f"data source {source.name!r}: cannot {action} the Delta table {describe(source, where)}: "
            f"{failure_reason(exc, where)}"
        ) from exc


def _filesystem(source: SourceSpec, where: Location) -> Any:
    """pyarrow's filesystem rooted at the table (S3), or None: deltalake's own handler (local)."""
    if not isinstance(where, str):
        return None
    from pyarrow import fs

    return fs.SubTreeFileSystem(where.removeprefix(SCHEME), filesystem(source.s3_endpoint_override or None))


def dataset(source: SourceSpec, where: Location, table: Any) -> Any:
    """The table's current files as a pyarrow dataset (in S3 read through pyarrow's ``S3FileSystem``)."""
    store = _filesystem(source, where)
    return table.to_pyarrow_dataset() if store is None else table.to_pyarrow_dataset(filesystem=store)


# -- reads -------------------------------------------------------------------------------------------


def open_table(source: SourceSpec, path: Location, as_of: Any = None) -> Any:
    """The table at ``path`` (at ``as_of``: a version or a time), with errors naming the source."""
    module = deltalake()
    where = _located(path)
    if isinstance(where, Path) and not where.exists():
        raise DataSourceError(f"data source {source.name!r}: path {str(where)!r} does not exist")
    options = _options(source, where)
    at = ""
    if as_of is not None:
        at = f" at {as_of.isoformat() if isinstance(as_of, datetime) else f'version {as_of}'}"
    try:
        if isinstance(as_of, int):
            return module.DeltaTable(str(where), version=as_of, storage_options=options)
        table = module.DeltaTable(str(where), storage_options=options)
        if isinstance(as_of, datetime):
            version = _version_at(source, where, table, as_of)
            table.load_as_version(as_of if version is None else version)
    except DataSourceError:
        raise
    except Exception as exc:  # deltalake raises its own TableNotFoundError, DeltaError, OSError, ValueError
        raise DataSourceError(
            f"data source {source.name!r}: cannot open the Delta table {describe(source, where)}{at}: "
            f"{failure_reason(exc, where)}"
        ) from exc
    return table


def _version_at(source: SourceSpec, where: Location, latest: Any, as_of: datetime) -> int | None:
    """The newest version committed at or before ``as_of``, by the commit times in the log.

    The log's commit times have milliseconds; deltalake's own time travel goes by the commit files'
    modification times, which S3 lists to the second only, so it could pick a version committed up to
    a second after ``as_of``. None (deltalake's own lookup) when a commit has no time in the log.
    """
    stamp = (as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)).timestamp() * 1000
    commits = latest.history()
    if not commits or any(not isinstance(c.get("timestamp"), int) for c in commits):
        return None
    committed = [int(c["version"]) for c in commits if c["timestamp"] <= stamp]
    if committed:
        return max(committed)
    first = min(commits, key=lambda c: int(c["version"]))
    when = datetime.fromtimestamp(first["timestamp"] / 1000, UTC).isoformat()
    what = "did not exist" if int(first["version"]) == 0 else f"keeps no version older than {first['version']}"
    raise DataSourceError(
        f"data source {source.name!r}: the Delta table {describe(source, where)} {what} at {as_of.isoformat()} "
        f"(its {'first' if what == 'did not exist' else 'oldest'} version was committed at {when})"
    )


@dataclass
class DeltaFiles(SourceFiles):
    """The files of one version of a Delta table; DuckDB reads the chosen ones as a pyarrow dataset."""

    table: Any = None
    #: where the table is (a local path, or its ``s3://`` URI)
    location: Location = ""

    @property
    def is_directory(self) -> bool:
        return True

    def bind(self, cursor: Any, files: list[str] | None = None) -> str:
        import pyarrow.dataset as ds

        with _failing(self.source, self.location, "read"):
            scanned = dataset(self.source, self.location, self.table)
        if files is not None and len(files) < len(self.files):
            wanted = {self._relative(f) for f in files}
            fragments = [f for f in scanned.get_fragments() if f.path in wanted]
            scanned = ds.FileSystemDataset(fragments, scanned.schema, scanned.format, scanned.filesystem)
        logger.debug(
            "delta source %s: scanning %d of %d files",
            self.source.name,
            len(files if files is not None else self.files),
            len(self.files),
        )
        name = f"__fv_delta_{uuid.uuid4().hex[:12]}"
        cursor.register(name, scanned)
        return name

    def _relative(self, file: str) -> str:
        root = str(self.path) + "/"
        return file.removeprefix(root)


def locate_delta(source: SourceSpec, path: Location) -> DeltaFiles:
    """The files of the table version ``source`` reads, each with its partition values.

    Local files are paths; objects are ``bucket/key`` (as :mod:`object_store` lists them).
    """
    where = _located(path)
    table = open_table(source, where, source.as_of)
    actions = pa.table(table.get_add_actions(flatten=True))
    base: Path | PurePosixPath = Path(where) if isinstance(where, Path) else PurePosixPath(where.removeprefix(SCHEME))
    paths = [str(base / p) for p in actions.column("path").to_pylist()]
    keys = [c for c in actions.column_names if c.startswith("partition.")]
    values = {k.removeprefix("partition."): actions.column(k).cast(pa.string()).to_pylist() for k in keys}
    parts = [{k: v[i] or "" for k, v in values.items()} for i in range(len(paths))]
    return DeltaFiles(source, base, "delta", paths, parts, table=table, location=where)


def table_schema(table: Any) -> pa.Schema:
    return pa.schema(table.schema())


# -- writes ------------------------------------------------------------------------------------------


def append(source: SourceSpec, path: Location, rows: pa.Table) -> int:
    """Append ``rows`` (columns under the source's own names) as one commit; creates the table if absent.

    The date partition column is filled from the event timestamp (UTC date) when the rows lack it.
    Returns the new table version.
    """
    from featurevault.backends.offline.duckdb_append import conform

    module = deltalake()
    where = _located(path)
    date_column = source.date_partition_column
    if _exists(source, where):
        table = open_table(source, where)
        existing = table_schema(table)
        if date_column in existing.names and date_column not in rows.column_names:
            rows = rows.append_column(date_column, _event_dates(source, rows))
        rows = conform(source, existing, rows)
        with _failing(source, where, "append to"):
            module.write_deltalake(table, rows, mode="append")
    else:
        if date_column and date_column not in rows.column_names:
            rows = rows.append_column(date_column, _event_dates(source, rows))
        partition_by = [c for c in source.partition_columns() if c in rows.column_names]
        if isinstance(where, Path):
            where.mkdir(parents=True, exist_ok=True)
        with _failing(source, where, "create"):
            module.write_deltalake(
                str(where),
                rows,
                mode="append",
                partition_by=partition_by or None,
                storage_options=_options(source, where),
            )
    version = int(open_table(source, where).version())
    logger.info("appended %d rows to Delta source %s (version %d)", rows.num_rows, source.name, version)
    return version


def _exists(source: SourceSpec, where: Location) -> bool:
    """Whether a table is there (a commit under ``_delta_log``)."""
    if isinstance(where, Path):
        return (where / "_delta_log").exists()
    with _failing(source, where, "open"):
        return bool(deltalake().DeltaTable.is_deltatable(where, storage_options=_options(source, where)))


def timestamp_column(source: SourceSpec) -> str:
    """The event-time column under the table's own name (``timestamp_field`` is the mapped name)."""
    mapped = source.timestamp_field or "event_timestamp"
    return next((raw for raw, name in source.field_mapping.items() if name == mapped), mapped)


def key_column(source: SourceSpec, join_key: str) -> str:
    """A join key's column under the table's own name."""
    return next((raw for raw, name in source.field_mapping.items() if name == join_key), join_key)


def _event_dates(source: SourceSpec, rows: pa.Table) -> pa.ChunkedArray:
    column = timestamp_column(source)
    if column not in rows.column_names:
        raise DataSourceError(
            f"data source {source.name!r}: rows lack the timestamp column {column!r} that fills "
            f"the date partition {source.date_partition_column!r}"
        )
    stamps = rows.column(column)
    if pa.types.is_timestamp(stamps.type) and stamps.type.tz:
        stamps = stamps.cast(pa.timestamp(stamps.type.unit, tz="UTC")).cast(pa.timestamp(stamps.type.unit))
    return pc.cast(stamps, pa.date32())


# -- maintenance -------------------------------------------------------------------------------------


def compact(source: SourceSpec, path: Location, target_bytes: int) -> dict[str, Any]:
    """OPTIMIZE: small files bin-packed into files of about ``target_bytes`` (one commit; old files kept
    for time travel until a vacuum)."""
    table = open_table(source, path)
    with _failing(source, _located(path), "compact"):
        metrics = table.optimize.compact(target_size=target_bytes)
    return {
        "files_added": metrics.get("numFilesAdded", 0),
        "files_removed": metrics.get("numFilesRemoved", 0),
        "version": int(table.version()),
    }


def delete_rows(source: SourceSpec, path: Location, predicate: str, *, dry_run: bool = False) -> int:
    """Delete the rows matching a SQL ``predicate`` (one commit); with ``dry_run``, only count them."""
    where = _located(path)
    table = open_table(source, where)
    if dry_run:
        import duckdb

        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            with _failing(source, where, "read"):
                con.register("t", dataset(source, where, table))
                return int(con.sql(f"SELECT count(*) FROM t WHERE {predicate}").fetchall()[0][0])
        finally:
            con.close()
    with _failing(source, where, "delete rows from"):
        metrics = table.delete(predicate=predicate)
    return int(metrics.get("num_deleted_rows", 0))


def vacuum(source: SourceSpec, path: Location, retain_seconds: float, *, dry_run: bool = False) -> list[str]:
    """Remove files no version newer than ``retain_seconds`` needs (time travel ends there)."""
    table = open_table(source, path)
    hours = max(int(retain_seconds // 3600), 0)
    with _failing(source, _located(path), "vacuum"):
        return list(table.vacuum(retention_hours=hours, dry_run=dry_run, enforce_retention_duration=False))


def history(source: SourceSpec, path: Location) -> list[dict[str, Any]]:
    """Versions of the table, newest first: version, time (UTC) and operation."""
    table = open_table(source, path)
    with _failing(source, _located(path), "read the history of"):
        entries = table.history()
    return [
        {
            "version": h.get("version"),
            "at": datetime.fromtimestamp(h["timestamp"] / 1000, UTC).isoformat(),
            "operation": h.get("operation"),
        }
        for h in entries
    ]


def sql_literal(value: Any) -> str:
    """A value as a literal of a Delta delete predicate."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, datetime):
        stamp = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return "'" + stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ") + "'"
    return "'" + str(value).replace("'", "''") + "'"


def quote_column(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
