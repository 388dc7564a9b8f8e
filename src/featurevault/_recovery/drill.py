"""The DR drill: the recovery procedure run end to end on a scratch copy, timed and checked.

1. verify and restore the backup into a scratch registry and a scratch SQLite
   online store in a temporary directory (the live stores are only read);
2. rematerialize the gap between the snapshot and now from the offline store;
3. read a random sample of entities from the scratch online store and compare
   them with point-in-time values from the offline store at the same instant.

RTO is the seconds from the start to a verified store; RPO is the age of the
snapshot (data written after it was lost until rematerialization). The
result is recorded in the registry, where readiness reads it.
"""

from __future__ import annotations

import logging
import math
import random
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from featurevault._backends.offline.base import EVENT_TS as OFFLINE_EVENT_TS
from featurevault.errors import RecoveryError
from featurevault._recovery.backup import list_backups, load_manifest, restore_backup
from featurevault._recovery.context import RecoveryContext
from featurevault._recovery.state import record
from featurevault._ops.offline_specs import view_spec

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

logger = logging.getLogger(__name__)

EVENT_TS = "event_timestamp"


@dataclass
class DrillResult:
    backup_id: str
    started_at: str
    rto_seconds: float
    rpo_seconds: float
    rto_target: float
    rpo_target: float
    restored_records: int
    rematerialized_rows: int
    rows_checked: int
    mismatches: int
    #: values of push-fed views whose online record is newer than any offline row (pushed online only)
    pushed_since: int = 0
    #: sampled values that differ because the offline row broke a rule and was quarantined, not served
    quarantined: int = 0
    mismatch_examples: list[str] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.mismatches == 0 and self.rto_seconds <= self.rto_target and self.rpo_seconds <= self.rpo_target

    @property
    def misses(self) -> list[str]:
        found = []
        if self.rto_seconds > self.rto_target:
            found.append(f"RTO {self.rto_seconds:.1f}s over the target {self.rto_target:g}s")
        if self.rpo_seconds > self.rpo_target:
            found.append(f"RPO {self.rpo_seconds:.1f}s over the target {self.rpo_target:g}s")
        if self.mismatches:
            found.append(f"{self.mismatches} of {self.rows_checked} sampled values differ from the offline store")
        return found

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed, "misses": self.misses}


def run_drill(
    store: FeatureStore, ctx: RecoveryContext, backup_id: str | None = None, sample_size: int | None = None
) -> DrillResult:
    began = time.perf_counter()
    started = datetime.now(UTC)
    manifest = _pick(ctx, backup_id)
    steps: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="featurevault-drill-") as scratch_dir:
        scratch = _scratch_store(store, Path(scratch_dir))
        try:
            scratch_ctx = _scratch_context(ctx, scratch)
            restored = restore_backup(scratch_ctx, manifest.backup_id, force=True)
            steps["restore"] = time.perf_counter() - began
            scratch.refresh_registry()
            gap = scratch.materialize_incremental(datetime.now(UTC))
            steps["rematerialize"] = time.perf_counter() - began - steps["restore"]
            checked, mismatches, pushed, held, examples = _verify_sample(
                scratch, sample_size or ctx.dr_config.sample_size
            )
            steps["verify"] = time.perf_counter() - began - steps["restore"] - steps["rematerialize"]
        finally:
            scratch.close()
    rto = time.perf_counter() - began
    snapshot_end = datetime.fromisoformat(manifest.window_end or manifest.created_at)
    result = DrillResult(
        backup_id=manifest.backup_id,
        started_at=started.isoformat(),
        rto_seconds=rto,
        rpo_seconds=max(0.0, (started - snapshot_end).total_seconds()),
        rto_target=ctx.dr_config.rto_target,
        rpo_target=ctx.dr_config.rpo_target,
        restored_records=sum(restored.online_records.values()),
        rematerialized_rows=gap.rows,
        rows_checked=checked,
        mismatches=mismatches,
        pushed_since=pushed,
        quarantined=held,
        mismatch_examples=examples[:10],
        steps={k: round(v, 3) for k, v in steps.items()},
    )
    record(ctx.registry, ctx.project, "last_drill", {**result.to_dict(), "at": datetime.now(UTC).isoformat()})
    logger.info("DR drill on %s: %s", manifest.backup_id, "passed" if result.passed else "; ".join(result.misses))
    return result


def _pick(ctx: RecoveryContext, backup_id: str | None) -> Any:
    if backup_id is not None:
        manifest = load_manifest(ctx, backup_id)
    else:
        complete = [m for m in list_backups(ctx) if {"registry", "online"} <= set(m.include)]
        if not complete:
            raise RecoveryError(
                f"no backup with both registry and online store at {ctx.target.label}: "
                "run 'featurevault backup create' first"
            )
        manifest = complete[0]
    if not {"registry", "online"} <= set(manifest.include):
        raise RecoveryError(f"backup {manifest.backup_id} lacks the registry or the online store; a drill needs both")
    return manifest


