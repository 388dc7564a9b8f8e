"""The scale-out offline engine: Apache Spark (``offline_store: {type: spark, spark_conf: {...}}``).

The same point-in-time semantics as the DuckDB engine, row for row (see
:mod:`~featurevault._backends.offline.spark_pit` for the plan). Results stay in
Spark as lazy DataFrames until a caller collects them: ``RetrievalJob.to_spark_df()``
never moves rows to the driver; ``to_arrow``/``to_df`` collect through Arrow.
With ``batch_engine: spark``, materialization computes the latest row per key
in Spark and writes it to the online store from the executors
(:meth:`Store.write_latest`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from featurevault._backends.offline import spark_session
from featurevault._backends.offline.base import (
    EVENT_TS,
    FrameEngine,
    OfflineStore,
    PartitionSink,
    PartitionWriter,
    ViewRequest,
)
from featurevault._backends.offline.entity_time import naive_utc, utc_timestamps, window_lower
from featurevault._backends.offline.spark_pit import ROW, join_view, latest
from featurevault._backends.offline.spark_sources import US, batch_source, read_raw, scan
from featurevault import errors
from featurevault.errors import (
    BackendError,
    DataSourceError,
    EntityKeyError,
    FeatureVaultError,
    PermissionDeniedError,
    SchemaMismatchError,
)
from featurevault._backends.offline.specs import SourceSpec, ViewSpec

logger = logging.getLogger(__name__)


class Config(BaseModel):
    """The ``offline_store`` section for the Spark engine."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the Spark offline store (pyspark; `pip install 'featurevault[spark]'`)
    type: Literal["spark"] = "spark"
    #: Spark settings, as in ``spark-defaults.conf`` (``spark.master``, executor memory, S3A keys, ...)
    spark_conf: dict[str, str] = {}


