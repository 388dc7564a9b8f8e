"""Delta Lake tables, on local disk or in object storage: reads at a version or time with partition
pruning, appends, OPTIMIZE, VACUUM, deletes.

Everything goes through the table's transaction log with the ``deltalake`` package
(the ``delta`` extra): DuckDB scans the files of the chosen version as a pyarrow
dataset (lazily, with projection and filter pushdown), holding only the fragments
of the date partitions a query needs. A write is one Delta commit: a reader sees
the table before it or after it, never half of it.

A table is on local disk or in S3 (``s3://bucket/prefix``): see
:mod:`featurevault._backends.offline.delta_location`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from featurevault._backends.offline.delta_location import (
    Location,
    dataset,
    deltalake,
    describe,
    failing,
    failure_reason,
    located,
    options_for,
)
from featurevault._backends.offline.duckdb_sources import SourceFiles
from featurevault._backends.offline.object_store import SCHEME
from featurevault.errors import DataSourceError
from featurevault._backends.offline.specs import SourceSpec

logger = logging.getLogger(__name__)

# -- reads -------------------------------------------------------------------------------------------


def open_table(source: SourceSpec, path: Location, as_of: Any = None) -> Any:
    """The table at ``path`` (at ``as_of``: a version or a time), with errors naming the source."""
    module = deltalake()
    where = located(path)
    if isinstance(where, Path) and not where.exists():
        raise DataSourceError(f"data source {source.name!r}: path {str(where)!r} does not exist")
    options = options_for(source, where)
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
    if int(first["version"]) == 0:
        what = f"did not exist at {as_of.isoformat()} (its first version was committed at {when})"
    else:
        what = f"keeps no version as old as {as_of.isoformat()} (its oldest, {first['version']}, is of {when})"
    raise DataSourceError(f"data source {source.name!r}: the Delta table {describe(source, where)} {what}")


@dataclass
class DeltaFiles(SourceFiles):
    """The files of one version of a Delta table; DuckDB reads the chosen ones as a pyarrow dataset."""

    table: Any = None
    #: where the table is (a local path, or its ``s3://`` URI)
    location: Location = field(default_factory=Path)

    @property
    def is_directory(self) -> bool:
        return True

    def bind(self, cursor: Any, files: list[str] | None = None) -> str:
        import pyarrow.dataset as ds

        with failing(self.source, self.location, "read"):
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
    where = located(path)
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
    from featurevault._backends.offline.duckdb_append import conform

    module = deltalake()
    where = located(path)
    date_column = source.date_partition_column
    if _exists(source, where):
        table = open_table(source, where)
        existing = table_schema(table)
        if date_column in existing.names and date_column not in rows.column_names:
            rows = rows.append_column(date_column, _event_dates(source, rows))
        rows = conform(source, existing, rows)
        with failing(source, where, "append to"):
            module.write_deltalake(table, rows, mode="append")
    else:
        if date_column and date_column not in rows.column_names:
            rows = rows.append_column(date_column, _event_dates(source, rows))
        partition_by = [c for c in source.partition_columns() if c in rows.column_names]
        if isinstance(where, Path):
            where.mkdir(parents=True, exist_ok=True)
        with failing(source, where, "create"):
            module.write_deltalake(
                str(where),
                rows,
                mode="append",
                partition_by=partition_by or None,
                storage_options=options_for(source, where),
            )
    version = int(open_table(source, where).version())
    logger.info("appended %d rows to Delta source %s (version %d)", rows.num_rows, source.name, version)
    return version


def _exists(source: SourceSpec, where: Location) -> bool:
    """Whether a table is there (a commit under ``_delta_log``)."""
    if isinstance(where, Path):
        return (where / "_delta_log").exists()
    with failing(source, where, "open"):
        return bool(deltalake().DeltaTable.is_deltatable(where, storage_options=options_for(source, where)))


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
    with failing(source, located(path), "compact"):
        metrics = table.optimize.compact(target_size=target_bytes)
    return {
        "files_added": metrics.get("numFilesAdded", 0),
        "files_removed": metrics.get("numFilesRemoved", 0),
        "version": int(table.version()),
    }


def delete_rows(source: SourceSpec, path: Location, predicate: str, *, dry_run: bool = False) -> int:
    """Delete the rows matching a SQL ``predicate`` (one commit); with ``dry_run``, only count them."""
    where = located(path)
    table = open_table(source, where)
    if dry_run:
        import duckdb

        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            with failing(source, where, "read"):
                con.register("t", dataset(source, where, table))
                return int(con.sql(f"SELECT count(*) FROM t WHERE {predicate}").fetchall()[0][0])
        finally:
            con.close()
    with failing(source, where, "delete rows from"):
        metrics = table.delete(predicate=predicate)
    return int(metrics.get("num_deleted_rows", 0))


def vacuum(source: SourceSpec, path: Location, retain_seconds: float, *, dry_run: bool = False) -> list[str]:
    """Remove files no version newer than ``retain_seconds`` needs (time travel ends there)."""
    table = open_table(source, path)
    hours = max(int(retain_seconds // 3600), 0)
    with failing(source, located(path), "vacuum"):
        return list(table.vacuum(retention_hours=hours, dry_run=dry_run, enforce_retention_duration=False))


def history(source: SourceSpec, path: Location) -> list[dict[str, Any]]:
    """Versions of the table, newest first: version, time (UTC) and operation."""
    table = open_table(source, path)
    with failing(source, located(path), "read the history of"):
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
