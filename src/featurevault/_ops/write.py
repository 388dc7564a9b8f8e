"""Writes that bypass materialization: push and write_to_online_store.

Rows are validated against the view schema before anything is written: a
missing join key, timestamp or feature column, or a value of the wrong type,
raises an error naming the column and view, and nothing is stored. Within a
frame, the latest row per entity key (by event time, later rows winning ties)
is what the online store keeps.
"""

from __future__ import annotations

import logging
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from featurevault._backends.offline.base import EVENT_TS
from featurevault.errors import (
    DataSourceNotFoundError,
    EntityKeyError,
    FeatureViewNotFoundError,
    RequestError,
    SchemaMismatchError,
)
from featurevault._model import FeatureView, PushSource, RepoContents
from featurevault._model.push_mode import PushMode
from featurevault._ops import codec
from featurevault._ops.context import DataContext, guard_of, whole_store
from featurevault._ops.offline_specs import source_spec
from featurevault._quality.enforce import has_rules
from featurevault._quality.gate import QualityGate
from featurevault._model.types import FeatureType, UnixTimestamp

logger = logging.getLogger(__name__)

DEFAULT_TIMESTAMP = "event_timestamp"


def _view(store: DataContext, name: str, operation: str) -> FeatureView:
    contents: RepoContents = store.registry.contents()
    view = contents.feature_views.get(name)
    if view is None:
        known = ", ".join(sorted(contents.feature_views)) or "none"
        raise FeatureViewNotFoundError(f"{operation}: no feature view named {name!r} (known: {known})")
    return view


def write_to_online_store(store: DataContext, feature_view_name: str, df: Any, gate: QualityGate | None = None) -> int:
    """Validate ``df`` against the view and its rules, upsert its latest row per entity key.

    Returns the entity keys written (rows quarantined by a rule are not among them).
    """
    view = _view(store, feature_view_name, "write_to_online_store")
    frame = _Frame(df)
    prepared = prepare_rows(view, frame)
    gate = _gate_for(store, [view], gate)
    if gate is None:
        return _write_online(store, view, prepared)
    verdict = gate.check(view, prepared)
    gate.keep(view, verdict.quarantined, operation="write_to_online_store", target="online")
    return _write_online(store, view, verdict.passing) if verdict.passing.num_rows else 0


def write_to_offline_store(store: DataContext, feature_view_name: str, df: Any, gate: QualityGate | None = None) -> int:
    """Validate ``df`` against the view (its rules included) and append it to the view's batch source.

    Returns the rows written; rows failing a ``quarantine`` rule are kept in the quarantine instead.
    """
    view = _view(store, feature_view_name, "write_to_offline_store")
    frame = _Frame(df)
    prepared = [(view, prepare_rows(view, frame))]
    gate = _gate_for(store, [view], gate)
    accepted = None
    if gate is not None:
        prepared, accepted = _gate_push(gate, prepared, PushMode.OFFLINE, operation="write_to_offline_store")
    table = _offline_rows(view.batch_source, prepared, frame, accepted)
    if table.num_rows:
        store.offline_store.append(source_spec(view.batch_source), table)
    return frame.num_rows if accepted is None else int(pc.sum(accepted).as_py() or 0)


def push(
    store: DataContext,
    push_source_name: str,
    df: Any,
    to: PushMode | str = PushMode.ONLINE,
    gate: QualityGate | None = None,
) -> int:
    """Write ``df`` to every view fed by the push source: online, to its batch source, or both.

    Everything is validated first, the views' rules included: a failing ``block`` rule
    refuses the whole frame; a row failing a ``quarantine`` rule of any view fed is kept
    in the quarantine (under each view whose rule it broke) and written nowhere. The
    offline append runs before the online writes, so a failure in between leaves the
    offline copy (the source of truth) complete and a re-push only refreshes online
    values. Returns the rows accepted.
    """
    mode = _push_mode(to)
    contents: RepoContents = store.registry.contents()
    source = _push_source(contents, push_source_name)
    views = [v for v in contents.feature_views.values() if v.stream_source and v.stream_source.name == source.name]
    if not views:
        logger.warning("push source %r feeds no feature view", source.name)
    frame = _Frame(df)
    prepared = [(view, prepare_rows(view, frame)) for view in views]
    gate = _gate_for(store, views, gate)
    accepted = None
    if gate is not None:
        prepared, accepted = _gate_push(gate, prepared, mode)
    online_rows = [(v, t) for v, t in prepared if v.online] if mode != PushMode.OFFLINE else []
    offline_table = _offline_rows(source.batch_source, prepared, frame, accepted) if mode != PushMode.ONLINE else None
    if offline_table is not None and offline_table.num_rows:
        store.offline_store.append(source_spec(source.batch_source), offline_table)
    for view, table in online_rows:
        if table.num_rows:
            _write_online(store, view, table)
    return frame.num_rows if accepted is None else int(pc.sum(accepted).as_py() or 0)


