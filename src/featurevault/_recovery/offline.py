"""Offline data maintenance: compaction, vacuum and per-view retention.

``compact`` bin-packs small files: Delta tables (local or in S3) through OPTIMIZE (a new
version; old files stay for time travel until a vacuum), local Parquet directories through an
atomic rewrite (see :mod:`featurevault._backends.offline.parquet_compact`). ``vacuum``
deletes a Delta table's rows older than its view's ``retention`` (a commit), then
removes the files no version younger than ``offline_maintenance.vacuum_retain`` needs:
time travel reaches back that far and no further. Other sources are reported with the
reason they are left alone. Each run is recorded in the recovery log (the metrics read it).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from featurevault._backends.offline import delta, delta_location
from featurevault.errors import FeatureViewNotFoundError
from featurevault._model import FeatureView, FileSource
from featurevault._ops.offline_specs import source_spec
from featurevault._recovery.state import record

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

logger = logging.getLogger(__name__)


@dataclass
class MaintenanceResult:
    operation: str
    dry_run: bool = False
    #: one entry per source: view(s), source, format, what was done
    sources: list[dict[str, Any]] = field(default_factory=list)
    #: sources left alone, with the reason
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_deleted(self) -> int:
        return sum(s.get("rows_deleted", 0) for s in self.sources)

    @property
    def files_removed(self) -> int:
        return sum(s.get("files_removed", 0) for s in self.sources)

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "dry_run": self.dry_run,
            "sources": self.sources,
            "skipped": self.skipped,
            "rows_deleted": self.rows_deleted,
            "files_removed": self.files_removed,
            "seconds": round(self.seconds, 3),
        }


def views_of(store: FeatureStore, names: list[str] | None) -> list[FeatureView]:
    views = store.registry.contents().feature_views
    if not names:
        return sorted(views.values(), key=lambda v: v.name)
    missing = [n for n in names if n not in views]
    if missing:
        raise FeatureViewNotFoundError(
            f"no feature view named {missing[0]!r} (known: {', '.join(sorted(views)) or 'none'})"
        )
    return [views[n] for n in names]


def _by_source(views: list[FeatureView]) -> dict[str, tuple[Any, list[FeatureView]]]:
    """Views grouped by batch source (a source fed to several views is maintained once)."""
    grouped: dict[str, tuple[Any, list[FeatureView]]] = {}
    for view in views:
        source = view.batch_source
        grouped.setdefault(source.name, (source, []))[1].append(view)
    return grouped


def _unmaintained(source: Any) -> str | None:
    """Why a source cannot be maintained here (None when it can)."""
    if not isinstance(source, FileSource):
        return f"{type(source).__name__} {source.name!r} belongs to its database; it is not rewritten"
    if source.path.startswith("s3://") and source.file_format != "delta":
        return f"{source.name!r} is in object storage, whose objects are never rewritten (a Delta table there is)"
    if source.file_format == "csv":
        return f"{source.name!r} is CSV; only Parquet and Delta sources are compacted"
    return None


def compact(store: FeatureStore, names: list[str] | None, target_mb: int | None = None) -> MaintenanceResult:
    from featurevault._backends.offline.duckdb_sources import locate
    from featurevault._backends.offline.parquet_compact import compact_parquet

    started = time.perf_counter()
    target = (target_mb or store.config.offline_maintenance.target_file_size_mb) * 1024 * 1024
    result = MaintenanceResult("compact")
    for source, views in _by_source(views_of(store, names)).values():
        reason = _unmaintained(source)
        if reason:
            result.skipped.append(f"{', '.join(v.name for v in views)}: {reason}")
            continue
        entry = {"views": [v.name for v in views], "source": source.name, "format": source.file_format}
        if source.file_format == "delta":
            spec = source_spec(source)
            entry.update(delta.compact(spec, delta_location.location(spec, store.config.resolve), target))
        else:
            entry.update(
                compact_parquet(source.name, locate(source_spec(source), store.config.resolve).files, target).to_dict()
            )
        result.sources.append(entry)
    result.seconds = time.perf_counter() - started
    record(store.registry.registry, store.project, "last_offline_compact", _log(result))
    return result


def vacuum(
    store: FeatureStore,
    names: list[str] | None,
    retain_seconds: float | None = None,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> MaintenanceResult:
    started = time.perf_counter()
    retain = retain_seconds if retain_seconds is not None else store.config.offline_maintenance.vacuum_retain
    now = now or datetime.now(UTC)
    result = MaintenanceResult("vacuum", dry_run)
    for source, views in _by_source(views_of(store, names)).values():
        retention = _retention(views)
        reason = _unmaintained(source)
        if reason is None and source.file_format != "delta":
            reason = f"{source.name!r} is a Parquet source: it keeps no old versions to vacuum" + (
                ", and its files belong to their producer, so the retention is not applied: "
                "use a DeltaSource, or delete its old partitions"
                if retention
                else ""
            )
        if reason:
            result.skipped.append(f"{', '.join(v.name for v in views)}: {reason}")
            continue
        spec = source_spec(source)
        path = delta_location.location(spec, store.config.resolve)
        entry: dict[str, Any] = {
            "views": [v.name for v in views],
            "source": source.name,
            "format": "delta",
            "retain_seconds": retain,
        }
        if retention is not None:
            cutoff = now - retention
            column = delta.quote_column(delta.timestamp_column(spec))
            entry["retention_seconds"] = retention.total_seconds()
            entry["deleted_before"] = cutoff.isoformat()
            entry["rows_deleted"] = delta.delete_rows(
                spec, path, f"{column} < {delta.sql_literal(cutoff)}", dry_run=dry_run
            )
        removed = delta.vacuum(spec, path, retain, dry_run=dry_run)
        entry["files_removed"] = len(removed)
        result.sources.append(entry)
    result.seconds = time.perf_counter() - started
    if not dry_run:
        record(store.registry.registry, store.project, "last_offline_vacuum", _log(result))
    return result


def _retention(views: list[FeatureView]) -> timedelta | None:
    """The longest retention of the views reading one source (a view that keeps rows forever wins)."""
    kept = [v.retention for v in views]
    return None if any(r is None for r in kept) else max(kept)  # type: ignore[type-var]


def _log(result: MaintenanceResult) -> dict[str, Any]:
    return {
        "at": datetime.now(UTC).isoformat(),
        "seconds": round(result.seconds, 3),
        "sources": len(result.sources),
        "rows_deleted": result.rows_deleted,
        "files_removed": result.files_removed,
    }
