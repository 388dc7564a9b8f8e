"""Materialization: load the latest value per entity key from the offline store into the online store.

In views fed by a push source, a value is never replaced by an older one:
where the online store already holds a newer record for a key (pushed since
the source row was written), that record stays. (This costs one read per
batch, so views without a push source skip it.) Work is chunked: the offline engine yields record batches
of the latest row per key, each is packed and written in one online write, so
memory stays bounded. Re-running a window writes the same records again (idempotent). A
run that fails part-way leaves every key readable (old or new record, never a
mix) and the view's watermark unchanged, so the next incremental run resumes
from the same place.

Watermarks live in the registry's operational state, namespace
``"materialization"``, one entry per view: ``{"start", "end", "rows", "at"}``.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from featurevault._backends.offline.base import EVENT_TS
from featurevault.errors import FeatureViewNotFoundError, RequestError, SchemaMismatchError
from featurevault._model import FeatureView, RepoContents
from featurevault._ops import codec
from featurevault._ops.context import DataContext, OpsContext, guard_of, whole_store
from featurevault._ops.offline_specs import view_spec
from featurevault._quality.enforce import has_block_rules, has_rules
from featurevault._quality.gate import QualityGate
from featurevault._model.types import UnixTimestamp

if TYPE_CHECKING:
    from featurevault._backends.offline.specs import ViewSpec
    from featurevault._backends.online.base import OnlineStore

logger = logging.getLogger(__name__)

NAMESPACE = "materialization"
BATCH_ROWS = 100_000


#: ``progress(view, rows_done, rows_total)``: called after each batch written (``rows_total`` None while
#: unknown), and once more when the view is done (``rows_total == rows_done``)
ProgressCallback = Callable[[str, int, "int | None"], None]

#: ``seal(table, entity_keys)``: the table with its PII columns encrypted, each value bound to its row's key
Sealer = Callable[[pa.Table, Sequence[bytes]], pa.Table]


@dataclass(frozen=True)
class ViewMaterialization:
    """What one view's run did: the window, rows written and how long it took."""

    view: str
    start: datetime | None
    end: datetime
    rows: int
    seconds: float
    #: keys left alone because the online store already held a newer value (e.g. pushed)
    kept_newer: int = 0
    #: rows a ``quarantine`` rule kept out (rows read = rows + kept_newer + quarantined)
    quarantined: int = 0


@dataclass
class MaterializeResult:
    views: list[ViewMaterialization] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(v.rows for v in self.views)

    def __iter__(self) -> Iterator[ViewMaterialization]:
        return iter(self.views)

    def __len__(self) -> int:
        return len(self.views)

    def lines(self) -> list[str]:
        """One human-readable line per view (for the CLI)."""
        return [
            f"{v.view}: {v.rows} rows from {v.start.isoformat() if v.start else 'the beginning'} "
            f"to {v.end.isoformat()} in {v.seconds:.2f}s"
            + (f" ({v.kept_newer} newer online values kept)" if v.kept_newer else "")
            + (f" ({v.quarantined} rows quarantined)" if v.quarantined else "")
            for v in self.views
        ] or ["no feature views to materialize"]


def materialize(
    store: OpsContext,
    start: datetime,
    end: datetime,
    feature_views: list[str] | None = None,
    *,
    progress: ProgressCallback | None = None,
    gate: QualityGate | None = None,
) -> MaterializeResult:
    """Write, per entity key, the latest row with ``start <= event time <= end`` of each view."""
    start, end = _utc(start), _utc(end)
    if start > end:
        raise RequestError(f"materialize: start {start.isoformat()} is after end {end.isoformat()}")
    views = views_to_materialize(store.registry.contents(), feature_views)
    return MaterializeResult([_materialize_view(store, _Run(view, start, end, progress, gate)) for view in views])


