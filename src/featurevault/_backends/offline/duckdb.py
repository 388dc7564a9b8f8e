"""The embedded offline engine: DuckDB over Parquet and CSV files (hive partitions included).

A point-in-time join runs as one vectorised DuckDB query per feature view
(see :mod:`~featurevault._backends.offline.duckdb_pit` for the two plans, hash
join or ASOF join, picked per view from the source's rows per distinct key);
the matched rows are placed in entity order with one Arrow ``take``. DuckDB
spills to ``temp_directory`` when a join outgrows ``memory_limit``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict

from featurevault._backends.offline import delta, delta_location, duckdb_append
from featurevault._backends.offline.object_store import append_objects, is_object_path, locate_objects
from featurevault._backends.offline.base import EVENT_TS, OfflineStore, ViewRequest
from featurevault._backends.offline.entity_time import as_utc as _as_utc
from featurevault._backends.offline.entity_time import naive_utc as _naive
from featurevault._backends.offline.entity_time import utc_timestamps as _utc_timestamps
from featurevault._backends.offline.entity_time import window_lower as _lower
from featurevault._backends.offline.duckdb_pit import ENTITY, MATCHED, ViewScan, fetch_plan, latest_plan, match_plan
from featurevault._backends.offline.duckdb_sources import (
    ColumnMap,
    SourceFiles,
    batch_source_of,
    locate,
    quote,
    ts_literal,
)
from featurevault._backends.offline.specs import SourceSpec, ViewSpec
from featurevault._backends.offline.postgres_source import (
    PostgresConnection,
    postgres_source_schema,
    register_postgres_source,
)
from featurevault.errors import (
    BackendError,
    DataSourceError,
    EntityKeyError,
    PermissionDeniedError,
    SchemaMismatchError,
)

logger = logging.getLogger(__name__)

_UTC_US = pa.timestamp("us", tz="UTC")


class Config(BaseModel):
    """The ``offline_store`` section for the DuckDB engine."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: `duckdb` (`file` is accepted, as in Feast)
    type: Literal["duckdb", "file"] = "duckdb"
    #: DuckDB memory limit such as "4GB"; DuckDB's default (80% of RAM) when unset
    memory_limit: str | None = None
    #: where big joins spill; a directory under the system temp dir when unset
    temp_directory: str | None = None
    #: worker threads; DuckDB's default (all cores) when unset
    threads: int | None = None
    #: "auto" picks per view from source statistics; "hash" or "asof" force a plan
    join_strategy: Literal["auto", "hash", "asof"] = "auto"
    #: "auto" uses the hash plan while rows per distinct key stay at or below this
    hash_join_max_versions: float = 4.0
    #: where PostgreSQLSource tables live (else each source's connection_string, else PG* variables)
    postgres: PostgresConnection | None = None


