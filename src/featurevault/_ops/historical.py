"""Historical retrieval: point-in-time correct training data for the rows of an entity frame.

The offline engine does the join; this module turns the user's request into
per-view work, runs on-demand transformations on the joined rows, drops
features fetched only as their inputs, and orders the columns.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from featurevault._backends.offline.base import FrameEngine, OfflineStore, ViewRequest
from featurevault.errors import EntityKeyError, RequestError, SchemaMismatchError
from featurevault._model import OnDemandFeatureView, RepoContents
from featurevault._model.flags import FlagSet
from featurevault._ops.flag_mask import FlagMask, build_mask
from featurevault._ops.offline_specs import source_spec, view_spec
from featurevault._ops.join_keys import conform_key_column, join_key_types
from featurevault._ops.resolve import OdfvPart, ResolvedRequest, ViewPart, resolve_features

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

#: the entity timestamp column used when an entity frame has it
DEFAULT_TIMESTAMP_COLUMN = "event_timestamp"


@dataclass(frozen=True)
class RetrievalMetadata:
    """What a retrieval returned: its feature columns, join keys and time span."""

    features: list[str]
    keys: list[str]
    min_event_timestamp: datetime | None
    max_event_timestamp: datetime | None


class RetrievalJob:
    """A historical retrieval, run on the first call to :meth:`to_arrow` or :meth:`to_df`."""

    def __init__(
        self,
        offline: OfflineStore,
        resolved: ResolvedRequest,
        entity: Any,
        *,
        full_feature_names: bool,
        sandbox_sql: bool = False,
        flag_mask: FlagMask | None = None,
    ) -> None:
        self._offline = offline
        self._flag_mask = flag_mask
        self._sandbox_sql = sandbox_sql
        self._resolved = resolved
        self._entity = entity
        self._full_feature_names = full_feature_names
        self._result: pa.Table | None = None
        self._entity_columns: list[str] = []

    @property
    def full_feature_names(self) -> bool:
        return self._full_feature_names

    @property
    def on_demand_feature_views(self) -> list[OnDemandFeatureView]:
        return [part.view for part in self._resolved.odfvs]

    @property
    def feature_columns(self) -> list[str]:
        """The feature columns of the result: stored views' features (grouped by view), then on-demand ones."""
        return list(self._resolved.output_names)

    def to_arrow(self) -> pa.Table:
        """The training rows: the entity columns, then :attr:`feature_columns`."""
        if self._result is None:
            self._result = self._run()
        return self._result

    def to_df(self, validation_reference: Any = None, timeout: Any = None) -> pd.DataFrame:
        """:meth:`to_arrow` as a pandas DataFrame (timestamps tz-aware UTC).

        With a ``validation_reference`` the result is checked against it first
        (ValidationFailed, carrying the report, when it breaks the expectations).
        """
        if validation_reference is not None:
            table = self.to_arrow()
            validation_reference.enforce(table)
            checked: pd.DataFrame = table.to_pandas()
            return checked
        if self._result is not None:
            kept: pd.DataFrame = self._result.to_pandas()
            return kept
        # Nobody else holds the Arrow result: free each buffer as it is converted, so the
        # peak is one copy of the training frame rather than two.
        frame: pd.DataFrame = self._run().to_pandas(self_destruct=True, split_blocks=True)
        return frame

    @property
    def metadata(self) -> RetrievalMetadata:
        table = self.to_arrow()
        ts = table.column(timestamp_column(table.select(self._entity_columns).schema))
        low, high = pc.min_max(ts).values()
        return RetrievalMetadata(self.feature_columns, list(self._resolved.join_keys), low.as_py(), high.as_py())

    def to_spark_df(self) -> Any:
        """The training rows as a Spark DataFrame, left in Spark (offline_store type spark); nothing is collected."""
        if not isinstance(self._offline, FrameEngine):
            raise RequestError(
                f"to_spark_df needs the spark offline store; this store's engine is {self._offline.type_name!r}"
            )
        if self._resolved.odfvs:
            names = ", ".join(part.view.name for part in self._resolved.odfvs)
            raise RequestError(
                f"to_spark_df: on-demand feature view(s) {names} run on collected rows; use to_df() or to_arrow()"
            )
        return self._frame(self._entity_rows())[0]

    def _entity_rows(self) -> Any:
        """The entity rows; SQL that must run sandboxed (or that only the engine can run) is run here."""
        entity = self._entity
        if isinstance(entity, str) and (self._sandbox_sql or not isinstance(self._offline, FrameEngine)):
            queried = self._offline.query(entity, sandbox=self._sandbox_sql)
            return conform_entity_keys(_unique_columns(queried), self._resolved)
        return entity

    def _frame(self, entity: Any) -> tuple[Any, list[ViewRequest], dict[tuple[str, str], str]]:
        """The engine's lazy join of the entity rows (a frame engine only)."""
        assert isinstance(self._offline, FrameEngine)
        schema = entity.schema if isinstance(entity, pa.Table) else self._offline.frame_schema(entity)
        self._entity_columns = list(schema.names)
        _check_request_columns(schema.empty_table(), self._resolved)
        requests, columns = _view_requests(self._resolved.views)
        frame = self._offline.historical_frame(entity, requests, timestamp_column=timestamp_column(schema))
        return frame, requests, columns

    def _joined(self) -> tuple[pa.Table, dict[tuple[str, str], str]]:
        """The entity rows with every view's features, collected as Arrow."""
        entity = self._entity_rows()
        if isinstance(self._offline, FrameEngine) and not isinstance(entity, pa.Table):
            frame, _, columns = self._frame(entity)
            return self._offline.collect(frame), columns
        self._entity_columns = list(entity.column_names)
        ts_column = timestamp_column(entity.schema)
        _check_request_columns(entity, self._resolved)
        requests, columns = _view_requests(self._resolved.views)
        return self._offline.historical(entity, requests, timestamp_column=ts_column), columns

    def _run(self) -> pa.Table:
        joined, columns = self._joined()
        logger.debug("historical join: %d rows, %d views", joined.num_rows, len(self._resolved.views))
        outputs: dict[str, Any] = {
            out: joined.column(out)
            for part in self._resolved.views
            for feat, out in zip(part.features, part.output_names, strict=True)
            if feat not in part.hidden
        }
        if self._resolved.odfvs:
            outputs.update(_on_demand_outputs(joined, self._entity_columns, self._resolved, columns))
        arrays = [joined.column(c) for c in self._entity_columns] + [outputs[n] for n in self._resolved.output_names]
        table = pa.table(arrays, names=self._entity_columns + self._resolved.output_names)
        return _switch_off(table, self._flag_mask, self._resolved.output_names) if self._flag_mask else table


