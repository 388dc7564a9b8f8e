"""How the DuckDB engine reads a file source: paths, formats, hive partitions, column mapping.

A :class:`SourceScan` turns a file source's spec into a SQL table expression
that reads only the columns asked for, renamed by the source's field mapping,
with time filters the scan can push down (Parquet row-group statistics) and
hive date partitions outside the queried range left out of the file list.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path, PurePath
from typing import Any

from featurevault.errors import DataSourceError
from featurevault._backends.offline.specs import SourceSpec

#: hive partition keys treated as dates when the source names no date_partition_column
DATE_PARTITION_KEYS = ("date", "dt", "ds", "day", "event_date", "partition_date")
_HIVE_PART_RE = re.compile(r"^([^=/]+)=([^/]*)$")
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d")
_TIME_TYPES = ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "TIMESTAMP WITH TIME ZONE", "DATE")


def quote(name: str) -> str:
    """A SQL identifier, safely quoted."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A SQL string literal, safely quoted."""
    return "'" + value.replace("'", "''") + "'"


def ts_literal(value: datetime) -> str:
    """A naive UTC ``TIMESTAMP`` literal (the engine's internal time type)."""
    return f"TIMESTAMP '{value.strftime('%Y-%m-%d %H:%M:%S.%f')}'"


def batch_source_of(source: SourceSpec) -> SourceSpec:
    """The file source holding a source's offline rows (a Spark source reading files is one too)."""
    batch = source.offline
    if batch.kind == "spark" and batch.path:
        batch = replace(batch, kind="file", type_name="FileSource", table="", query="")
    if not batch.is_files:
        raise DataSourceError(
            f"data source {source.name!r} ({batch.type_name}) cannot be read by the DuckDB engine: "
            "use a FileSource (Parquet, CSV)"
        )
    return batch


@dataclass
class SourceFiles:
    """Where a source's data lives on disk, and how it is laid out."""

    source: SourceSpec
    #: a local path, or an object key's prefix (object storage)
    path: PurePath
    file_format: str
    #: files (or one glob) to read
    files: list[str]
    #: hive partition values of each file, aligned with ``files`` (empty dicts when not hive)
    partitions: list[dict[str, str]] = field(default_factory=list)

    @property
    def hive(self) -> bool:
        return any(self.partitions)

    @property
    def is_directory(self) -> bool:
        return Path(self.path).is_dir()

    def date_partition_key(self) -> str | None:
        """The hive key holding the event date, if any."""
        keys = set(self.partitions[0]) if self.partitions else set()
        if self.source.date_partition_column in keys:
            return self.source.date_partition_column
        return next((k for k in DATE_PARTITION_KEYS if k in keys), None)

    def pruned(self, lower: datetime | None, upper: datetime | None) -> list[str]:
        """The files whose date partition may hold rows with lower <= event time <= upper."""
        key = self.date_partition_key()
        if key is None or (lower is None and upper is None):
            return self.files
        lo = lower.date() if lower else date.min
        # A row stamped late on day d can sit in partition d+1 when partitions follow another zone.
        hi = upper.date() + timedelta(days=1) if upper else date.max
        lo = lo - timedelta(days=1) if lo > date.min else lo
        kept = []
        for path, parts in zip(self.files, self.partitions, strict=True):
            day = parse_partition_date(parts.get(key, ""))
            if day is None or lo <= day <= hi:
                kept.append(path)
        return kept

    def bind(self, cursor: Any, files: list[str] | None = None) -> str:
        """The table expression reading ``files`` (all by default) in ``cursor``."""
        return self.reader_sql(files)

    def reader_sql(self, files: list[str] | None = None) -> str:
        """The DuckDB table function reading ``files`` (all files by default)."""
        chosen = self.files if files is None else files
        listing = "[" + ", ".join(literal(f) for f in chosen) + "]"
        if self.file_format == "csv":
            return f"read_csv({listing}, union_by_name = true, header = true)"
        hive = "true" if self.hive else "false"
        return f"read_parquet({listing}, hive_partitioning = {hive}, union_by_name = true)"


