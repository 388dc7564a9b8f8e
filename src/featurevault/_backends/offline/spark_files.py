"""Delta tables and ``s3://`` objects on Spark without Delta Lake's or Hadoop's S3A jars.

Spark reads Delta tables with Delta Lake's Spark package (``io.delta:delta-spark``) and ``s3a://``
paths with Hadoop's S3A connector (``hadoop-aws``); pyspark's wheel ships neither. When the session
has them (``spark.jars.packages``), Spark's own readers are used and this module stays out of the
way. When it does not:

- A Delta table's snapshot (at the source's or the request's ``as_of``) is resolved on the driver
  with the ``deltalake`` package: its active data files and their partition values, pruned to the
  date partitions the window needs. Spark reads exactly those Parquet files; partition columns are
  added with the table's types. A table whose protocol needs a reader feature that reading the data
  files as they are cannot honour (deletion vectors, column mapping, ...) is refused, naming it.
- ``s3://`` objects are listed on the driver with pyarrow's ``S3FileSystem`` (the DuckDB engine's
  listing: same endpoint and credential chain), pruned the same way, and read on the executors:
  ``mapInArrow`` over a DataFrame of object keys, each task opening its objects with pyarrow and
  yielding Arrow record batches, so the driver holds the listing only. The schema comes from the
  first object's footer (Parquet) or from the table (Delta on S3 combines both).

Executors use their own AWS credential chain; when the driver's environment has
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` (and ``AWS_SESSION_TOKEN``), they are handed to the
tasks, as Spark itself copies them into the ``fs.s3a.*`` settings it ships to executors.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial, reduce
from pathlib import Path
from typing import Any

import pyarrow as pa

from featurevault._backends.offline.duckdb_sources import SourceFiles, batch_source_of
from featurevault._backends.offline.object_store import SCHEME, failure_reason, filesystem, is_object_path
from featurevault.errors import DataSourceError, FeatureVaultError, first_line
from featurevault._backends.offline.specs import SourceSpec

logger = logging.getLogger(__name__)

S3A_FILESYSTEM = "org.apache.hadoop.fs.s3a.S3AFileSystem"
#: Delta reader features met by reading the add actions' Parquet files as they are
HONOURED_READER_FEATURES = frozenset({"timestampNtz", "v2Checkpoint", "vacuumProtocolCheck", "variantType"})
#: rows per record batch an executor yields
BATCH_ROWS = 65_536

_capabilities: dict[tuple[str, str], bool] = {}


# -- what the session can read by itself -----------------------------------------------------------


def has_delta(spark: Any) -> bool:
    """Whether the session has Delta Lake's data source (delta-spark on its class path)."""

    def probe() -> bool:
        conf = spark._jsparkSession.sessionState().conf()
        spark._jvm.org.apache.spark.sql.execution.datasources.DataSource.lookupDataSource("delta", conf)
        return True

    return _capability(spark, "delta", probe)


def has_s3a(spark: Any) -> bool:
    """Whether the session can open ``s3a://`` paths (Hadoop's S3AFileSystem on its class path)."""
    return _capability(
        spark, "s3a", lambda: bool(spark._jvm.org.apache.spark.util.Utils.classIsLoadable(S3A_FILESYSTEM))
    )


def _capability(spark: Any, what: str, probe: Callable[[], bool]) -> bool:
    try:
        key = (spark.sparkContext.applicationId, what)
    except Exception:  # no JVM behind the session (Spark Connect): let Spark's own readers answer
        return True
    if key not in _capabilities:
        try:
            _capabilities[key] = probe()
        except Exception as exc:  # Py4JJavaError: DATA_SOURCE_NOT_FOUND
            if not type(exc).__module__.startswith("py4j"):
                raise
            _capabilities[key] = False
        logger.info("spark session %s: %s %s", key[0], what, "available" if _capabilities[key] else "absent")
    return _capabilities[key]


# -- the files to read -----------------------------------------------------------------------------