def materialize_incremental(
    store: OpsContext,
    end: datetime,
    feature_views: list[str] | None = None,
    *,
    progress: ProgressCallback | None = None,
    gate: QualityGate | None = None,
) -> MaterializeResult:
    """Materialize each view from its watermark (first run: ``end - ttl``, or all data when ttl is 0)."""
    end = _utc(end)
    views = views_to_materialize(store.registry.contents(), feature_views)
    marks = watermarks(store)
    present = set(store.online_store.tables())
    result = MaterializeResult()
    for view in views:
        mark = marks.get(view.name)
        if mark and view.name not in present:
            # the online table is gone (wiped, lost, a fresh store): its watermark no longer says what is there
            logger.warning("online table of %s is missing: materializing it from the start", view.name)
            mark = None
        start = _incremental_start(store, view, mark, end)
        result.views.append(_materialize_view(store, _Run(view, start, end, progress, gate)))
    return result


def watermarks(store: DataContext) -> dict[str, dict[str, Any]]:
    """Each view's last successful run: ``{"start", "end", "rows", "at"}`` (ISO-8601 times)."""
    marks: dict[str, dict[str, Any]] = store.registry.registry.get_state(store.project, NAMESPACE)
    return marks


def views_to_materialize(contents: RepoContents, names: list[str] | None) -> list[FeatureView]:
    if names is None:
        return [v for v in contents.feature_views.values() if v.online]
    views = []
    for name in names:
        view = contents.feature_views.get(name)
        if view is None:
            known = ", ".join(sorted(contents.feature_views)) or "none"
            raise FeatureViewNotFoundError(f"materialize: no feature view named {name!r} (known: {known})")
        if not view.online:
            raise RequestError(f"materialize: feature view {name!r} has online=False, so it is not served online")
        views.append(view)
    return views


def _incremental_start(
    store: DataContext, view: FeatureView, mark: dict[str, Any] | None, end: datetime
) -> datetime | None:
    if mark and mark.get("end"):
        # an end before the watermark re-reads only rows stamped exactly at ``end`` (idempotent)
        return min(datetime.fromisoformat(mark["end"]), end)
    if view.ttl:
        return end - view.ttl
    first, _ = store.offline_store.time_range(view_spec(view))
    return first


def first_start(store: DataContext, view: FeatureView, end: datetime) -> datetime | None:
    """Where a view's first incremental run starts: ``end - ttl``, or its first row when ttl is 0."""
    return _incremental_start(store, view, None, _utc(end))


def materialize_view(
    store: DataContext,
    view: FeatureView,
    start: datetime | None,
    end: datetime,
    progress: ProgressCallback | None = None,
) -> ViewMaterialization:
    """One view over one window, through whatever ``store.online_store`` is (rebuilds pass a staging one)."""
    return _materialize_view(store, _Run(view, start, _utc(end), progress))


@dataclass(frozen=True)
class _Run:
    """One view's materialization: its window, who hears of progress, and the gate its rows pass."""

    view: FeatureView
    start: datetime | None
    end: datetime
    progress: ProgressCallback | None = None
    gate: QualityGate | None = None

    @property
    def spec(self) -> ViewSpec:
        return view_spec(self.view)


def _materialize_view(store: DataContext, run: _Run) -> ViewMaterialization:
    began = time.perf_counter()
    view, start, end = run.view, run.start, run.end
    run = replace(run, gate=_gate_for(store, view, run.gate))
    gate = run.gate
    if gate is not None:  # ``unique`` rules see every source row of the window, not one batch
        gate.scan_window(store.offline_store, view, start, end, spec=run.spec)
    if gate is not None and has_block_rules(view):
        _check_block_rules(store, run, gate)  # before anything is written
    layout = codec.Layout.of(view.features)
    store.online_store.write(view.name, [layout.key], [layout.pack()])
    seal = _sealer(store, view)  # built here: the packing thread must not touch the registry
    whole = whole_store(store)
    if whole is not None and whole.config.batch_engine.distributed and gate is None:
        counts = _write_from_workers(whole, run, seal)
    else:  # rules are checked (and rows quarantined) where the rows arrive: here
        counts = _write_from_here(store, run, layout, seal)
    rows = counts.written
    seconds = time.perf_counter() - began
    _set_watermark(store, view, start, end, rows)
    if run.progress is not None:
        run.progress(view.name, rows, rows)
    logger.info("materialized %s: %d rows in %.2fs (%s .. %s)", view.name, rows, seconds, start, end)
    return ViewMaterialization(view.name, start, end, rows, seconds, counts.kept_newer, counts.quarantined)


