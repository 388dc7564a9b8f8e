"""How the Spark engine reads a view's source: tables, queries, files, object storage.

:func:`scan` gives a DataFrame with the view's join keys under their own
names, ``__fv_us`` (event time in UTC microseconds), ``__fv_cus`` (created
time, when the source has one) and the requested features as ``c0, c1, ...``,
restricted to an event-time window. The window is also applied to the raw
timestamp column (so Parquet row groups are skipped) and, for date-partitioned
paths, to the partition column (so Spark lists only the partitions needed:
``PartitionFilters`` in the plan).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from featurevault._backends.offline import spark_files
from featurevault._backends.offline.duckdb_sources import DATE_PARTITION_KEYS, parse_partition_date
from featurevault.errors import DataSourceError, first_line
from featurevault._backends.offline.specs import SourceSpec, ViewSpec

US = "__fv_us"
CUS = "__fv_cus"


@dataclass
class SparkScan:
    """One view's source rows, normalised as the module docstring says."""

    frame: Any
    keys: list[str]
    n_features: int
    has_created: bool


def batch_source(source: SourceSpec) -> SourceSpec:
    batch = source.offline
    if not (batch.is_files or batch.kind == "spark"):
        raise DataSourceError(
            f"data source {source.name!r} ({batch.type_name}) cannot be read by the Spark engine: "
            "use a SparkSource or a FileSource"
        )
    return batch


def spark_path(path: str, resolve: Callable[[str], Path]) -> str:
    """A path Spark opens: ``s3://`` becomes Hadoop's ``s3a://``; relative paths are under the repo."""
    if path.startswith("s3://"):
        return "s3a://" + path.removeprefix("s3://")
    if "://" in path:
        return path
    return str(resolve(path))


def read_raw(
    spark: Any,
    source: SourceSpec,
    resolve: Callable[[str], Path],
    lower: datetime | None = None,
    upper: datetime | None = None,
) -> Any:
    """The source's rows under its own column names (lazy).

    A local directory of date partitions is opened at the partitions that may hold rows in
    [lower, upper] only (``basePath`` keeps the partition column), so files of other days are
    not even opened for their schema, as in the DuckDB engine.
    """
    batch = batch_source(source)
    if batch.path:  # Delta without delta-spark, s3:// without hadoop-aws: see spark_files
        files = spark_files.read(spark, batch, resolve, lower, upper)
        if files is not None:
            return files
    try:
        if batch.kind == "spark" and batch.table:
            return spark.table(batch.table)
        if batch.kind == "spark" and batch.query:
            return spark.sql(batch.query)
        path = spark_path(batch.path, resolve)
        reader = spark.read.format(batch.file_format)
        if batch.file_format == "csv":
            reader = reader.option("header", "true").option("inferSchema", "true")
        if batch.file_format == "delta":  # the log picks the files; partition directories are not tables
            as_of = batch.as_of
            if as_of is not None:
                reader = reader.option(
                    *(("versionAsOf", as_of) if isinstance(as_of, int) else ("timestampAsOf", as_of.isoformat()))
                )
            return reader.load(path)
        days = _partition_dirs(Path(path), batch.date_partition_column, lower, upper) if "://" not in path else None
        if days:
            return reader.option("basePath", path).load(days)
        return reader.load(path)
    except Exception as exc:  # AnalysisException and friends: a missing path, table or bad query
        if "DATA_SOURCE_NOT_FOUND" in str(exc) and batch.file_format == "delta":
            raise DataSourceError(
                f"data source {batch.name!r}: Spark reads Delta tables with Delta Lake's Spark package "
                "(delta-spark, in spark_conf spark.jars.packages), which this session lacks; the DuckDB engine "
                "reads them with the deltalake package"
            ) from exc
        raise DataSourceError(f"data source {batch.name!r}: Spark cannot read it: {first_line(exc)}") from exc


def _partition_dirs(path: Path, column: str, lower: datetime | None, upper: datetime | None) -> list[str] | None:
    """The top-level date partition directories that may hold rows in the window (None: not partitioned)."""
    if (lower is None and upper is None) or not path.is_dir():
        return None
    dirs = sorted(d for d in path.iterdir() if d.is_dir() and "=" in d.name)
    keys = {d.name.split("=", 1)[0] for d in dirs}
    key = column if column in keys else next((k for k in DATE_PARTITION_KEYS if k in keys), None)
    if key is None or len(keys) != 1:
        return None
    lo = lower.date() - timedelta(days=1) if lower and lower.date() > date.min else date.min
    hi = upper.date() + timedelta(days=1) if upper and upper.date() < date.max else date.max
    kept = []
    for d in dirs:
        day = parse_partition_date(d.name.split("=", 1)[1])
        if day is None or lo <= day <= hi:
            kept.append(str(d))
    return kept or None


def mapped(frame: Any, source: SourceSpec) -> dict[str, str]:
    """Mapped name (what feature views use) -> the source's column name."""
    mapping = batch_source(source).field_mapping
    return {mapping.get(name, name): name for name in frame.columns}


def source_column(columns: dict[str, str], source: SourceSpec, name: str, role: str) -> str:
    if name in columns:
        return columns[name]
    raise DataSourceError(
        f"data source {source.name!r}: {role} column {name!r} not found; it has {', '.join(sorted(columns))}"
    )