def _switch_off(table: pa.Table, mask: FlagMask, output_names: list[str]) -> pa.Table:
    """Null the features a flag turns off for a row (as serving would: ``respect_flags=True``)."""
    keys = {k for rule in mask.rules for k in rule.join_keys if k in table.column_names}
    columns = {name: table.column(name).to_pylist() for name in keys}
    for rule, off in mask.off_rows(columns, table.num_rows):
        off_array = pa.array(off, pa.bool_())
        for col in rule.columns:
            name = output_names[col]
            column = table.column(name)
            table = table.set_column(
                table.column_names.index(name), name, pc.if_else(off_array, pa.scalar(None, column.type), column)
            )
    return table


def get_historical_features(
    offline: OfflineStore,
    contents: RepoContents,
    entity_df: Any,
    features: Any,
    *,
    full_feature_names: bool = False,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    sandbox_sql: bool = False,
    flags: FlagSet | None = None,
    as_of: Any = None,
) -> RetrievalJob:
    """Plan a point-in-time retrieval; bad requests fail here, the join runs on ``to_df``/``to_arrow``.

    Without ``entity_df``, the rows are every entity key with an event in
    [``start_date``, ``end_date``] (``end_date`` defaults to now, ``start_date``
    to the beginning of the data), each at ``end_date``: its latest values in the window.
    ``sandbox_sql``: an ``entity_df`` given as SQL runs where it can read no file or table (auth on).
    ``as_of``: read every view's Delta table at this version (int) or time (see ops.time_travel).
    """
    if features is None:
        raise RequestError("pass features (a list of 'view:feature' references) or a feature service")
    resolved = resolve_features(contents, features, full_feature_names=full_feature_names)
    if as_of is not None:
        from featurevault._ops.time_travel import pin

        resolved = pin(resolved, as_of)
    if entity_df is None:
        entity_df = entities_in_window(offline, resolved, start_date, end_date)
    elif start_date is not None or end_date is not None:
        raise RequestError("give either entity_df or start_date/end_date, not both")
    entity = entity_input(entity_df, offline)
    if isinstance(entity, pa.Table):
        entity = parse_text_timestamps(entity, timestamp_column(entity.schema))
        entity = conform_entity_keys(entity, resolved)
        _check_request_columns(entity, resolved)
        for part in resolved.views:
            missing = [k for k in part.view.join_keys if k not in entity.column_names]
            if missing:
                raise EntityKeyError(
                    f"entity_df lacks join key {missing[0]!r} of feature view {part.view.name!r}; "
                    f"its columns are {', '.join(entity.column_names)}"
                )
    mask = build_mask(resolved, contents, flags) if flags else None
    return RetrievalJob(
        offline,
        resolved,
        entity,
        full_feature_names=full_feature_names,
        sandbox_sql=sandbox_sql,
        flag_mask=mask if mask is not None and mask.rules else None,
    )