class Store(OfflineStore, FrameEngine, PartitionWriter):
    """Spark engine. One SparkSession per process, shared by every store built in it."""

    type_name = "spark"

    def __init__(self, config: Config, resolve: Callable[[str], Path]) -> None:
        self.config = config
        self._resolve = resolve
        self._spark: Any = None

    @classmethod
    def from_config(cls, config: Any, *, resolve: Callable[[str], Path]) -> Store:
        return cls(config if isinstance(config, Config) else Config.model_validate(config), resolve)

    @property
    def spark(self) -> Any:
        """The SparkSession, started on first use (starting a JVM takes seconds)."""
        if self._spark is None:
            self._spark = spark_session.session(self.config.spark_conf)
        return self._spark

    # -- sources ----------------------------------------------------------------------------------

    def schema(self, source: SourceSpec) -> pa.Schema:
        raw = read_raw(self.spark, source, self._resolve)
        mapping = batch_source(source).field_mapping
        arrow = spark_session.to_arrow(raw.limit(0)).schema
        return pa.schema([f.with_name(mapping.get(f.name, f.name)) for f in arrow])

    def time_range(self, view: ViewSpec) -> tuple[datetime | None, datetime | None]:
        from pyspark.sql import functions as F

        frame = scan(self.spark, view, [], None, None, self._resolve).frame
        low, high = self._run(lambda: frame.agg(F.min(US), F.max(US)).collect()[0], f"feature view {view.name!r}")
        return _from_us(low), _from_us(high)

    def query(self, sql: str, *, sandbox: bool = False) -> pa.Table:
        if sandbox:
            raise PermissionDeniedError(
                "entity_df as SQL is refused here: Spark SQL can read any table or path, so it cannot run sandboxed; "
                "send the entity rows as data"
            )
        return self.collect(self._sql(sql))

    def _sql(self, sql: str) -> Any:
        try:
            return self.spark.sql(sql)
        except Exception as exc:  # AnalysisException / ParseException
            raise DataSourceError(f"entity query failed: {str(exc).splitlines()[0]}") from exc

    def append(self, source: SourceSpec, table: pa.Table) -> None:
        batch = batch_source(source)
        if batch.kind == "spark" and batch.table:
            frame = spark_session.to_spark(self.spark, _utc_columns(table))
            self._run(lambda: frame.write.insertInto(batch.table), f"appending to table {batch.table!r}")
            return
        if batch.kind == "spark" and not batch.path:
            raise DataSourceError(f"data source {batch.name!r} is a query: rows cannot be appended to it")
        # files: the embedded engine's writer (atomic per file, keeps the files' types, hive partitions)
        from featurevault._backends.offline import duckdb as embedded

        writer = embedded.Store(embedded.Config(), self._resolve)
        try:
            writer.append(_as_file_source(batch), table)
        finally:
            writer.close()

    # -- retrieval --------------------------------------------------------------------------------

    def is_frame(self, value: Any) -> bool:
        return type(value).__module__.startswith("pyspark.sql") and hasattr(value, "schema")

    def frame_schema(self, entity: Any) -> pa.Schema:
        frame = self._sql(entity) if isinstance(entity, str) else entity
        return spark_session.to_arrow(frame.limit(0)).schema

    def historical(self, entity: pa.Table | str, requests: list[ViewRequest], *, timestamp_column: str) -> pa.Table:
        like = entity.schema if isinstance(entity, pa.Table) else None
        return self.collect(self.historical_frame(entity, requests, timestamp_column=timestamp_column), like)

    def historical_frame(self, entity: Any, requests: list[ViewRequest], *, timestamp_column: str) -> Any:
        from pyspark.sql import functions as F

        frame, low, high = self._entity_frame(entity, requests, timestamp_column)
        _check_clashes(frame.columns, requests)
        user_columns = [c for c in frame.columns if c not in (ROW, US)]
        for req in requests:
            entity_keys = [req.entity_column(k) for k in req.view.join_keys]
            lower, upper = window_lower(low, req.view), naive_utc(high or datetime.min)
            view_scan = scan(self.spark, req.view, req.features, lower, upper, self._resolve)
            _check_key_types(req.view, entity_keys, frame, view_scan.frame)
            ttl_us = int(req.view.ttl_seconds * 1_000_000)
            frame = join_view(frame, view_scan, entity_keys, req.output_names, ttl_us)
        outputs = [name for req in requests for name in req.output_names]
        return frame.orderBy(F.col(ROW)).select(*[F.col(f"`{c}`") for c in [*user_columns, *outputs]])

    def collect(self, frame: Any, like: pa.Schema | None = None) -> pa.Table:
        table = self._run(lambda: spark_session.to_arrow(frame), "a historical retrieval")
        return _restore_types(table, like) if like is not None else table

    def _entity_frame(
        self, entity: Any, requests: list[ViewRequest], timestamp_column: str
    ) -> tuple[Any, datetime | None, datetime | None]:
        """The entity rows in Spark with ``__fv_row`` and ``__fv_us``, and their earliest and latest time."""
        from pyspark.sql import functions as F

        if isinstance(entity, pa.Table):
            _require_columns(entity.column_names, requests, timestamp_column)
            ts = utc_timestamps(entity.column(timestamp_column), timestamp_column)
            table = entity.set_column(entity.column_names.index(timestamp_column), timestamp_column, ts)
            table = table.append_column(ROW, pa.array(np.arange(table.num_rows, dtype=np.int64)))
            low, high = pc.min_max(ts).values()
            frame = spark_session.to_spark(self.spark, table)
            return frame.withColumn(US, F.unix_micros(F.col(f"`{timestamp_column}`"))), low.as_py(), high.as_py()
        frame = self._sql(entity) if isinstance(entity, str) else entity
        _require_columns(frame.columns, requests, timestamp_column)
        ts = _utc_column(frame, timestamp_column)
        frame = frame.withColumn(timestamp_column, ts).withColumn(ROW, F.monotonically_increasing_id())
        frame = frame.withColumn(US, F.unix_micros(F.col(f"`{timestamp_column}`")))
        low_us, high_us = self._run(lambda: frame.agg(F.min(US), F.max(US)).collect()[0], "the entity rows")
        return frame, _from_us(low_us), _from_us(high_us)

    def _run(self, action: Callable[[], Any], what: str) -> Any:
        try:
            return action()
        except Exception as exc:
            if type(exc).__module__.startswith(("pyspark", "py4j")):
                raise _spark_error(exc, what) from exc
            raise

    # -- materialization --------------------------------------------------------------------------

    def _latest_frame(self, view: ViewSpec, start: datetime | None, end: datetime) -> Any:
        from pyspark.sql import functions as F

        view_scan = scan(self.spark, view, view.feature_names, naive_utc(start), naive_utc(end), self._resolve)
        picked = latest(view_scan)
        features = [F.col(f"c{i}").alias(name) for i, name in enumerate(view.feature_names)]
        keys = [F.col(f"`{k}`") for k in view.join_keys]
        return picked.select(*keys, F.timestamp_micros(F.col(US)).alias(EVENT_TS), *features)

    def latest_per_key(
        self, view: ViewSpec, start: datetime | None, end: datetime, *, batch_rows: int = 100_000
    ) -> Iterator[pa.RecordBatch]:
        frame = self._latest_frame(view, start, end)
        table = self._run(lambda: spark_session.to_arrow(frame), f"the latest rows of feature view {view.name!r}")
        yield from table.to_batches(max_chunksize=batch_rows)

    def write_latest(
        self, view: ViewSpec, start: datetime | None, end: datetime, sink: PartitionSink, *, partitions: int | None
    ) -> tuple[int, int]:
        from pyspark.sql import functions as F

        frame = self._latest_frame(view, start, end)
        if partitions:
            frame = frame.repartition(partitions)
        with spark_session.arrow_only():
            counts = frame.mapInArrow(partial(_run_sink, sink), "written long, kept long")
        totals = counts.agg(F.sum("written"), F.sum("kept"))
        written, kept = self._run(lambda: totals.collect()[0], f"materializing feature view {view.name!r}")
        return int(written or 0), int(kept or 0)


