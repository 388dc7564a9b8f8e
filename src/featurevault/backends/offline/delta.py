"""Delta Lake tables: reads at a version or time with partition pruning, appends, OPTIMIZE, VACUUM, deletes.

Everything goes through the table's transaction log with the ``deltalake`` package
(the ``delta`` extra): DuckDB scans the files of the chosen version as a pyarrow
dataset (lazily, with projection and filter pushdown), holding only the fragments
of the date partitions a query needs. A write is one Delta commit: a reader sees
the table before it or after it, never half of it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from featurevault.backends.offline.duckdb_sources import SourceFiles
from featurevault.errors import DataSourceError, MissingDependencyError
from featurevault.model import FileSource

logger = logging.getLogger(__name__)


def deltalake() -> Any:
    """The ``deltalake`` module, or an error naming the extra to install."""
    try:
        import deltalake as module  # type: ignore[import-not-found]
    except ImportError:
        raise MissingDependencyError(
            "Delta tables need the 'deltalake' package: pip install 'featurevault[delta]'"
        ) from None
    return module


def open_table(
    source: FileSource, path: Path | str, as_of: Any = None, storage_options: dict[str, str] | None = None
) -> Any:
    """The table at ``path`` (at ``as_of``: a version or a time), with errors naming the source.

    ``path`` is a local path or an object store URI (``s3://...``, with ``storage_options``).
    """
    module = deltalake()
    if isinstance(path, Path) and not path.exists():
        raise DataSourceError(f"data source {source.name!r}: path {str(path)!r} does not exist")
    try:
        if isinstance(as_of, int):
            return module.DeltaTable(str(path), version=as_of, storage_options=storage_options)
        table = module.DeltaTable(str(path), storage_options=storage_options)
        if isinstance(as_of, datetime):
            table.load_as_version(as_of)
    except Exception as exc:  # deltalake raises its own TableNotFoundError, DeltaError, ValueError
        at = (
            f" at {as_of.isoformat() if isinstance(as_of, datetime) else f'version {as_of}'}"
            if as_of is not None
            else ""
        )
        raise DataSourceError(
            f"data source {source.name!r}: cannot open the Delta table {str(path)!r}{at}: {exc}"
        ) from exc
    if isinstance(as_of, datetime):
        _check_committed_by(source, path, table, as_of, storage_options)
    return table


def _check_committed_by(
    source: FileSource, path: Path | str, table: Any, as_of: datetime, storage_options: dict[str, str] | None
) -> None:
    """deltalake falls back to version 0 for a time before it: the table did not exist then."""
    if table.version() != 0:
        return
    # the history of a table loaded at an old version is numbered from it: read the latest table's
    latest = deltalake().DeltaTable(str(path), storage_options=storage_options)
    first = next((h for h in latest.history() if h.get("version") == 0), None)
    committed = datetime.fromtimestamp(first["timestamp"] / 1000, UTC) if first else None
    if committed is not None and committed > as_of:
        raise DataSourceError(
            f"data source {source.name!r}: the Delta table {str(path)!r} did not exist at {as_of.isoformat()} "
            f"(its first version was committed at {committed.isoformat()})"
        )


@dataclass
class DeltaFiles(SourceFiles):
    """The files of one version of a Delta table; DuckDB reads the chosen ones as a pyarrow dataset."""

    table: Any = None

    @property
    def is_directory(self) -> bool:
        return True

    def bind(self, cursor: Any, files: list[str] | None = None) -> str:
        import pyarrow.dataset as ds

        dataset = self.table.to_pyarrow_dataset()
        if files is not None and len(files) < len(self.files):
            wanted = {self._relative(f) for f in files}
            fragments = [f for f in dataset.get_fragments() if f.path in wanted]
            dataset = ds.FileSystemDataset(fragments, dataset.schema, dataset.format, dataset.filesystem)
        logger.debug(
            "delta source %s: scanning %d of %d files",
            self.source.name,
            len(files if files is not None else self.files),
            len(self.files),
        )
        name = f"__fv_delta_{uuid.uuid4().hex[:12]}"
        cursor.register(name, dataset)
        return name

    def _relative(self, file: str) -> str:
        return str(Path(file).relative_to(self.path)) if file.startswith(str(self.path)) else file


def locate_delta(source: FileSource, path: Path) -> DeltaFiles:
    """The files of the table version ``source`` reads, each with its partition values."""
    table = open_table(source, path, getattr(source, "as_of", None))
    actions = pa.table(table.get_add_actions(flatten=True))
    paths = [str(path / p) for p in actions.column("path").to_pylist()]
    keys = [c for c in actions.column_names if c.startswith("partition.")]
    values = {k.removeprefix("partition."): actions.column(k).cast(pa.string()).to_pylist() for k in keys}
    parts = [{k: v[i] or "" for k, v in values.items()} for i in range(len(paths))]
    return DeltaFiles(source, path, "delta", paths, parts, table=table)


def table_schema(table: Any) -> pa.Schema:
    return pa.schema(table.schema())


# -- writes ------------------------------------------------------------------------------------------


def append(source: FileSource, path: Path, rows: pa.Table) -> int:
    """Append ``rows`` (columns under the source's own names) as one commit; creates the table if absent.

    The date partition column is filled from the event timestamp (UTC date) when the rows lack it.
    Returns the new table version.
    """
    from featurevault.backends.offline.duckdb_append import conform

    module = deltalake()
    date_column = source.date_partition_column
    if path.exists() and (path / "_delta_log").exists():
        table = open_table(source, path)
        existing = table_schema(table)
        if date_column in existing.names and date_column not in rows.column_names:
            rows = rows.append_column(date_column, _event_dates(source, rows))
        rows = conform(source, existing, rows)
        module.write_deltalake(table, rows, mode="append")
    else:
        if date_column and date_column not in rows.column_names:
            rows = rows.append_column(date_column, _event_dates(source, rows))
        partition_by = [
            c for c in getattr(source, "partition_by", [date_column] if date_column else []) if c in rows.column_names
        ]
        path.mkdir(parents=True, exist_ok=True)
        module.write_deltalake(str(path), rows, mode="append", partition_by=partition_by or None)
    version = int(module.DeltaTable(str(path)).version())
    logger.info("appended %d rows to Delta source %s (version %d)", rows.num_rows, source.name, version)
    return version


def timestamp_column(source: FileSource) -> str:
    """The event-time column under the table's own name (``timestamp_field`` is the mapped name)."""
    mapped = source.timestamp_field or "event_timestamp"
    return next((raw for raw, name in source.field_mapping.items() if name == mapped), mapped)


def key_column(source: FileSource, join_key: str) -> str:
    """A join key's column under the table's own name."""
    return next((raw for raw, name in source.field_mapping.items() if name == join_key), join_key)


def _event_dates(source: FileSource, rows: pa.Table) -> pa.ChunkedArray:
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


def compact(source: FileSource, path: Path, target_bytes: int) -> dict[str, Any]:
    """OPTIMIZE: small files bin-packed into files of about ``target_bytes`` (one commit; old files kept
    for time travel until a vacuum)."""
    table = open_table(source, path)
    metrics = table.optimize.compact(target_size=target_bytes)
    return {
        "files_added": metrics.get("numFilesAdded", 0),
        "files_removed": metrics.get("numFilesRemoved", 0),
        "version": int(table.version()),
    }


def delete_rows(source: FileSource, path: Path, predicate: str, *, dry_run: bool = False) -> int:
    """Delete the rows matching a SQL ``predicate`` (one commit); with ``dry_run``, only count them."""
    table = open_table(source, path)
    if dry_run:
        import duckdb

        dataset = table.to_pyarrow_dataset()
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.register("t", dataset)
            return int(con.sql(f"SELECT count(*) FROM t WHERE {predicate}").fetchall()[0][0])
        finally:
            con.close()
    metrics = table.delete(predicate=predicate)
    return int(metrics.get("num_deleted_rows", 0))


def vacuum(source: FileSource, path: Path, retain_seconds: float, *, dry_run: bool = False) -> list[str]:
    """Remove files no version newer than ``retain_seconds`` needs (time travel ends there)."""
    table = open_table(source, path)
    hours = max(int(retain_seconds // 3600), 0)
    return list(table.vacuum(retention_hours=hours, dry_run=dry_run, enforce_retention_duration=False))


def history(source: FileSource, path: Path) -> list[dict[str, Any]]:
    """Versions of the table, newest first: version, time (UTC) and operation."""
    table = open_table(source, path)
    return [
        {
            "version": h.get("version"),
            "at": datetime.fromtimestamp(h["timestamp"] / 1000, UTC).isoformat(),
            "operation": h.get("operation"),
        }
        for h in table.history()
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