class Store(OfflineStore):
    """DuckDB engine; one in-memory database, one cursor per call (safe across threads)."""

    type_name = "duckdb"

    def __init__(self, config: Config, resolve: Callable[[str], Path]) -> None:
        self.config = config
        self._resolve = resolve
        if config.temp_directory:
            temp_dir = str(resolve(config.temp_directory))
        else:
            temp_dir = os.path.join(tempfile.gettempdir(), f"featurevault-duckdb-{os.getpid()}")
        settings: dict[str, Any] = {"temp_directory": temp_dir}
        if config.memory_limit:
            settings["memory_limit"] = config.memory_limit
        if config.threads:
            settings["threads"] = config.threads
        self._db = duckdb.connect(":memory:", config=settings)

    @classmethod
    def from_config(cls, config: Any, *, resolve: Callable[[str], Path]) -> Store:
        return cls(config if isinstance(config, Config) else Config.model_validate(config), resolve)

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection of its own for one call; naive timestamps and TIMESTAMPTZ both mean UTC in it."""
        cur = self._db.cursor()
        try:
            cur.execute("SET TimeZone = 'UTC'")
            yield cur
        finally:
            cur.close()

    def close(self) -> None:
        self._db.close()

    # -- sources ----------------------------------------------------------------------------------

    def _locate(self, source: SourceSpec) -> SourceFiles:
        return locate(source, self._resolve)

    def _columns(self, cur: duckdb.DuckDBPyConnection, files: SourceFiles, reader: str) -> ColumnMap:
        try:
            described = cur.sql(f"DESCRIBE SELECT * FROM {reader}").fetchall()
        except duckdb.Error as exc:
            raise _source_error(files, exc) from exc
        return ColumnMap.of(files.source, [(row[0], row[1]) for row in described])

    def _scan(
        self,
        cur: duckdb.DuckDBPyConnection,
        view: ViewSpec,
        features: list[str],
        lower: datetime | None,
        upper: datetime | None,
        entity_keys: list[str] | None = None,
        entity_schema: pa.Schema | None = None,
    ) -> ViewScan:
        """SQL reading the columns of ``view`` that a call needs, in [lower, upper] (None: unbounded)."""
        if view.batch_source.kind == "postgres":
            files: Any = register_postgres_source(cur, view.batch_source, lower, upper, connection=self.config.postgres)
        else:
            files = self._locate(view.batch_source)
        chosen = files.pruned(lower, upper)
        if not chosen:  # no partition in range: read no rows, keep the columns
            chosen, lower, upper = files.files[:1], datetime.max, datetime.min
        reader = files.bind(cur, chosen)
        cols = self._columns(cur, files, reader)
        used = _UsedColumns.of(view, features, cols)
        entity_keys = list(entity_keys if entity_keys is not None else view.join_keys)
        if entity_schema is not None:
            _check_key_types(view, used.keys, entity_keys, cols, entity_schema)
        filters = cols.bound_filter(used.ts, lower, upper)
        part_col = files.source.date_partition_column
        if part_col in cols.types and part_col not in (files.partitions[0] if files.partitions else {}):
            filters += cols.date_filter(part_col, lower, upper)
        window = [f"__fv_ts >= {ts_literal(lower)}"] if lower is not None else []
        window += [f"__fv_ts <= {ts_literal(upper)}"] if upper is not None else []
        keys = [f"{quote(c)} AS {quote(k)}" for c, k in zip(used.keys, view.join_keys, strict=True)]
        ts = f"{cols.time_expr(used.ts)} AS __fv_ts"
        created = [f"{cols.time_expr(used.created)} AS __fv_cts"] if used.created else []
        feats = [f"{quote(c)} AS c{i}" for i, c in enumerate(used.features)]

        def table(columns: list[str]) -> str:
            where = f" WHERE {' AND '.join(filters)}" if filters else ""
            outer = f" WHERE {' AND '.join(window)}" if window else ""
            return f"(SELECT * FROM (SELECT {', '.join(columns)} FROM {reader}{where}){outer})"

        return ViewScan(
            narrow=table([*keys, ts]),
            wide=table([*keys, ts, *created, *feats]),
            keys=list(view.join_keys),
            entity_keys=entity_keys,
            n_features=len(features),
            has_created=bool(used.created),
            ttl_us=int(view.ttl_seconds * 1_000_000),
        )

    def schema(self, source: SourceSpec) -> pa.Schema:
        if source.kind == "postgres":
            raw = postgres_source_schema(source, connection=self.config.postgres)
            return pa.schema([f.with_name(source.field_mapping.get(f.name, f.name)) for f in raw])
        files = self._locate(source)
        mapping = files.source.field_mapping
        return pa.schema([f.with_name(mapping.get(f.name, f.name)) for f in self.schema_raw(files)])

    def time_range(self, view: ViewSpec) -> tuple[datetime | None, datetime | None]:
        with self._cursor() as cur:
            scan = self._scan(cur, view, [], None, None)
            low, high = self._rows(cur, f"SELECT min(__fv_ts), max(__fv_ts) FROM {scan.narrow}", view.name)[0]
        return (_as_utc(low), _as_utc(high))

    def over_view_rows(
        self, view: ViewSpec, start: datetime | None, end: datetime | None, build: Callable[[str], str]
    ) -> pa.Table:
        """Run ``build(rows)``, where ``rows`` is a subquery of the view's source rows in [start, end].

        ``rows`` has the join keys, the event time (naive UTC) under the source's timestamp
        field name, and the features, all under the view's names. Used by validation and profiles.
        """
        ts_name = view.batch_source.timestamp_field or "event_timestamp"
        with self._cursor() as cur:
            # Parquet statistics leave NaN out, and DuckDB's statistics propagation then folds
            # isnan(x) to false: the NaN checks of rules and profiles need it off
            cur.execute("SET disabled_optimizers = 'statistics_propagation'")
            scan = self._scan(cur, view, view.feature_names, _naive(start), _naive(end))
            columns = [quote(k) for k in view.join_keys] + [f"__fv_ts AS {quote(ts_name)}"]
            columns += [f"c{i} AS {quote(name)}" for i, name in enumerate(view.feature_names)]
            rows = f"(SELECT {', '.join(columns)} FROM {scan.wide})"
            try:
                return cur.sql(build(rows)).to_arrow_table()
            except duckdb.Error as exc:
                raise _query_error(f"the rows of feature view {view.name!r}", exc) from exc

    def feature_rows(self, view: ViewSpec, features: list[str], start: datetime, end: datetime) -> pa.Table:
        with self._cursor() as cur:
            scan = self._scan(cur, view, features, _naive(start), _naive(end))
            columns = ", ".join(f"c{i} AS {quote(name)}" for i, name in enumerate(features)) or "1 AS one"
            try:
                return cur.sql(f"SELECT {columns} FROM {scan.wide}").to_arrow_table()
            except duckdb.Error as exc:
                raise _query_error(f"the rows of feature view {view.name!r}", exc) from exc

    def query(self, sql: str, *, sandbox: bool = False) -> pa.Table:
        if sandbox:
            return self._sandboxed_query(sql)
        with self._cursor() as cur:
            try:
                return cur.sql(sql).to_arrow_table()
            except duckdb.Error as exc:
                raise DataSourceError(f"entity query failed: {exc}") from exc

    def _sandboxed_query(self, sql: str) -> pa.Table:
        """``sql`` in a database of its own with file access off and its settings locked.

        External access is a per-database switch in DuckDB, so the engine's own
        database (which reads the sources) cannot be used: this one has no tables,
        cannot read, write or attach files, load extensions or change settings.
        """
        settings: dict[str, Any] = {"autoload_known_extensions": False, "autoinstall_known_extensions": False}
        if self.config.memory_limit:
            settings["memory_limit"] = self.config.memory_limit
        db = duckdb.connect(":memory:", config=settings)
        try:
            db.execute("SET TimeZone = 'UTC'")
            db.execute("SET enable_external_access = false")
            db.execute("SET lock_configuration = true")
            try:
                relation = db.sql(sql)
                if relation is None:
                    raise DataSourceError("entity query returned no rows: it must be a SELECT (or VALUES)")
                return relation.to_arrow_table()
            except duckdb.PermissionException as exc:
                raise PermissionDeniedError(
                    f"entity query refused: {exc}; with auth on, an entity query reads no files or tables "
                    "(pass the entity rows as a DataFrame, or compute them in the query)"
                ) from exc
            except duckdb.Error as exc:
                raise DataSourceError(
                    f"entity query failed: {exc} (with auth on, an entity query reads no files or tables: "
                    "pass the entity rows as a DataFrame, or compute them in the query)"
                ) from exc
        finally:
            db.close()

    def append(self, source: SourceSpec, table: pa.Table) -> None:
        fsource = batch_source_of(source)
        if fsource.file_format == "delta":
            delta.append(fsource, delta_location.location(fsource, self._resolve), table)
            return
        if is_object_path(fsource.path):
            append_objects(locate_objects(fsource), table)
            return
        path = self._resolve(fsource.path)
        if not path.exists():
            duckdb_append.create(fsource, path, table)
            return
        files = self._locate(fsource)
        # CSV has no stored types: use what DuckDB reads back; Parquet keeps the files' own types
        existing = self.schema_raw(files) if files.file_format == "csv" else duckdb_append.parquet_schema(files)
        duckdb_append.append(files, existing, table)

    def schema_raw(self, files: SourceFiles) -> pa.Schema:
        """A source's schema under its own column names."""
        with self._cursor() as cur:
            try:
                return cur.sql(f"SELECT * FROM {files.bind(cur)} LIMIT 0").to_arrow_table().schema
            except duckdb.Error as exc:
                raise _source_error(files, exc) from exc

    # -- retrieval --------------------------------------------------------------------------------

    def historical(self, entity: pa.Table | str, requests: list[ViewRequest], *, timestamp_column: str) -> pa.Table:
        table = self.query(entity) if isinstance(entity, str) else entity
        if timestamp_column not in table.column_names:
            raise EntityKeyError(
                f"entity rows have no timestamp column {timestamp_column!r}; columns: {', '.join(table.column_names)}"
            )
        ts_utc = _utc_timestamps(table.column(timestamp_column), timestamp_column)
        table = table.set_column(table.column_names.index(timestamp_column), timestamp_column, ts_utc)
        if table.num_rows == 0:
            return _append_columns(table, requests, None)
        entity_frame = _entity_frame(table, ts_utc, requests)
        low, high = pc.min_max(ts_utc).values()
        with self._cursor() as cur:
            cur.register(ENTITY, entity_frame)
            columns: list[pa.ChunkedArray] = []
            for req in requests:
                entity_keys = [req.entity_column(k) for k in req.view.join_keys]
                lower, upper = _lower(low.as_py(), req.view), _naive(high.as_py() or datetime.min)
                scan = self._scan(cur, req.view, req.features, lower, upper, entity_keys, entity_frame.schema)
                columns += self._join(cur, req.view, scan, table.num_rows)
        return _append_columns(table, requests, columns)

    def _join(self, cur: duckdb.DuckDBPyConnection, view: ViewSpec, scan: ViewScan, n_rows: int) -> list[Any]:
        """One view's feature columns, aligned with the entity rows."""
        strategy = self._strategy(cur, view, scan)
        try:
            cur.execute(f"CREATE OR REPLACE TEMP TABLE {MATCHED} AS {match_plan(scan, strategy)}")
            matched = cur.sql(fetch_plan(scan, MATCHED)).to_arrow_table()
            cur.execute(f"DROP TABLE {MATCHED}")
        except duckdb.Error as exc:
            raise _query_error(f"feature view {view.name!r}", exc) from exc
        return _scatter(matched, n_rows, scan.has_created)

    def _strategy(self, cur: duckdb.DuckDBPyConnection, view: ViewSpec, scan: ViewScan) -> str:
        """ "hash" or "asof": the configured plan, or in "auto" the one suited to the source's rows per key."""
        strategy = self.config.join_strategy
        if not scan.keys:
            strategy = "asof"  # a hash join without keys would pair every row with every row
        elif strategy == "auto":
            keys = ", ".join(quote(k) for k in scan.keys)
            rows, distinct = self._rows(
                cur, f"SELECT count(*), approx_count_distinct(hash({keys})) FROM {scan.narrow}", view.name
            )[0]
            versions = rows / max(distinct, 1)
            strategy = "hash" if versions <= self.config.hash_join_max_versions else "asof"
            logger.debug("view %s: %d rows, ~%.1f per key -> %s plan", view.name, rows, versions, strategy)
        return strategy

    def _rows(self, cur: duckdb.DuckDBPyConnection, sql: str, what: str) -> list[tuple[Any, ...]]:
        try:
            return cur.sql(sql).fetchall()
        except duckdb.Error as exc:
            raise _query_error(f"feature view {what}", exc) from exc

    def latest_per_key(
        self, view: ViewSpec, start: datetime | None, end: datetime, *, batch_rows: int = 100_000
    ) -> Iterator[pa.RecordBatch]:
        names = [*view.join_keys, EVENT_TS, *view.feature_names]
        with self._cursor() as cur:
            scan = self._scan(cur, view, view.feature_names, _naive(start), _naive(end))
            try:
                reader = cur.sql(latest_plan(scan)).to_arrow_reader(batch_rows)
                for batch in reader:
                    yield _with_utc_event_ts(batch, names, len(view.join_keys))
            except duckdb.Error as exc:
                raise _query_error(f"the latest rows of feature view {view.name!r}", exc) from exc