# -- helpers ---------------------------------------------------------------------------------------


_WORKER_ERROR = re.compile(r"featurevault\.errors\.(\w+): (.*)")


def _spark_error(exc: Exception, what: str) -> FeatureVaultError:
    """A Spark failure as our error; one raised by our code on an executor keeps its class and message."""
    text = str(exc)
    raised = _WORKER_ERROR.search(text)
    if raised:
        kind = getattr(errors, raised.group(1), None)
        if isinstance(kind, type) and issubclass(kind, FeatureVaultError):
            return kind(f"{raised.group(2).strip()} (on a Spark executor, {what})")
    kind = DataSourceError if "PATH_NOT_FOUND" in text or "FileNotFound" in text else BackendError
    return kind(f"Spark failed on {what}: {errors.first_line(exc)}")


def _run_sink(sink: PartitionSink, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """On an executor: write one partition, yield its counts."""
    written = kept = 0
    for done, newer in sink(batches):
        written, kept = written + done, kept + newer
    yield pa.RecordBatch.from_pydict({"written": [written], "kept": [kept]})


def _from_us(value: int | None) -> datetime | None:
    if value is None:
        return None
    return datetime(1970, 1, 1, tzinfo=UTC) + np.timedelta64(int(value), "us").item()


def _require_columns(columns: list[str], requests: list[ViewRequest], timestamp_column: str) -> None:
    if timestamp_column not in columns:
        raise EntityKeyError(
            f"entity rows have no timestamp column {timestamp_column!r}; columns: {', '.join(columns)}"
        )
    for req in requests:
        for key in req.view.join_keys:
            col = req.entity_column(key)
            if col not in columns:
                raise EntityKeyError(
                    f"entity rows lack join key {col!r} needed by feature view {req.view.name!r}; "
                    f"columns: {', '.join(columns)}"
                )


def _check_clashes(columns: list[str], requests: list[ViewRequest]) -> None:
    clash = [n for req in requests for n in req.output_names if n in columns]
    if clash:
        raise EntityKeyError(
            f"entity rows already have column(s) {', '.join(clash)}, which are also requested features"
        )


def _is_text(data_type: Any) -> bool:
    return data_type.typeName() in ("string", "varchar", "char")


def _check_key_types(view: ViewSpec, entity_keys: list[str], entity: Any, source: Any) -> None:
    """Text keys against numbers would match nothing: say so up front, as the DuckDB engine does."""
    for key, entity_key in zip(view.join_keys, entity_keys, strict=True):
        entity_type, source_type = entity.schema[entity_key].dataType, source.schema[key].dataType
        if _is_text(entity_type) != _is_text(source_type):
            raise SchemaMismatchError(
                f"join key {entity_key!r} is {entity_type.simpleString()} in the entity rows but "
                f"{source_type.simpleString()} in the source of feature view {view.name!r}"
            )


def _utc_column(frame: Any, column: str) -> Any:
    """An entity timestamp column of a DataFrame as a UTC timestamp (naive times are UTC)."""
    from pyspark.sql import functions as F

    kind = frame.schema[column].dataType.typeName()
    col = F.col(f"`{column}`")
    if kind == "timestamp":
        return col
    if kind in ("timestamp_ntz", "date"):
        return col.cast("timestamp")
    if kind == "string":
        return F.try_to_timestamp(col)
    raise EntityKeyError(f"entity timestamp column {column!r} has type {kind}, not a timestamp")


def _utc_columns(table: pa.Table) -> pa.Table:
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz != "UTC":
            table = table.set_column(i, field.name, table.column(i).cast(pa.timestamp("us", tz="UTC")))
    return table


def _restore_types(table: pa.Table, like: pa.Schema) -> pa.Table:
    """Entity columns back in the caller's types (Spark widens dictionaries, large strings, ...)."""
    for field in like:
        i = table.schema.get_field_index(field.name)
        if i < 0 or table.schema.field(i).type == field.type or pa.types.is_timestamp(field.type):
            continue
        try:
            table = table.set_column(i, field.name, table.column(i).cast(field.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return table


def _as_file_source(batch: SourceSpec) -> SourceSpec:
    if batch.kind == "spark":
        return replace(batch, kind="file", type_name="FileSource", table="", query="", date_partition_column="")
    return batch


__all__ = ["Config", "Store"]