def _write_from_here(store: DataContext, run: _Run, layout: codec.Layout, seal: Sealer | None) -> _Counts:
    """The embedded path: the offline engine streams batches to this process, which writes them."""
    online = store.online_store
    view = run.view
    counts = _Counts(gate=run.gate)
    batches = store.offline_store.latest_per_key(run.spec, run.start, run.end, batch_rows=BATCH_ROWS)
    # Pack batch i+1 on a worker thread while batch i is written: SQLite and the network drivers
    # release the GIL while they work, so the two overlap. At most two packed batches are held.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="materialize-pack") as packer:
        pending: Future[_Packed] | None = None
        for batch in batches:
            future = packer.submit(_pack_batch, view, layout, batch, seal, run.gate)
            if pending is not None:
                _write_packed(online, view, pending.result(), counts, run.progress)
            pending = future
        if pending is not None:
            _write_packed(online, view, pending.result(), counts, run.progress)
    return counts


def _write_from_workers(store: OpsContext, run: _Run, seal: Sealer | None) -> _Counts:
    """``batch_engine: spark``: the engine's workers write their partitions; only counts come back here."""
    from featurevault._backends.offline.base import PartitionWriter
    from featurevault._config import ONLINE_STORES, section_config
    from featurevault._ops.materialize_sink import OnlineSink

    engine = store.offline_store
    config = store.config
    if not isinstance(engine, PartitionWriter):
        raise RequestError(f"batch_engine {config.batch_engine.type!r} needs an offline store that runs it")
    sink = OnlineSink(
        module=ONLINE_STORES[config.online_store.type],
        config=section_config(config, "online_store"),
        project=store.project,
        repo_path=str(store.repo_path),
        view=run.view,
        seal=seal,
    )
    partitions = config.batch_engine.partitions
    written, kept = engine.write_latest(run.spec, run.start, run.end, sink, partitions=partitions)
    return _Counts(written=written, kept_newer=kept)


def _gate_for(store: DataContext, view: FeatureView, gate: QualityGate | None) -> QualityGate | None:
    """The call's gate; a view with rules and no gate given gets the store's own (never unchecked)."""
    if gate is not None or not has_rules(view):
        return gate
    whole = whole_store(store)
    if whole is None:
        raise RequestError(f"materialize: feature view {view.name!r} has rules, and no quality gate was given")
    return whole.quality_gate()


def _check_block_rules(store: DataContext, run: _Run, gate: QualityGate) -> None:
    """A first pass with the ``block`` rules alone: a refused run leaves the online store as it was."""
    for batch in store.offline_store.latest_per_key(run.spec, run.start, run.end, batch_rows=BATCH_ROWS):
        gate.check(run.view, conform_batch(run.view, pa.Table.from_batches([batch])), only_block=True)


@dataclass
class _Packed:
    keys: list[bytes]
    records: list[bytes]
    #: event time (µs) of each record
    stamps: list[int]
    #: rows a ``quarantine`` rule kept out of this batch (view columns plus the rule)
    quarantined: pa.Table | None = None


@dataclass
class _Counts:
    written: int = 0
    kept_newer: int = 0
    quarantined: int = 0
    gate: QualityGate | None = None