# -- helpers ---------------------------------------------------------------------------------------


@dataclass
class _UsedColumns:
    """The source columns (own names) a scan of a view reads."""

    ts: str
    created: str
    keys: list[str]
    features: list[str]

    @classmethod
    def of(cls, view: ViewSpec, features: list[str], cols: ColumnMap) -> _UsedColumns:
        source = view.batch_source
        if not source.timestamp_field:
            raise DataSourceError(f"data source {source.name!r} (feature view {view.name!r}) has no timestamp_field")
        created = source.created_timestamp_column
        return cls(
            ts=cols.source_column(source, source.timestamp_field, "timestamp"),
            created=cols.source_column(source, created, "created timestamp") if created else "",
            keys=[cols.source_column(source, k, f"join key of feature view {view.name!r}") for k in view.join_keys],
            features=[cols.source_column(source, f, f"feature of view {view.name!r}") for f in features],
        )


def _check_key_types(
    view: ViewSpec, key_cols: list[str], entity_keys: list[str], cols: ColumnMap, entity: pa.Schema
) -> None:
    """Text keys against numbers would fail deep in the join (or match nothing): say so up front."""
    for key_col, entity_key in zip(key_cols, entity_keys, strict=True):
        entity_type = entity.field(entity_key).type
        if pa.types.is_dictionary(entity_type):
            entity_type = entity_type.value_type
        entity_text = pa.types.is_string(entity_type) or pa.types.is_large_string(entity_type)
        source_text = cols.types[key_col].upper() == "VARCHAR"
        if entity_text != source_text:
            raise SchemaMismatchError(
                f"join key {entity_key!r} is {entity_type} in the entity rows but {cols.types[key_col]} "
                f"in the source of feature view {view.name!r}"
            )