def entities_in_window(
    offline: OfflineStore, resolved: ResolvedRequest, start: datetime | None, end: datetime | None
) -> pa.Table:
    """One row per entity key with an event in [start, end] in any requested view, at ``end``."""
    end = _utc(end) if end is not None else datetime.now(timezone.utc)
    start = _utc(start) if start is not None else None
    if start is not None and start > end:
        raise RequestError(f"start_date {start.isoformat()} is after end_date {end.isoformat()}")
    key_sets = {tuple(sorted(part.view.join_keys)) for part in resolved.views}
    if len(key_sets) != 1:
        described = "; ".join(f"{p.view.name}: {', '.join(p.view.join_keys) or 'none'}" for p in resolved.views)
        raise RequestError(
            "without entity_df every requested feature view must have the same join keys "
            f"({described}); pass an entity_df instead"
        )
    keys = list(key_sets.pop())
    at_end = pa.timestamp("us", tz="UTC")
    if not keys:  # views without entities: one row, at the end of the window
        return pa.table({DEFAULT_TIMESTAMP_COLUMN: pa.array([end], at_end)})
    batches = [
        b.select(keys) for part in resolved.views for b in offline.latest_per_key(view_spec(part.view), start, end)
    ]
    if batches:
        entity = pa.Table.from_batches(batches).group_by(keys).aggregate([])
    else:
        source_schema = offline.schema(source_spec(resolved.views[0].view.batch_source))
        entity = pa.table({k: pa.array([], source_schema.field(k).type) for k in keys})
    entity = entity.select(keys).sort_by([(k, "ascending") for k in keys])
    return entity.append_column(DEFAULT_TIMESTAMP_COLUMN, pa.array([end] * entity.num_rows, at_end))


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def entity_input(entity_df: Any, offline: OfflineStore | None = None) -> Any:
    """The entity rows as an Arrow table, a SQL query for the engine to run, or the engine's own DataFrame."""
    if isinstance(offline, FrameEngine) and offline.is_frame(entity_df):
        return entity_df
    if isinstance(entity_df, str):
        if not entity_df.strip():
            raise RequestError("entity_df is an empty SQL string")
        return entity_df
    if isinstance(entity_df, pa.Table):
        return _unique_columns(entity_df)
    if isinstance(entity_df, pa.RecordBatch):
        return _unique_columns(pa.Table.from_batches([entity_df]))
    import pandas as pd

    if isinstance(entity_df, pd.DataFrame):
        _check_unique([str(c) for c in entity_df.columns])
        try:
            return pa.Table.from_pandas(entity_df, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise RequestError(f"entity_df cannot be converted to columns: {exc}") from exc
    raise RequestError(
        f"entity_df must be a pandas DataFrame, a pyarrow Table or a SQL string, not {type(entity_df).__name__}"
    )


def parse_text_timestamps(entity: pa.Table, column: str) -> pa.Table:
    """An entity frame whose event times are text ("2024-01-15", ISO 8601 with or without an
    offset) gets them as UTC timestamps; values without an offset are taken as UTC, as Feast does."""
    field = entity.schema.field(column)
    if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
        return entity
    import pandas as pd

    text = entity.column(column).to_pandas()
    try:
        parsed = pd.to_datetime(text, utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise EntityKeyError(
            f"entity_df column {column!r} holds text that is not an ISO 8601 time ({exc}); "
            "use values such as '2024-01-15' or '2024-01-15T10:00:00+02:00'"
        ) from None
    values = pa.array(parsed, type=pa.timestamp("us", tz="UTC"), from_pandas=True)
    return entity.set_column(entity.schema.get_field_index(column), column, values)


def _unique_columns(table: pa.Table) -> pa.Table:
    _check_unique(table.column_names)
    return table


def _check_unique(names: list[str]) -> None:
    twice = [name for name, count in Counter(names).items() if count > 1]
    if twice:
        raise RequestError(
            f"entity_df has more than one column named {', '.join(repr(n) for n in twice)}; "
            "each column needs its own name"
        )


def conform_entity_keys(entity: pa.Table, resolved: ResolvedRequest) -> pa.Table:
    """The entity frame with its join-key columns converted to their declared types (or a named error)."""
    for key, dtype in join_key_types(part.view for part in resolved.views).items():
        if key in entity.column_names:
            index = entity.column_names.index(key)
            column = entity.column(index)
            converted = conform_key_column(column, dtype, key)
            if converted is not column:
                entity = entity.set_column(index, key, converted)
    return entity


def timestamp_column(schema: pa.Schema) -> str:
    """``event_timestamp`` if present, else the only timestamp-typed column."""
    if DEFAULT_TIMESTAMP_COLUMN in schema.names:
        return DEFAULT_TIMESTAMP_COLUMN
    found: list[str] = [f.name for f in schema if pa.types.is_timestamp(f.type) or pa.types.is_date(f.type)]
    if len(found) == 1:
        return found[0]
    described = ", ".join(f"{f.name} ({f.type})" for f in schema)
    reason = "has several timestamp columns" if found else "has no timestamp column"
    raise EntityKeyError(
        f"entity_df {reason}: name the event time column {DEFAULT_TIMESTAMP_COLUMN!r}; columns found: {described}"
    )


def _check_request_columns(entity: pa.Table, resolved: ResolvedRequest) -> None:
    for part in resolved.odfvs:
        missing = [f.name for f in part.view.request_fields if f.name not in entity.column_names]
        if missing:
            raise RequestError(
                f"on-demand feature view {part.view.name!r} needs request column(s) {', '.join(missing)} "
                f"in entity_df; its columns are {', '.join(entity.column_names)}"
            )


def _view_requests(parts: list[ViewPart]) -> tuple[list[ViewRequest], dict[tuple[str, str], str]]:
    """Engine requests, and (view alias, feature) -> engine column.

    Features fetched only for on-demand views get private column names, so
    they can never collide with a requested feature of the same name.
    """
    requests, columns = [], {}
    for part in parts:
        names = []
        for feat, out in zip(part.features, part.output_names, strict=True):
            name = f"__fv_hidden__{part.name_to_use}__{feat}" if feat in part.hidden else out
            names.append(name)
            columns[(part.name_to_use, feat)] = name
        requests.append(ViewRequest(view_spec(part.view), list(part.features), names))
    return requests, columns


def _on_demand_outputs(
    joined: pa.Table, entity_columns: list[str], resolved: ResolvedRequest, columns: dict[tuple[str, str], str]
) -> dict[str, pa.Array]:
    """Run each on-demand view once over all rows; its inputs under short and ``view__feature`` names."""
    base = joined.select(entity_columns).to_pandas()
    outputs: dict[str, pa.Array] = {}
    for part in resolved.odfvs:
        frame = base.copy(deep=False)
        for projection in part.view.source_feature_view_projections.values():
            alias = projection.name_to_use
            for feat in projection.features:
                values = joined.column(columns[(alias, feat)]).to_pandas()
                frame[feat] = values
                frame[f"{alias}__{feat}"] = values
        outputs.update(_transform(part, frame))
    return outputs


def _transform(part: OdfvPart, frame: pd.DataFrame) -> dict[str, pa.Array]:
    view = part.view
    try:
        result = view.transform(frame)
    except Exception as exc:  # the user's function: report which view failed
        raise RequestError(f"on-demand feature view {view.name!r}: its transformation raised {exc!r}") from exc
    outputs = {}
    for feat, out in zip(part.features, part.output_names, strict=True):
        if feat not in result:
            raise SchemaMismatchError(f"on-demand feature view {view.name!r}: its transformation returned no {feat!r}")
        values = result[feat]
        if len(values) != len(frame):
            raise SchemaMismatchError(
                f"on-demand feature view {view.name!r}: {feat!r} has {len(values)} values for {len(frame)} rows"
            )
        dtype = view.feature(feat).dtype
        try:
            outputs[out] = pa.array(values, type=dtype.to_arrow(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise SchemaMismatchError(
                f"on-demand feature view {view.name!r}: {feat!r} cannot be read as {dtype.name}: {exc}"
            ) from exc
    return outputs