def _gate_for(store: DataContext, views: list[FeatureView], gate: QualityGate | None) -> QualityGate | None:
    """The call's gate; views with rules and no gate given get the store's own (never unchecked)."""
    if gate is not None or not any(has_rules(v) for v in views):
        return gate
    whole = whole_store(store)
    if whole is None:
        names = ", ".join(repr(v.name) for v in views if has_rules(v))
        raise RequestError(f"feature view {names} has rules, and no quality gate was given for the write")
    return whole.quality_gate()


def _gate_push(
    gate: QualityGate, prepared: list[tuple[FeatureView, pa.Table]], mode: PushMode, operation: str = "push"
) -> tuple[list[tuple[FeatureView, pa.Table]], pa.Array | None]:
    """Check every view first (a block refuses all), keep the quarantined rows, drop them from every write."""
    verdicts = [(view, gate.check(view, table)) for view, table in prepared]
    failed = [v.failed_mask for _, v in verdicts if v.failed_mask is not None]
    if not failed:
        return prepared, None
    bad = failed[0]
    for mask in failed[1:]:
        bad = pc.or_(bad, mask)
    target = mode.name.lower()
    for view, verdict in verdicts:
        gate.keep(view, verdict.quarantined, operation=operation, target=target)
    accepted = pc.invert(bad)
    return [(view, table.filter(accepted)) for view, table in prepared], accepted


# -- validation ---------------------------------------------------------------------------------