@dataclass
class Snapshot:
    """The data files a read covers, each with its partition values (text; None: null)."""

    source: SourceSpec
    #: the table or prefix, for messages
    where: str
    #: local paths, or ``bucket/key`` for objects
    files: list[str]
    partitions: list[dict[str, str | None]]
    #: columns stored in the files
    data_schema: pa.Schema
    #: columns given by the partition values
    partition_schema: pa.Schema
    #: each file's least and greatest event time (naive UTC) from the table's statistics, when known
    spans: list[tuple[datetime | None, datetime | None]] | None = None

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([*self.data_schema, *self.partition_schema])

    def pruned(self, lower: datetime | None, upper: datetime | None) -> Snapshot:
        """Only the files whose date partition may hold rows in [lower, upper] (as the DuckDB engine prunes)."""
        text = [{k: v or "" for k, v in p.items()} for p in self.partitions]
        listing = SourceFiles(self.source, Path(self.where), "parquet", self.files, text)
        kept = set(listing.pruned(lower, upper))
        spans = self.spans or [(None, None)] * len(self.files)
        pairs = [
            (f, p, s)
            for f, p, s in zip(self.files, self.partitions, spans, strict=True)
            if f in kept and _overlaps(s, lower, upper)
        ]
        logger.debug("source %s: reading %d of %d files", self.source.name, len(pairs), len(self.files))
        return Snapshot(
            self.source,
            self.where,
            [f for f, _, _ in pairs],
            [p for _, p, _ in pairs],
            self.data_schema,
            self.partition_schema,
            [s for _, _, s in pairs] if self.spans else None,
        )


def _overlaps(span: tuple[datetime | None, datetime | None], lower: datetime | None, upper: datetime | None) -> bool:
    """Whether a file whose event times lie in ``span`` may hold rows in [lower, upper].

    Delta statistics keep timestamps to the millisecond (truncated): a file's greatest time is widened by one.
    """
    least, greatest = span
    if lower is not None and greatest is not None and greatest + timedelta(milliseconds=1) < lower:
        return False
    return not (upper is not None and least is not None and least > upper)


def delta_snapshot(source: SourceSpec, resolve: Callable[[str], Path]) -> Snapshot:
    """The active files of the Delta table version ``source`` reads (``as_of``), with typed partitions."""
    from featurevault._backends.offline.delta import open_table, timestamp_column
    from featurevault._backends.offline.delta_location import location as table_location

    on_s3 = is_object_path(source.path)
    location = table_location(source, resolve)
    endpoint = source.s3_endpoint_override or None
    table = open_table(source, location, getattr(source, "as_of", None))
    where = str(location) + (f" at {endpoint}" if on_s3 and endpoint else "")
    check_protocol(source, where, table)
    schema = pa.schema(table.schema())
    partition_columns = list(table.metadata().partition_columns)
    actions = pa.table(table.get_add_actions(flatten=True))
    relative = actions.column("path").to_pylist()
    if on_s3:
        root = str(location).removeprefix(SCHEME)
        files = [f"{root}/{p}" for p in relative]
    else:
        files = [str(Path(location) / p) for p in relative]
    values = {c: _texts(actions, f"partition.{c}") for c in partition_columns}
    parts = [{c: values[c][i] for c in partition_columns} for i in range(len(files))]
    return Snapshot(
        source,
        str(location),
        files,
        parts,
        pa.schema([f for f in schema if f.name not in partition_columns]),
        pa.schema([schema.field(c).with_nullable(True) for c in partition_columns]),
        _spans(actions, timestamp_column(source)),
    )


def check_protocol(source: SourceSpec, where: str, table: Any) -> None:
    """Refuse a table whose readers must do more than read its data files (deletion vectors, column mapping)."""
    protocol = table.protocol()
    features = set(protocol.reader_features or [])
    configuration = table.metadata().configuration or {}
    if protocol.min_reader_version == 2 or configuration.get("delta.columnMapping.mode", "none") != "none":
        features.add("columnMapping")
    if "variantType" in features and '"variant"' not in table.schema().to_json():
        features.discard("variantType")  # declared, but no column uses it
    refused = sorted(features - (HONOURED_READER_FEATURES - {"variantType"}))
    if protocol.min_reader_version > 3:
        refused.append(f"reader version {protocol.min_reader_version}")
    if refused:
        raise DataSourceError(
            f"data source {source.name!r}: the Delta table {where!r} uses the reader feature(s) {', '.join(refused)}, "
            "which the Spark engine honours only through Delta Lake's Spark package: add io.delta:delta-spark "
            "to spark_conf spark.jars.packages"
        )