def _scratch_store(store: FeatureStore, where: Path) -> Any:
    """A FeatureStore on the live offline store, with a scratch registry and online store under ``where``."""
    from featurevault._config import AuditConfig, BackendSection, NoAuthConfig, RegistryConfig
    from featurevault._store import FeatureStore

    config = store.config.model_copy(
        update={
            "registry": RegistryConfig(registry_type="file", path=str(where / "registry.db"), cache_ttl_seconds=0),
            "online_store": BackendSection.model_validate({"type": "sqlite", "path": str(where / "online.db")}),
            "audit": AuditConfig(sink="none"),
            "auth": NoAuthConfig(),
        }
    )
    return FeatureStore(config=config)


def _scratch_context(ctx: RecoveryContext, scratch: Any) -> RecoveryContext:
    return RecoveryContext(
        project=ctx.project,
        registry=scratch.registry.registry,
        online=scratch.online_store,
        target=ctx.target,
        signing_key=ctx.signing_key,
        backup_config=ctx.backup_config,
        dr_config=ctx.dr_config,
    )


def _verify_sample(scratch: Any, size: int) -> tuple[int, int, int, int, list[str]]:
    """Compare online values with point-in-time offline values for a random sample of each view's entities.

    In a push-fed view, an online value newer than the entity's latest offline row was pushed to the
    online store only; it is counted apart (``pushed_since``), not as a mismatch. So is a value
    whose offline row broke a validation rule and is held in the quarantine (``quarantined``).
    """
    now = datetime.now(UTC)
    checked = mismatches = pushed = held = 0
    examples: list[str] = []
    for view in scratch.registry.contents().feature_views.values():
        if not view.online or not view.join_keys or not view.features:
            continue
        keys, offline_ts = _sample_keys(scratch, view, now, size)
        if keys.num_rows == 0:
            continue
        refs = [f"{view.name}:{f.name}" for f in view.features]
        entity_df = keys.append_column(EVENT_TS, pa.array([now] * keys.num_rows, pa.timestamp("us", tz="UTC")))
        offline = scratch.get_historical_features(entity_df, refs).to_arrow().to_pydict()
        online = scratch.get_online_features(refs, keys.to_pydict()).to_dict(include_event_timestamps=True)
        in_quarantine = _quarantined_keys(scratch, view)
        for f in view.features:
            stamps = online.get(f"{f.name}__ts") or [None] * keys.num_rows
            for i, (want, got) in enumerate(zip(offline[f.name], online[f.name])):
                checked += 1
                if _same(want, got):
                    continue
                if view.stream_source is not None and _newer(stamps[i], offline_ts[i]):
                    pushed += 1
                    continue
                key = {k: keys.column(k)[i].as_py() for k in view.join_keys}
                if tuple(key[k] for k in view.join_keys) in in_quarantine:
                    held += 1
                    continue
                mismatches += 1
                examples.append(f"{view.name}.{f.name} {key}: offline {want!r}, online {got!r}")
    return checked, mismatches, pushed, held, examples


def _quarantined_keys(scratch: Any, view: Any) -> set[tuple[Any, ...]]:
    """Entity keys of the view's rows held in the quarantine (their offline values are not served)."""
    import json

    rows = [json.loads(e.row) for e in scratch.quarantine.list(view.name, None)]
    return {tuple(r.get(k) for k in view.join_keys) for r in rows}


def _sample_keys(scratch: Any, view: Any, now: datetime, size: int) -> tuple[pa.Table, list[datetime | None]]:
    """Sampled entity keys, and each one's latest offline event time."""
    batches = scratch.offline_store.latest_per_key(view_spec(view), None, now, batch_rows=max(size * 20, 10_000))
    first = next(iter(batches), None)
    if first is None or first.num_rows == 0:
        return pa.table({k: pa.array([], pa.string()) for k in view.join_keys}), []
    rows = pa.array(sorted(random.sample(range(first.num_rows), min(size, first.num_rows))), pa.int64())
    table = pa.Table.from_batches([first]).take(rows)
    return table.select(view.join_keys), table.column(OFFLINE_EVENT_TS).to_pylist()


def _newer(online_seconds: Any, offline_time: datetime | None) -> bool:
    if online_seconds is None:
        return False
    if offline_time is None:
        return True
    if isinstance(online_seconds, datetime):
        return online_seconds > offline_time
    return float(online_seconds) > offline_time.timestamp()


def _same(want: Any, got: Any) -> bool:
    if isinstance(want, float) and isinstance(got, float):
        return (math.isnan(want) and math.isnan(got)) or math.isclose(want, got, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(want, datetime) and isinstance(got, datetime):
        return want.timestamp() == got.timestamp()
    return bool(want == got)
