"""Offline push: appending rows to a file source without ever leaving it half-written.

Every write goes to a temporary file beside its target and is renamed into
place, so a reader (or a crash) sees the old data or the new, never a mix.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from featurevault._backends.offline.duckdb_sources import SourceFiles
from featurevault.errors import SchemaMismatchError
from featurevault._backends.offline.specs import SourceSpec

logger = logging.getLogger(__name__)


def create(source: SourceSpec, path: Path, table: pa.Table) -> None:
    """First write to a source whose path does not exist yet."""
    if source.file_format == "csv":
        _replace_with(path, lambda tmp: pacsv.write_csv(_csv_ready(table), tmp))
    elif path.suffix.lower() in (".parquet", ".pq", ".parq"):
        _replace_with(path, lambda tmp: pq.write_table(table, tmp))
    else:
        path.mkdir(parents=True)
        _write_part(path, table)
    logger.info("created data source %s at %s with %d rows", source.name, path, table.num_rows)


def parquet_schema(files: SourceFiles) -> pa.Schema:
    """The columns of a Parquet source as its files store them, hive partition keys included (as text)."""
    schema = pq.read_schema(files.files[0]).remove_metadata()
    for key in files.partitions[0] if files.partitions else {}:
        if key not in schema.names:
            schema = schema.append(pa.field(key, pa.string()))
    return schema


def append(files: SourceFiles, existing: pa.Schema, table: pa.Table) -> None:
    """Append ``table`` (columns under the source's own names) to an existing source."""
    source = files.source
    root = Path(files.path)  # files appended to are local
    partition_keys = set(files.partitions[0]) if files.hive else set()
    table = conform(source, existing, table, keep_types=partition_keys)
    if files.file_format == "csv":
        if files.is_directory or len(files.files) != 1:
            _write_part(root, table, csv=True)
        else:
            _append_csv(Path(files.files[0]), table)
    elif files.is_directory:
        if files.hive:
            _append_hive(files, table)
        else:
            _write_part(root, table)
    else:
        target = Path(files.files[0])
        merged = pa.concat_tables([pq.read_table(target), table], promote_options="permissive")
        _replace_with(target, lambda tmp: pq.write_table(merged, tmp))
    logger.info("appended %d rows to data source %s", table.num_rows, source.name)


def conform(source: SourceSpec, existing: pa.Schema, table: pa.Table, keep_types: set[str] | None = None) -> pa.Table:
    """``table`` with the existing columns, in their order and types; an error naming any mismatch.

    Columns in ``keep_types`` (hive partition keys, which become directory names) keep their own type.
    """
    have, want = set(table.column_names), set(existing.names)
    extra = sorted(have - want)
    if extra:
        raise SchemaMismatchError(
            f"rows pushed to data source {source.name!r} do not match its schema: unexpected column(s) "
            f"{', '.join(extra)} (it has {', '.join(existing.names)})"
        )
    # A push source may feed views that each cover part of its columns: the rest are null.
    for field in existing:
        if field.name not in have:
            table = table.append_column(field.name, pa.nulls(table.num_rows, field.type))
    arrays, fields = [], []
    for field in existing:
        column = table.column(field.name)
        if field.name in (keep_types or set()):
            arrays.append(column)
            fields.append(pa.field(field.name, column.type))
            continue
        fields.append(field)
        try:
            arrays.append(column if column.type == field.type else _cast(column, field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
            raise SchemaMismatchError(
                f"data source {source.name!r}: column {field.name!r} of type {column.type} "
                f"cannot be stored as {field.type}: {exc}"
            ) from exc
    return pa.table(arrays, schema=pa.schema(fields))


def _cast(column: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    if pa.types.is_timestamp(target) and pa.types.is_timestamp(column.type) and column.type.tz and not target.tz:
        column = column.cast(pa.timestamp(column.type.unit, tz="UTC")).cast(pa.timestamp(column.type.unit))
    if pa.types.is_date(target) and (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.timestamp("s"))
    return column.cast(target)


def _replace_with(target: Path, write: object) -> None:
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        write(tmp)  # type: ignore[operator]
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _write_part(directory: Path, table: pa.Table, csv: bool = False) -> None:
    name = f"part-{uuid.uuid4().hex}.{'csv' if csv else 'parquet'}"
    if csv:
        _replace_with(directory / name, lambda tmp: pacsv.write_csv(_csv_ready(table), tmp))
    else:
        _replace_with(directory / name, lambda tmp: pq.write_table(table, tmp))


def _append_hive(files: SourceFiles, table: pa.Table) -> None:
    root = Path(files.path)
    keys = list(files.partitions[0])
    groups = table.group_by(keys).aggregate([]) if keys else None
    if groups is None:
        _write_part(root, table)
        return
    for row in groups.to_pylist():
        mask = None
        for key in keys:
            cond = pc.equal(table.column(key), pa.scalar(row[key], table.column(key).type))
            mask = cond if mask is None else pc.and_(mask, cond)
        part = table.filter(mask).drop_columns(keys)
        directory = root.joinpath(*(f"{k}={_partition_value(row[k])}" for k in keys))
        directory.mkdir(parents=True, exist_ok=True)
        _write_part(directory, part)


def _partition_value(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _append_csv(target: Path, table: pa.Table) -> None:
    buffer = io.BytesIO()
    pacsv.write_csv(_csv_ready(table), buffer, pacsv.WriteOptions(include_header=False))

    def write(tmp: Path) -> None:
        shutil.copyfile(target, tmp)
        with open(tmp, "rb+") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() > 0:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    fh.write(b"\n")
            fh.write(buffer.getvalue())

    _replace_with(target, write)


def _csv_ready(table: pa.Table) -> pa.Table:
    """Timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC, which DuckDB's CSV sniffer reads back."""
    arrays = []
    for column in table.columns:
        if pa.types.is_timestamp(column.type):
            if column.type.tz:
                column = column.cast(pa.timestamp(column.type.unit, tz="UTC"))
            column = pc.strftime(column, format="%Y-%m-%d %H:%M:%S")
        arrays.append(column)
    return pa.table(arrays, names=table.column_names)