class _Frame:
    """The rows given (pandas DataFrame, Arrow table or dict of lists), read one column at a time."""

    def __init__(self, data: Any) -> None:
        if isinstance(data, pa.RecordBatch):
            data = pa.Table.from_batches([data])
        if isinstance(data, pa.Table):
            self.arrow: pa.Table | None = data
            self.columns = list(data.column_names)
            self.num_rows = data.num_rows
            self.data: Any = None
        elif hasattr(data, "columns") and hasattr(data, "iloc"):  # a pandas DataFrame
            self.arrow, self.data = None, data
            self.columns = [str(c) for c in data.columns]
            self.num_rows = len(data)
        elif isinstance(data, dict):
            self.arrow, self.data = None, {k: list(v) for k, v in data.items()}
            self.columns = list(self.data)
            lengths = {len(v) for v in self.data.values()}
            if len(lengths) > 1:
                raise RequestError(f"rows to write: columns have different lengths {sorted(lengths)}")
            self.num_rows = lengths.pop() if lengths else 0
        else:
            raise RequestError(
                f"rows to write must be a pandas DataFrame, Arrow table or dict of lists, not {type(data).__name__}"
            )

    def column(self, name: str, dtype: FeatureType, what: str) -> pa.Array | pa.ChunkedArray:
        if self.arrow is not None:
            return codec.conform_column(self.arrow.column(name), dtype, what=what)
        return codec.values_to_arrow(self.data[name], dtype, what=what)

    def raw(self, name: str) -> pa.Array | pa.ChunkedArray:
        if self.arrow is not None:
            return self.arrow.column(name)
        try:
            return pa.array(self.data[name], from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise SchemaMismatchError(f"column {name!r}: values of mixed or unsupported types ({exc})") from None


def prepare_rows(view: FeatureView, frame: _Frame) -> pa.Table:
    """Join keys, :data:`EVENT_TS` and features of ``view`` from ``frame``, typed as declared."""
    mapping = dict(view.batch_source.field_mapping)
    source_names = {view_name: source_name for source_name, view_name in mapping.items()}

    def find(name: str) -> str | None:
        for candidate in (name, source_names.get(name)):
            if candidate is not None and candidate in frame.columns:
                return candidate
        return None

    columns: dict[str, Any] = {}
    key_types = {f.name: f.dtype for f in view.entity_columns}
    for key in view.join_keys:
        found = find(key)
        if found is None:
            raise EntityKeyError(
                f"join key {key!r} of feature view {view.name!r} is missing (columns: {frame.columns})"
            )
        what = f"join key {key!r} of feature view {view.name!r}"
        column = frame.column(found, key_types[key], what) if key in key_types else frame.raw(found)
        if column.null_count:
            raise EntityKeyError(f"{what} has {column.null_count} null value(s)")
        columns[key] = column
    ts_name = mapping.get(_timestamp_field(view), _timestamp_field(view))
    found = find(ts_name)
    if found is None:
        raise SchemaMismatchError(
            f"event timestamp column {ts_name!r} of feature view {view.name!r} is missing (columns: {frame.columns})"
        )
    columns[EVENT_TS] = frame.column(found, UnixTimestamp, f"event timestamp {ts_name!r} of feature view {view.name!r}")
    if columns[EVENT_TS].null_count:
        raise SchemaMismatchError(f"event timestamp {ts_name!r} of feature view {view.name!r} has null values")
    for f in view.features:
        found = find(f.name)
        if found is None:
            raise SchemaMismatchError(
                f"feature {f.name!r} of feature view {view.name!r} is missing (columns: {frame.columns})"
            )
        columns[f.name] = frame.column(found, f.dtype, f"feature {f.name!r} of feature view {view.name!r}")
    return pa.table(columns)


def latest_per_key(view: FeatureView, table: pa.Table) -> tuple[list[bytes], pa.Table]:
    """Entity keys and rows of ``table`` keeping only the latest row per key (later rows win ties)."""
    keys = codec.pack_keys(table, view.join_keys)
    stamps = codec.column_values(table.column(EVENT_TS))
    order = sorted(range(len(keys)), key=stamps.__getitem__)
    latest = dict(zip([keys[i] for i in order], order, strict=True))
    if len(latest) == len(keys):
        return keys, table
    rows = sorted(latest.values())
    return [keys[i] for i in rows], table.take(rows)


def _write_online(store: DataContext, view: FeatureView, table: pa.Table) -> int:
    keys, table = latest_per_key(view, table)
    layout = codec.Layout.of(view.features)
    records = codec.pack_records(_sealed(store, view, table, keys), layout, EVENT_TS)
    # the layout travels in the same write, so a reader never meets a record without its layout
    store.online_store.write(view.name, [layout.key, *keys], [layout.pack(), *records])
    return len(keys)


def _offline_rows(
    batch: Any, prepared: list[tuple[FeatureView, pa.Table]], frame: _Frame, accepted: pa.Array | None = None
) -> pa.Table:
    """The rows for a batch source, columns under the source's own names, typed as the views declare.

    ``accepted`` (when rules quarantined rows) selects the frame's rows to keep; ``prepared``
    is already filtered by it.
    """
    combined: dict[str, Any] = {}
    for _, table in prepared:
        for name in table.column_names:
            combined.setdefault(name, table.column(name))
    ts_name = batch.timestamp_field or DEFAULT_TIMESTAMP
    if EVENT_TS in combined:
        combined[ts_name] = combined.pop(EVENT_TS)
    created = batch.created_timestamp_column

    def keep(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
        return column.filter(accepted) if accepted is not None else column

    if created and created in frame.columns:
        combined[created] = keep(frame.column(created, UnixTimestamp, f"created timestamp {created!r}"))
    for name in frame.columns:  # columns no view reads still belong to the source's rows
        if name not in combined and batch.field_mapping.get(name, name) not in combined:
            combined[name] = keep(frame.raw(name))
    reverse = {view_name: source_name for source_name, view_name in batch.field_mapping.items()}
    return pa.table({reverse.get(name, name): column for name, column in combined.items()})


def _timestamp_field(view: FeatureView) -> str:
    return view.batch_source.timestamp_field or DEFAULT_TIMESTAMP


def _push_source(contents: RepoContents, name: str) -> PushSource:
    source = contents.data_sources.get(name)
    if source is None:
        fed = (v.stream_source for v in contents.feature_views.values() if v.stream_source)
        source = next((s for s in fed if s.name == name), None)
    if not isinstance(source, PushSource):
        pushes = sorted({n for n, s in contents.data_sources.items() if isinstance(s, PushSource)})
        raise DataSourceNotFoundError(f"no push source named {name!r} (push sources: {', '.join(pushes) or 'none'})")
    return source


def _push_mode(to: PushMode | str) -> PushMode:
    if isinstance(to, PushMode):
        return to
    try:
        return PushMode[str(to).upper()]
    except KeyError:
        raise RequestError(f"push: 'to' must be one of {[m.name for m in PushMode]}, got {to!r}") from None


def _sealed(store: DataContext, view: FeatureView, table: pa.Table, keys: list[bytes]) -> pa.Table:
    """PII columns encrypted, each value bound to its row's entity key, when PII is encrypted at rest."""
    guard = guard_of(store)  # stand-ins (benchmarks) wire no guard
    return guard.seal_at_rest(view.name, table, keys) if guard is not None else table
