"""Monitoring for operators and the dashboard: ``GET /monitoring/alerts``, ``/monitoring/freshness``,
``/monitoring/metrics``, ``/monitoring/served-drift/{service}``; the ``featurevault_monitor_value`` gauges and the feature log's counters;
the ``serve --monitor`` loop.

Each route makes one guarded store call (DESCRIBE on the project), so one request leaves one
audit record. The loop runs ``monitor_run`` in a thread every interval; a failed evaluation is
logged and the loop goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from featurevault._server.auth import Principal, authorize, current_principal
from featurevault._server.schemas import ERROR_RESPONSES

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/monitoring", tags=["monitoring"])

#: recorded points older than this are not exported as gauges
GAUGE_HORIZON = timedelta(days=1)


def _json(payload: Any) -> Response:
    return Response(orjson.dumps(payload, default=str), media_type="application/json")


def _as_caller(request: Request, principal: Principal) -> Any:
    # no resource: the store call below authorizes and audits, as the caller
    authorize(request, principal, "describe_monitoring", [])
    return request.app.state.store


@router.get("/alerts", responses=ERROR_RESPONSES, summary="Alerts with their last state and runbook")
async def alerts(
    request: Request, state: str | None = Query(None), principal: Principal = Depends(current_principal)
) -> Response:
    store = _as_caller(request, principal)
    return _json({"alerts": await run_in_threadpool(store.list_alerts, state)})


@router.get("/freshness", responses=ERROR_RESPONSES, summary="Freshness of every feature view")
async def freshness(request: Request, principal: Principal = Depends(current_principal)) -> Response:
    store = _as_caller(request, principal)
    views = await run_in_threadpool(store.view_freshness)
    return _json({"feature_views": [v.to_dict() for v in views]})


@router.get("/metrics", responses=ERROR_RESPONSES, summary="Recorded drift, freshness and skew metrics")
async def metric_history(
    request: Request,
    feature_view: str | None = Query(None),
    metric: str | None = Query(None),
    since: datetime | None = Query(None),
    principal: Principal = Depends(current_principal),
) -> Response:
    store = _as_caller(request, principal)
    points = await run_in_threadpool(store.metric_history, feature_view, metric, since)
    return _json({"points": [p.__dict__ for p in points]})


@router.get(
    "/served-drift/{feature_service}",
    responses=ERROR_RESPONSES,
    summary="Drift of a feature service's logged served values against the baselines",
)
async def served_drift(
    request: Request,
    feature_service: str,
    start: datetime | None = Query(None),
    end: datetime | None = Query(None),
    principal: Principal = Depends(current_principal),
) -> Response:
    authorize(request, principal, "read_offline", [("feature_service", feature_service)])
    store = request.app.state.store
    report = await run_in_threadpool(store.monitor_served_drift, feature_service, start, end)
    return _json(report.to_dict())


class MonitorCollector(Collector):
    """``featurevault_monitor_value{project, view, feature, metric}``: the newest recorded value of each series."""

    def __init__(self, store: FeatureStore) -> None:
        self.store = store
        #: filled at startup and by the monitor loop; a scrape never waits on the registry
        self.values: dict[tuple[str, str, str], float] = {}

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        family = GaugeMetricFamily(
            "featurevault_monitor_value",
            "Newest recorded monitoring metric (freshness, psi, js, ks, skew_rate...)",
            labels=["project", "view", "feature", "metric"],
        )
        for (view, feature, metric), value in dict(self.values).items():
            family.add_metric([self.store.project, view, feature, metric], value)
        yield family
        yield from feature_log_counters(self.store)


def feature_log_counters(store: FeatureStore) -> Iterator[CounterMetricFamily]:
    """``featurevault_feature_log_rows_total`` and ``featurevault_feature_log_dropped_rows_total`` per service (this process)."""
    logged = CounterMetricFamily(
        "featurevault_feature_log_rows", "Served rows written to the feature log", labels=["project", "service"]
    )
    dropped = CounterMetricFamily(
        "featurevault_feature_log_dropped_rows",
        "Sampled rows dropped (queue full or write failed)",
        labels=["project", "service"],
    )
    # only a store that has logged: a scrape never builds the logger
    counts = store.__dict__["_feature_log"].counts if "_feature_log" in getattr(store, "__dict__", {}) else {}
    for service, c in sorted(dict(counts).items()):
        logged.add_metric([store.project, service], c.logged)
        dropped.add_metric([store.project, service], c.dropped)
    yield logged
    yield dropped


def latest_values(store: FeatureStore) -> dict[tuple[str, str, str], float]:
    try:
        cache = store.registry
        points = cache.registry.metrics(cache.project, since=datetime.now(UTC) - GAUGE_HORIZON)
    except Exception as exc:  # a scrape must never fail on the metrics table
        logger.debug("monitoring metrics unavailable: %s", exc)
        return {}
    return {(p.view, p.feature, p.metric): p.value for p in points}


def histogram_buckets(histogram: Any) -> dict[float, float]:
    """``{upper bound: cumulative count}`` of a Prometheus histogram, summed over its label values."""
    totals: dict[float, float] = {}
    for family in histogram.collect():
        for sample in family.samples:
            if sample.name.endswith("_bucket"):
                le = float(sample.labels["le"])
                totals[le] = totals.get(le, 0.0) + sample.value
    return totals


async def monitor_loop(
    store: FeatureStore, interval_seconds: float, collector: MonitorCollector | None = None, latency: Any = None
) -> None:
    """Evaluate the alerts every ``interval_seconds`` until cancelled (``serve --monitor``).

    ``latency`` (the server's online read histogram) gives each run the p99 of the reads
    answered since the previous one: the ``serving_p99_ms`` metric.
    """
    from featurevault._monitoring.serving_latency import LatencyWindow

    window = LatencyWindow(lambda: histogram_buckets(latency)) if latency is not None else None
    while True:
        try:
            p99 = window.quantile_ms(0.99) if window is not None else None
            result = await run_in_threadpool(lambda: store.monitor_run(serving_p99_ms=p99))
            if collector is not None:
                collector.values = await run_in_threadpool(latest_values, store)
            firing = sum(s.state.state == "firing" for s in result.alerts)
            logger.info("monitor: %d alert(s) evaluated, %d firing", len(result.alerts), firing)
        except Exception as exc:
            logger.error("monitor: evaluation failed: %s", exc)
        await asyncio.sleep(interval_seconds)
