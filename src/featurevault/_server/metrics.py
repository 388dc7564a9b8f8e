"""Prometheus metrics: one CollectorRegistry per app, served at ``GET /metrics``.

Request metrics are labelled by route template (``/feature-views/{name}``, not
the concrete path) and by feature service ("" when a request names features
directly), so label cardinality stays bounded by the registry's size.
Registry age, staleness and materialization timestamps are read from the
store's registry cache when Prometheus scrapes: a scrape never waits for the
registry itself.

With several worker processes (``featurevault serve --workers N``) counters and
histograms use prometheus-client's multiprocess mode: each worker writes its
counts to files in a directory they share, and a scrape, whichever worker it
reaches, reports the sum over all of them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.responses import Response

from featurevault._lifecycle.schedule_metrics import ScheduleCollector
from featurevault._server.monitoring import MonitorCollector

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

logger = logging.getLogger(__name__)

# Online reads take tens of microseconds to tens of milliseconds.
LATENCY_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
ENTITY_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000)

#: set (by ``serve`` when it runs several workers) to a directory the workers share their counts in
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

router = APIRouter(tags=["metrics"])


class ServerMetrics:
    """Every metric the server records, registered in its own registry."""

    def __init__(self, store: FeatureStore) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "featurevault_requests",
            "HTTP requests answered",
            ["route", "method", "status", "feature_service"],
            registry=r,
        )
        self.latency = Histogram(
            "featurevault_request_latency_seconds",
            "Time to answer a request",
            ["route", "feature_service"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "featurevault_request_errors",
            "Requests answered with a 4xx or 5xx status",
            ["route", "status", "feature_service"],
            registry=r,
        )
        self.online_read_latency = Histogram(
            "featurevault_online_read_latency_seconds",
            "Time spent in the store's online read",
            ["feature_service"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.entities = Histogram(
            "featurevault_entities_per_request", "Entity rows per online read", buckets=ENTITY_BUCKETS, registry=r
        )
        self.push_rows = Counter(
            "featurevault_push_rows", "Rows pushed through a push source", ["push_source", "to"], registry=r
        )
        self.pushes = Counter("featurevault_push_requests", "Push requests accepted", ["push_source", "to"], registry=r)
        self.write_rows = Counter(
            "featurevault_online_write_rows", "Rows written by write-to-online-store", ["feature_view"], registry=r
        )
        self.store_collector = StoreCollector(store)
        self.monitor_collector = MonitorCollector(store)
        self.schedule_collector = ScheduleCollector(lambda: cached_state(store, "schedule_runs"))
        self.multiprocess_dir = os.environ.get(MULTIPROCESS_ENV)
        if not self.multiprocess_dir:
            r.register(self.store_collector)
            r.register(self.monitor_collector)
            r.register(self.schedule_collector)

    def exposition(self) -> bytes:
        """Prometheus text: this app's registry, or, with several workers, every worker's counts."""
        if not self.multiprocess_dir:
            return generate_latest(self.registry)
        # Counters and histograms live in files shared by the workers; a scrape reaching any
        # worker adds them all up. Store-derived gauges come from the worker that answers.
        from prometheus_client import multiprocess

        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged, path=self.multiprocess_dir)
        merged.register(self.store_collector)
        merged.register(self.monitor_collector)
        merged.register(self.schedule_collector)
        return generate_latest(merged)


def _registry_attr(store: FeatureStore, name: str) -> float:
    try:
        return float(getattr(store.registry, name))
    except Exception:  # a metric read must never fail a scrape
        return float("nan")


class StoreCollector(Collector):
    """Gauges read from the store at scrape time: registry age and staleness, last materializations."""

    def __init__(self, store: FeatureStore) -> None:
        self.store = store

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        yield GaugeMetricFamily(
            "featurevault_registry_age_seconds",
            "Seconds since the server last confirmed its registry copy is current",
            value=_registry_attr(self.store, "age_seconds"),
        )
        yield GaugeMetricFamily(
            "featurevault_registry_stale",
            "1 when the registry cannot be reached and the last good copy is served",
            value=float(bool(_registry_attr(self.store, "stale"))),
        )
        limit = getattr(getattr(self.store, "registry", None), "max_staleness_seconds", None)
        yield GaugeMetricFamily(
            "featurevault_registry_max_staleness_seconds",
            "How long a stale registry copy is served before requests get 503 (+Inf: no limit)",
            value=float("inf") if limit is None else float(limit),
        )
        yield GaugeMetricFamily(
            "featurevault_registry_version",
            "The registry version being served",
            value=_registry_attr(self.store, "version"),
        )
        family = GaugeMetricFamily(
            "featurevault_materialization_last_success_timestamp_seconds",
            "Unix time of each feature view's last successful materialization",
            labels=["feature_view"],
        )
        for view, at in materialization_times(self.store).items():
            family.add_metric([view], at)
        yield family
        yield from recovery_gauges(recovery_log(self.store))
        yield from quality_families()
        yield from online_cache_families(self.store)


#: the last recovery log read, per store: a scrape never waits on the registry (it may hang)
_RECOVERY_SEEN: dict[int, dict[str, Any]] = {}
_RECOVERY_READING: set[int] = set()


def recovery_log(store: FeatureStore) -> dict[str, Any]:
    """The recorded last backup and drill (read without the guard: these are operational gauges).

    The registry is read on a background thread; a scrape answers with the last log read, so
    /metrics stays prompt while the registry is slow or down.
    """
    import threading

    key = id(store)
    if key not in _RECOVERY_READING:
        _RECOVERY_READING.add(key)

        def read() -> None:
            # a connection of its own: a hanging read must never hold the one that serving shares
            from featurevault._config import backend_module

            try:
                cfg = store.config.registry
                registry = backend_module("registry", cfg.registry_type).Store.from_config(
                    cfg, resolve=store.config.resolve
                )
                try:
                    _RECOVERY_SEEN[key] = registry.get_state(store.project, "recovery") or {}
                finally:
                    registry.close()
            except Exception as exc:
                logger.debug("recovery state unavailable: %s", exc)
            finally:
                _RECOVERY_READING.discard(key)

        reader = threading.Thread(target=read, name="metrics-recovery-log", daemon=True)
        reader.start()
        reader.join(timeout=0.05)
    return _RECOVERY_SEEN.get(key, {})


def recovery_gauges(log: dict[str, Any]) -> Iterator[GaugeMetricFamily]:
    backup, drill = log.get("last_backup") or {}, log.get("last_drill") or {}
    if backup.get("created_at"):
        yield GaugeMetricFamily(
            "featurevault_backup_last_success_timestamp_seconds",
            "Unix time of the last complete backup",
            value=datetime.fromisoformat(backup["created_at"]).timestamp(),
        )
        yield GaugeMetricFamily(
            "featurevault_backup_last_bytes", "Size of the last backup", value=backup.get("bytes", 0)
        )
        yield GaugeMetricFamily(
            "featurevault_backup_last_duration_seconds", "Time the last backup took", value=backup.get("seconds", 0.0)
        )
    if drill.get("at"):
        yield GaugeMetricFamily(
            "featurevault_dr_drill_last_timestamp_seconds",
            "Unix time of the last DR drill",
            value=datetime.fromisoformat(drill["at"]).timestamp(),
        )
        yield GaugeMetricFamily(
            "featurevault_dr_drill_last_passed",
            "1 when the last DR drill met its targets",
            value=float(bool(drill.get("passed"))),
        )
        yield GaugeMetricFamily(
            "featurevault_dr_drill_last_rto_seconds",
            "RTO measured by the last DR drill",
            value=drill.get("rto_seconds", 0.0),
        )
        yield GaugeMetricFamily(
            "featurevault_dr_drill_last_rpo_seconds",
            "RPO measured by the last DR drill",
            value=drill.get("rpo_seconds", 0.0),
        )
    yield from _offline_maintenance_gauges(log)


def _offline_maintenance_gauges(log: dict[str, Any]) -> Iterator[GaugeMetricFamily]:
    """The last ``offline compact`` and ``offline vacuum``: when, how long, what they removed."""
    for operation in ("compact", "vacuum"):
        run = log.get(f"last_offline_{operation}") or {}
        if not run.get("at"):
            continue
        name = f"featurevault_offline_{operation}_last"
        yield GaugeMetricFamily(
            f"{name}_timestamp_seconds",
            f"Unix time of the last offline {operation}",
            value=datetime.fromisoformat(run["at"]).timestamp(),
        )
        yield GaugeMetricFamily(
            f"{name}_duration_seconds", f"Time the last offline {operation} took", value=run.get("seconds", 0.0)
        )
        yield GaugeMetricFamily(
            f"{name}_files_removed", f"Files the last offline {operation} removed", value=run.get("files_removed", 0)
        )
        if operation == "vacuum":
            yield GaugeMetricFamily(
                f"{name}_rows_deleted",
                "Rows past their view's retention the last vacuum deleted",
                value=run.get("rows_deleted", 0),
            )


def online_cache_families(store: FeatureStore) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
    """The hot-entity cache's counts (``online_cache`` in feature_store.yaml), when it is on.

    Read from the store's online store only once it was built: a scrape never opens a connection.
    """
    online = getattr(store, "__dict__", {}).get("online_store")
    cache = getattr(online, "cache", None)
    if cache is None or not hasattr(cache, "stats"):
        return
    stats = cache.stats()
    for name, help_text in (
        ("hits", "Online records served from the hot-entity cache"),
        ("misses", "Online records the hot-entity cache did not hold (read from the store)"),
        ("evictions", "Records dropped from the hot-entity cache to stay within max_entries"),
    ):
        yield CounterMetricFamily(f"featurevault_online_cache_{name}", help_text, value=stats[name])
    yield GaugeMetricFamily(
        "featurevault_online_cache_entries", "Records held by the hot-entity cache", value=stats["entries"]
    )


def quality_families() -> Iterator[CounterMetricFamily]:
    """Validation rule failures and rows checked, counted by this process's writes."""
    from featurevault._quality import metrics as quality

    failures = CounterMetricFamily(
        "featurevault_quality_rule_failures",
        "Rows that broke a validation rule on a write path, per feature view, rule and on_fail",
        labels=["feature_view", "rule", "on_fail"],
    )
    for (view, rule, on_fail), rows in sorted(quality.failure_counts().items()):
        failures.add_metric([view, rule, on_fail], rows)
    yield failures
    checked = CounterMetricFamily(
        "featurevault_quality_rows_checked",
        "Rows checked against validation rules, per feature view",
        labels=["feature_view"],
    )
    for view, rows in sorted(quality.checked_counts().items()):
        checked.add_metric([view], rows)
    yield checked


def cached_state(store: FeatureStore, namespace: str) -> Any:
    """A state namespace from the store's registry cache (refreshed in the background while serving)."""
    return store.registry.state(namespace)


def materialization_times(store: FeatureStore) -> dict[str, float]:
    """feature view -> unix time of its last successful materialization ("at" of its state entry).

    Read from the registry cache's copy of the materialization state.
    """
    try:
        state = store.registry.state("materialization")
    except Exception as exc:
        logger.debug("materialization state unavailable: %s", exc)
        return {}
    result: dict[str, float] = {}
    for view, entry in state.items():
        stamp = entry.get("at") if isinstance(entry, dict) else None
        if not stamp:
            continue
        try:
            result[view] = datetime.fromisoformat(stamp).timestamp()
        except (TypeError, ValueError):
            logger.debug("materialization state of %s has an unreadable time %r", view, stamp)
    return result


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    body = request.app.state.metrics.exposition()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