def object_snapshot(source: SourceSpec, lower: datetime | None, upper: datetime | None) -> Snapshot:
    """The source's Parquet objects (the DuckDB engine's listing) of the date partitions in [lower, upper].

    The schema is the footer of the first object kept (of the first object when none is), so objects of
    other partitions are never opened.
    """
    import pyarrow.parquet as pq

    from featurevault._backends.offline.object_store import locate_objects

    objects = locate_objects(source)
    kept = objects.pruned(lower, upper)
    endpoint = source.s3_endpoint_override
    where = source.path + (f" at {endpoint}" if endpoint else "")
    first = kept[0] if kept else objects.files[0]
    try:
        data_schema = pq.read_schema(first, filesystem=objects.filesystem).remove_metadata()
    except (OSError, pa.ArrowInvalid) as exc:
        raise DataSourceError(
            f"data source {source.name!r}: cannot read the footer of {SCHEME}{first} ({where}): {failure_reason(exc)}"
        ) from exc
    keys = [k for k in (objects.partitions[0] if objects.hive else {}) if k not in data_schema.names]
    chosen = set(kept)
    parts: list[dict[str, str | None]] = [
        {k: p.get(k) for k in keys} for f, p in zip(objects.files, objects.partitions, strict=True) if f in chosen
    ]
    logger.debug("source %s: reading %d of %d objects", source.name, len(kept), len(objects.files))
    return Snapshot(source, where, kept, parts, data_schema, pa.schema([(k, pa.string()) for k in keys]))


# -- reading -----------------------------------------------------------------------------------------


def read(
    spark: Any,
    source: SourceSpec,
    resolve: Callable[[str], Path],
    lower: datetime | None = None,
    upper: datetime | None = None,
) -> Any | None:
    """The source's rows (lazy) when Spark lacks the jars to read it itself; None when it has them."""
    fsource = batch_source_of(source)
    on_s3 = is_object_path(fsource.path)
    if fsource.file_format == "delta":
        if has_delta(spark):
            return None
        snapshot = delta_snapshot(fsource, resolve).pruned(lower, upper)
    elif on_s3 and not has_s3a(spark):
        if fsource.file_format != "parquet":
            raise DataSourceError(
                f"data source {fsource.name!r}: {fsource.file_format} objects in {fsource.path!r} are read by Spark "
                "through Hadoop's S3A connector (hadoop-aws in spark_conf spark.jars.packages), which this session "
                "lacks; without it Spark reads Parquet and Delta objects only"
            )
        snapshot = object_snapshot(fsource, lower, upper)
    else:
        return None
    if on_s3 and not has_s3a(spark):
        return _object_frame(spark, snapshot)
    return _file_frame(spark, snapshot, on_s3)


def spark_schema(schema: pa.Schema) -> Any:
    """An Arrow schema as Spark's (naive timestamps as TIMESTAMP_NTZ, as Spark reads them from Parquet)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(arrow_ready(schema), prefer_timestamp_ntz=True)


def arrow_ready(schema: pa.Schema) -> pa.Schema:
    """The schema in the Arrow types Spark exchanges: microsecond timestamps, plain strings and lists."""
    return pa.schema([pa.field(f.name, _ready(f.type), nullable=True) for f in schema])


def _ready(typ: pa.DataType) -> pa.DataType:
    if pa.types.is_timestamp(typ):
        return pa.timestamp("us", typ.tz)
    if pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
        return pa.string()
    if pa.types.is_large_binary(typ) or pa.types.is_binary_view(typ):
        return pa.binary()
    if pa.types.is_dictionary(typ):
        return _ready(typ.value_type)
    if pa.types.is_list(typ) or pa.types.is_large_list(typ) or pa.types.is_list_view(typ):
        return pa.list_(_ready(typ.value_type))
    if pa.types.is_map(typ):
        return pa.map_(_ready(typ.key_type), _ready(typ.item_type))
    if pa.types.is_struct(typ):
        return pa.struct([pa.field(f.name, _ready(f.type)) for f in typ])
    return typ


def _file_frame(spark: Any, snapshot: Snapshot, on_s3: bool) -> Any:
    """Spark's Parquet reader over exactly the snapshot's files, partition values added as typed columns."""
    from pyspark.sql import DataFrame
    from pyspark.sql import functions as F

    data_type = spark_schema(snapshot.data_schema)
    groups: dict[tuple[str | None, ...], list[str]] = {}
    for file, parts in zip(snapshot.files, snapshot.partitions, strict=True):
        key = tuple(parts.get(f.name) for f in snapshot.partition_schema)
        groups.setdefault(key, []).append("s3a://" + file if on_s3 else file)
    frames = []
    try:
        for values, paths in groups.items():
            frame = spark.read.schema(data_type).parquet(*paths)
            for fld, value in zip(snapshot.partition_schema, values, strict=True):
                typ = spark_schema(pa.schema([fld]))[0].dataType
                frame = frame.withColumn(fld.name, F.lit(value).cast("string").try_cast(typ))
            frames.append(frame)
    except Exception as exc:  # AnalysisException: a file of the log is gone (vacuumed), ...
        raise DataSourceError(
            f"data source {snapshot.source.name!r}: Spark cannot read {snapshot.where!r}: {first_line(exc)}"
        ) from exc
    if not frames:
        return spark.createDataFrame([], spark_schema(snapshot.schema))
    return reduce(DataFrame.unionByName, frames)


@dataclass(frozen=True)
class ObjectReader:
    """What an executor needs to open the objects: the source's name, its endpoint, forwarded credentials."""

    source: str
    endpoint: str | None
    options: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def filesystem(self) -> Any:
        return filesystem(self.endpoint, **dict(self.options))