def _source_error(files: SourceFiles, exc: Exception) -> DataSourceError:
    return DataSourceError(f"data source {files.source.name!r}: cannot read {str(files.path)!r}: {exc}")


def _query_error(what: str, exc: Exception) -> DataSourceError | BackendError:
    # unreadable or malformed files are the source's fault; anything else is the engine's
    if isinstance(exc, (duckdb.IOException, duckdb.InvalidInputException)):
        return DataSourceError(f"reading {what} failed: {exc}")
    return BackendError(f"offline query for {what} failed: {exc}")


def _entity_frame(table: pa.Table, ts_utc: pa.ChunkedArray, requests: list[ViewRequest]) -> pa.Table:
    """The narrow table DuckDB joins against: join keys, ``__fv_ts`` (naive UTC us), ``__fv_row``."""
    columns: dict[str, Any] = {}
    for req in requests:
        for key in req.view.join_keys:
            col = req.entity_column(key)
            if col not in table.column_names:
                raise EntityKeyError(
                    f"entity rows lack join key {col!r} needed by feature view {req.view.name!r}; "
                    f"columns: {', '.join(table.column_names)}"
                )
            columns[col] = table.column(col)
    columns["__fv_ts"] = ts_utc.cast(_UTC_US).cast(pa.timestamp("us"))
    columns["__fv_row"] = pa.array(np.arange(table.num_rows, dtype=np.int64))
    return pa.table(columns)