def micros(frame: Any, column: str) -> Any:
    """An expression giving ``column`` as UTC microseconds (naive times are taken as UTC)."""
    from pyspark.sql import functions as F

    kind = frame.schema[column].dataType.typeName()
    col = F.col(f"`{column}`")
    if kind == "timestamp":
        return F.unix_micros(col)
    if kind in ("timestamp_ntz", "date"):
        return F.unix_micros(col.cast("timestamp"))
    return F.unix_micros(F.try_to_timestamp(col.cast("string")))


def _literal(kind: str, value: datetime) -> str:
    text = value.isoformat(sep=" ", timespec="microseconds")  # strftime drops a year's leading zeros
    if kind == "timestamp_ntz":
        return f"TIMESTAMP_NTZ '{text}'"
    if kind == "date":
        return f"DATE '{value.date().isoformat()}'"
    return f"TIMESTAMP '{text}'"


def bound_filter(frame: Any, column: str, lower: datetime | None, upper: datetime | None) -> list[Any]:
    """Filters on the raw time column that Parquet scans push down (a superset of the window)."""
    from pyspark.sql import functions as F

    kind = frame.schema[column].dataType.typeName()
    if kind not in ("timestamp", "timestamp_ntz", "date"):
        return []
    name = f"`{column}`"
    filters = []
    if lower is not None:
        filters.append(F.expr(f"{name} >= {_literal(kind, lower)}"))
    if upper is not None:
        filters.append(F.expr(f"{name} <= {_literal(kind, upper)}"))
    return filters


def partition_filter(frame: Any, source: SourceSpec, lower: datetime | None, upper: datetime | None) -> list[Any]:
    """A filter on the date partition column, one day wider on each side (partitions in another zone)."""
    from pyspark.sql import functions as F

    batch = batch_source(source)
    if not batch.path or (lower is None and upper is None):
        return []
    candidates = [batch.date_partition_column] if batch.date_partition_column else list(DATE_PARTITION_KEYS)
    column = next((c for c in candidates if c in frame.columns), None)
    if column is None:
        return []
    lo = lower.date() - timedelta(days=1) if lower and lower.date() > date.min else date.min
    hi = upper.date() + timedelta(days=1) if upper and upper.date() < date.max else date.max
    col = F.col(f"`{column}`")
    kind = frame.schema[column].dataType.typeName()
    if kind == "date":
        return [col.between(F.expr(f"DATE '{lo.isoformat()}'"), F.expr(f"DATE '{hi.isoformat()}'"))]
    if kind in ("integer", "long"):  # dt=20240115
        day = col.between(int(lo.strftime("%Y%m%d")), int(hi.strftime("%Y%m%d")))
        return [day | (col < 10000101) | (col > 99991231)]
    if kind == "string":  # unreadable values keep their rows, as in the DuckDB engine
        parsed = F.to_date(F.try_to_timestamp(col))
        return [
            parsed.isNull() | parsed.between(F.expr(f"DATE '{lo.isoformat()}'"), F.expr(f"DATE '{hi.isoformat()}'"))
        ]
    return []


def scan(
    spark: Any,
    view: ViewSpec,
    features: list[str],
    lower: datetime | None,
    upper: datetime | None,
    resolve: Callable[[str], Path],
) -> SparkScan:
    """The view's rows with lower <= event time <= upper (naive UTC datetimes; None: unbounded)."""
    from pyspark.sql import functions as F

    source = view.batch_source
    if not source.timestamp_field:
        raise DataSourceError(f"data source {source.name!r} (feature view {view.name!r}) has no timestamp_field")
    raw = read_raw(spark, source, resolve, lower, upper)
    cols = mapped(raw, source)
    ts = source_column(cols, source, source.timestamp_field, "timestamp")
    created = source.created_timestamp_column
    cts = source_column(cols, source, created, "created timestamp") if created else ""
    keys = [source_column(cols, source, k, f"join key of feature view {view.name!r}") for k in view.join_keys]
    feats = [source_column(cols, source, f, f"feature of view {view.name!r}") for f in features]
    filters = bound_filter(raw, ts, lower, upper) + partition_filter(raw, source, lower, upper)
    for condition in filters:
        raw = raw.where(condition)
    columns = [F.col(f"`{c}`").alias(k) for c, k in zip(keys, view.join_keys, strict=True)]
    columns.append(micros(raw, ts).alias(US))
    if cts:
        columns.append(micros(raw, cts).alias(CUS))
    columns += [F.col(f"`{c}`").alias(f"c{i}") for i, c in enumerate(feats)]
    frame = raw.select(*columns).where(F.col(US).isNotNull())
    if lower is not None:
        frame = frame.where(F.col(US) >= _epoch_us(lower))
    if upper is not None:
        frame = frame.where(F.col(US) <= _epoch_us(upper))
    for key in view.join_keys:  # a null key matches nothing (as in an SQL equi-join)
        frame = frame.where(F.col(f"`{key}`").isNotNull())
    return SparkScan(frame, list(view.join_keys), len(features), bool(cts))


def _epoch_us(value: datetime) -> int:
    delta = value - datetime(1970, 1, 1)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