def parse_partition_date(value: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def locate(source: SourceSpec, resolve: Callable[[str], Path]) -> SourceFiles:
    """Find a source's files, raising :class:`DataSourceError` naming the source and path when absent."""
    fsource = batch_source_of(source)
    fmt = fsource.file_format
    if fmt == "delta":  # the files of a version come from the transaction log, never from a listing
        from featurevault._backends.offline.delta import locate_delta
        from featurevault._backends.offline.delta_location import location

        return locate_delta(fsource, location(fsource, resolve))
    if fsource.path.startswith("s3://"):
        from featurevault._backends.offline.object_store import locate_objects

        return locate_objects(fsource)
    path = resolve(fsource.path)
    if glob.has_magic(str(path)):
        files = sorted(glob.glob(str(path), recursive=True))
    elif path.is_dir():
        suffixes = (".csv", ".csv.gz") if fmt == "csv" else (".parquet", ".pq", ".parq")
        files = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(suffixes))
    elif path.is_file():
        files = [str(path)]
    else:
        raise DataSourceError(f"data source {fsource.name!r}: path {str(path)!r} does not exist")
    if not files:
        raise DataSourceError(f"data source {fsource.name!r}: no {fmt} files under {str(path)!r}")
    base = path if path.is_dir() else path.parent
    return SourceFiles(fsource, path, fmt, files, [hive_parts(base, f) for f in files])


def hive_parts(base: Any, file: str) -> dict[str, str]:
    try:
        rel = type(base)(file).relative_to(base)
    except ValueError:
        return {}
    parts = {}
    for segment in rel.parts[:-1]:
        match = _HIVE_PART_RE.match(segment)
        if match:
            parts[match.group(1)] = match.group(2)
    return parts


@dataclass
class ColumnMap:
    """A source's columns under their mapped names (the names feature views use)."""

    #: mapped name -> source column name
    raw: dict[str, str]
    #: source column name -> DuckDB type
    types: dict[str, str]

    @classmethod
    def of(cls, source: SourceSpec, described: list[tuple[str, str]]) -> ColumnMap:
        mapping = source.field_mapping
        raw = {mapping.get(name, name): name for name, _ in described}
        return cls(raw, dict(described))

    def source_column(self, source: SourceSpec, name: str, role: str) -> str:
        if name in self.raw:
            return self.raw[name]
        raise DataSourceError(
            f"data source {source.name!r}: {role} column {name!r} not found; it has {', '.join(sorted(self.raw))}"
        )

    def time_expr(self, column: str) -> str:
        """An expression giving ``column`` as a naive UTC TIMESTAMP (microseconds)."""
        kind = self.types[column].upper()
        col = quote(column)
        if kind == "TIMESTAMP":
            return col
        if kind == "TIMESTAMP WITH TIME ZONE":
            return f"make_timestamp(epoch_us({col}))"
        if kind in _TIME_TYPES:
            return f"CAST({col} AS TIMESTAMP)"
        return f"make_timestamp(epoch_us(CAST({col} AS TIMESTAMPTZ)))"

    def bound_filter(self, column: str, lower: datetime | None, upper: datetime | None) -> list[str]:
        """Filters on the raw column that a Parquet scan can push down (a superset of the window)."""
        kind = self.types[column].upper()
        if kind not in _TIME_TYPES:
            return []
        col = quote(column)
        result = []
        if lower is not None:
            result.append(f"{col} >= CAST({ts_literal(lower)} AS {kind})")
        if upper is not None:
            bound = f"CAST({ts_literal(upper)} AS {kind})"
            # a DATE cast truncates, which is still a superset for <=; a TIMESTAMPTZ is UTC here
            result.append(f"{col} <= {bound}")
        return result

    def date_filter(self, column: str, lower: datetime | None, upper: datetime | None) -> list[str]:
        """Filters on a non-hive date partition column (ISO strings, dates or timestamps)."""
        kind = self.types[column].upper()
        if kind not in _TIME_TYPES and kind != "VARCHAR":
            return []
        col = quote(column)
        result = []
        if lower is not None:
            result.append(f"{col} >= CAST(DATE '{(lower.date() - timedelta(days=1)).isoformat()}' AS {kind})")
        if upper is not None:
            result.append(f"{col} <= CAST(DATE '{(upper.date() + timedelta(days=1)).isoformat()}' AS {kind})")
        return result