def _scatter(matched: pa.Table, n_rows: int, has_created: bool) -> list[pa.ChunkedArray]:
    """Feature columns with one value per entity row, in entity order (null where nothing matched).

    ``matched`` holds ``__fv_row``, ``__fv_cts`` when the source has it, and
    the features, in any order. Placing rows with one Arrow ``take`` is
    cheaper than a join and a sort of the wide rows in SQL.
    """
    rows = matched.column(0).to_numpy()
    picked = np.arange(len(rows), dtype=np.int64)
    if len(rows) and np.bincount(rows, minlength=n_rows).max() > 1:
        rows, picked = _latest_created(matched, rows, has_created)
    positions = np.full(n_rows, -1, dtype=np.int64)
    positions[rows] = picked
    indices = pa.array(positions, mask=positions < 0)
    return [pc.take(column, indices) for column in matched.columns[2 if has_created else 1 :]]


def _latest_created(matched: pa.Table, rows: np.ndarray, has_created: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per entity row, the matched row with the greatest created time (a missing one counts as earliest)."""
    if has_created:
        created = pc.cast(matched.column(1), pa.int64()).fill_null(np.iinfo(np.int64).min).to_numpy()
        order = np.lexsort((created, rows))
    else:
        order = np.argsort(rows, kind="stable")
    ordered = rows[order]
    last = np.append(ordered[1:] != ordered[:-1], True)
    return ordered[last], order[last]


def _append_columns(table: pa.Table, requests: list[ViewRequest], columns: list[pa.ChunkedArray] | None) -> pa.Table:
    names = [name for req in requests for name in req.output_names]
    clash = [n for n in names if n in table.column_names]
    if clash:
        raise EntityKeyError(
            f"entity rows already have column(s) {', '.join(clash)}, which are also requested features"
        )
    arrays = columns if columns is not None else [pa.nulls(0) for _ in names]
    for name, array in zip(names, arrays, strict=True):
        table = table.append_column(name, array)
    return table


def _with_utc_event_ts(batch: pa.RecordBatch, names: list[str], ts_index: int) -> pa.RecordBatch:
    arrays = list(batch.columns)
    arrays[ts_index] = arrays[ts_index].cast(_UTC_US)
    return pa.RecordBatch.from_arrays(arrays, names=names)


__all__ = ["Config", "Store"]