def _pack_batch(
    view: FeatureView,
    layout: codec.Layout,
    batch: pa.RecordBatch,
    seal: Sealer | None = None,
    gate: QualityGate | None = None,
) -> _Packed:
    table = conform_batch(view, pa.Table.from_batches([batch]))
    quarantined = None
    if gate is not None:
        verdict = gate.check(view, table)
        table, quarantined = verdict.passing, verdict.quarantined
    stamps = codec.column_values(table.column(EVENT_TS))
    keys = codec.pack_keys(table, view.join_keys)
    sealed = seal(table, keys) if seal is not None else table  # each value bound to its row's entity key
    return _Packed(keys, codec.pack_records(sealed, layout, EVENT_TS), stamps, quarantined)


def _sealer(store: DataContext, view: FeatureView) -> Sealer | None:
    """Encrypts the view's PII columns when the store's guard keeps PII encrypted at rest."""
    guard = guard_of(store)  # stand-ins (benchmarks) wire no guard
    return guard.sealer(view.name) if guard is not None else None


def _write_packed(
    online: OnlineStore, view: FeatureView, packed: _Packed, counts: _Counts, progress: ProgressCallback | None
) -> None:
    """Upsert a batch; in a push-fed view, keys whose stored value is newer (pushed since) are left alone.

    Quarantined rows are stored first: a crash in between leaves them kept and the
    watermark unmoved, so the re-run writes the passing rows and finds the kept ones there.
    """
    if packed.quarantined is not None and counts.gate is not None:
        counts.quarantined += counts.gate.keep(
            view, packed.quarantined, operation="materialize", target="online", dedupe_key="materialize"
        )
    keys, records = packed.keys, packed.records
    if not keys:
        return
    existing = online.read(view.name, keys) if view.stream_source is not None else ()
    if any(existing):
        unpack, stamps = codec.unpackb, packed.stamps
        keep = [i for i, old in enumerate(existing) if old is None or unpack(old)[1] <= stamps[i]]
        if len(keep) < len(keys):
            counts.kept_newer += len(keys) - len(keep)
            keys, records = [keys[i] for i in keep], [records[i] for i in keep]
    if keys:
        online.write(view.name, keys, records)
    counts.written += len(keys)
    if progress is not None:
        progress(view.name, counts.written, None)


def conform_batch(view: FeatureView, table: pa.Table) -> pa.Table:
    """The batch's features cast to their declared types (the offline schema may be wider or looser)."""
    for name in [*view.join_keys, *view.feature_names]:
        if name not in table.column_names:
            raise SchemaMismatchError(
                f"feature view {view.name!r}: its source gave no column {name!r} (columns: {table.column_names})"
            )
    columns = {k: table.column(k) for k in view.join_keys}
    columns[EVENT_TS] = codec.conform_column(
        table.column(EVENT_TS), UnixTimestamp, what=f"event timestamp of feature view {view.name!r}"
    )
    for f in view.features:
        what = f"column {f.name!r} of feature view {view.name!r}"
        columns[f.name] = codec.conform_column(table.column(f.name), f.dtype, what=what)
    return pa.table(columns)


def _set_watermark(store: DataContext, view: FeatureView, start: datetime | None, end: datetime, rows: int) -> None:
    registry = store.registry.registry
    previous = registry.get_state(store.project, NAMESPACE).get(view.name) or {}
    # an explicit run over an older window must not move the incremental watermark backwards
    if previous.get("end") and datetime.fromisoformat(previous["end"]) > end:
        end = datetime.fromisoformat(previous["end"])
    value = {
        "start": None if start is None else start.isoformat(),
        "end": end.isoformat(),
        "rows": rows,
        "at": datetime.now(UTC).isoformat(),
    }
    registry.set_state(store.project, NAMESPACE, view.name, value)


def _utc(value: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise RequestError(f"materialize: expected a datetime, got {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


__all__ = [
    "NAMESPACE",
    "MaterializeResult",
    "ProgressCallback",
    "ViewMaterialization",
    "materialize",
    "materialize_incremental",
    "watermarks",
]