def forwarded_options() -> tuple[tuple[str, str], ...]:
    """The driver's environment credentials and region, for executors (see the module doc)."""
    env = os.environ
    options: dict[str, str] = {}
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        options = {"access_key": env["AWS_ACCESS_KEY_ID"], "secret_key": env["AWS_SECRET_ACCESS_KEY"]}
        if env.get("AWS_SESSION_TOKEN"):
            options["session_token"] = env["AWS_SESSION_TOKEN"]
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        options["region"] = region
    return tuple(sorted(options.items()))


def _object_frame(spark: Any, snapshot: Snapshot) -> Any:
    """The objects read on the executors: one row per object key, each task yielding its objects' batches."""
    from featurevault._backends.offline import spark_session

    schema = arrow_ready(snapshot.schema)
    target = spark_schema(schema)
    if not snapshot.files:
        return spark.createDataFrame([], target)
    rows = [(f, json.dumps(p)) for f, p in zip(snapshot.files, snapshot.partitions, strict=True)]
    slices = max(1, min(len(rows), spark.sparkContext.defaultParallelism * 4))
    keys = spark.createDataFrame(spark.sparkContext.parallelize(rows, slices), "key string, parts string")
    reader = ObjectReader(snapshot.source.name, snapshot.source.s3_endpoint_override or None, forwarded_options())
    with spark_session.arrow_only():
        return keys.mapInArrow(partial(read_objects, reader, schema), target)


def read_objects(reader: ObjectReader, schema: pa.Schema, keys: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """On an executor: the rows of the objects named in ``keys``, in ``schema`` (partition values added)."""
    import pyarrow.parquet as pq

    store = reader.filesystem()
    at = f" at {reader.endpoint}" if reader.endpoint else ""
    for batch in keys:
        for key, parts in zip(batch.column("key").to_pylist(), batch.column("parts").to_pylist(), strict=True):
            values = json.loads(parts)
            try:
                with store.open_input_file(key) as handle:
                    parquet = pq.ParquetFile(handle)
                    present = set(parquet.schema_arrow.names)
                    columns = [n for n in schema.names if n in present and n not in values]
                    for rows in parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns):
                        yield conform(rows, schema, values)
            except FeatureVaultError:
                raise
            except (OSError, pa.ArrowException) as exc:
                raise DataSourceError(
                    f"data source {reader.source!r}: cannot read {SCHEME}{key}{at}: {failure_reason(exc)}"
                ) from exc


def conform(rows: pa.RecordBatch, schema: pa.Schema, partitions: dict[str, str | None]) -> pa.RecordBatch:
    """A file's batch in ``schema``: partition values as typed columns, absent columns as nulls."""
    arrays = []
    for fld in schema:
        if fld.name in partitions:
            arrays.append(pa.array([partitions[fld.name]] * rows.num_rows, pa.string()).cast(fld.type))
        elif fld.name in rows.schema.names:
            column = rows.column(fld.name)
            unsafe = pa.types.is_timestamp(column.type) and pa.types.is_timestamp(fld.type)
            arrays.append(column.cast(fld.type, safe=not unsafe))
        else:
            arrays.append(pa.nulls(rows.num_rows, fld.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _spans(actions: pa.Table, column: str) -> list[tuple[datetime | None, datetime | None]] | None:
    """Each file's (min, max) of the event-time column from the add actions' statistics (naive UTC)."""
    low, high = f"min.{column}", f"max.{column}"
    if low not in actions.column_names or high not in actions.column_names:
        return None
    if not pa.types.is_timestamp(actions.schema.field(low).type):
        return None
    return list(zip(_naive(actions.column(low).to_pylist()), _naive(actions.column(high).to_pylist()), strict=True))


def _naive(values: list[datetime | None]) -> list[datetime | None]:
    return [v.astimezone(UTC).replace(tzinfo=None) if v is not None and v.tzinfo else v for v in values]


def _texts(actions: pa.Table, column: str) -> list[str | None]:
    if column not in actions.column_names:
        return [None] * actions.num_rows
    values = actions.column(column)
    if pa.types.is_date(values.type):
        return [None if v is None else v.isoformat() for v in values.to_pylist()]
    texts: list[str | None] = values.cast(pa.string()).to_pylist()
    return texts
