"""Prometheus metrics of scheduled materialization, derived from the recorded runs.

The metrics are built from the last-run entries the scheduler records (see
:mod:`~featurevault._lifecycle.schedule_record`), whose totals add up the runs of every
scheduler sharing the registry. A scrape never reads the registry: the collector is handed a
function returning the entries already read (the server's registry cache; in a long-running
scheduler, the copy it read after its last pass).

- ``featurevault_schedule_runs_total{feature_view, outcome}``: runs, by outcome (ok, failed)
- ``featurevault_schedule_run_duration_seconds{feature_view}``: histogram of run durations
- ``featurevault_schedule_rows_total{feature_view}``: rows materialized by scheduled runs
- ``featurevault_schedule_last_success_timestamp_seconds{feature_view}``: when the last successful run ended
- ``featurevault_schedule_last_run_timestamp_seconds{feature_view}``: when the last run ended, whatever its outcome
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from featurevault.errors import ConfigError, MissingDependencyError
from featurevault._lifecycle.schedule_record import DURATION_BUCKETS

logger = logging.getLogger(__name__)

Entries = Mapping[str, Mapping[str, Any]]


def _prometheus() -> Any:
    try:
        import prometheus_client.core as core
    except ImportError:
        raise MissingDependencyError(
            "scheduler metrics need prometheus-client: pip install 'featurevault[schedule]'"
        ) from None
    return core


class ScheduleCollector:
    """A prometheus-client collector over ``entries()`` (view -> recorded last-run entry)."""

    def __init__(self, entries: Callable[[], Entries]) -> None:
        self.entries = entries

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        core = _prometheus()
        try:
            entries = dict(self.entries())
        except Exception as exc:  # a metric read must never fail a scrape
            logger.debug("schedule runs unavailable: %s", exc)
            entries = {}
        runs = core.CounterMetricFamily(
            "featurevault_schedule_runs",
            "Scheduled materialization runs, by outcome",
            labels=["feature_view", "outcome"],
        )
        rows = core.CounterMetricFamily(
            "featurevault_schedule_rows", "Rows materialized by scheduled runs", labels=["feature_view"]
        )
        duration = core.HistogramMetricFamily(
            "featurevault_schedule_run_duration_seconds",
            "Duration of scheduled materialization runs (retries included)",
            labels=["feature_view"],
        )
        success = core.GaugeMetricFamily(
            "featurevault_schedule_last_success_timestamp_seconds",
            "Unix time the last successful scheduled run of a view ended",
            labels=["feature_view"],
        )
        last = core.GaugeMetricFamily(
            "featurevault_schedule_last_run_timestamp_seconds",
            "Unix time the last scheduled run of a view ended (any outcome)",
            labels=["feature_view"],
        )
        for view, entry in sorted(entries.items()):
            totals = entry.get("totals") or {}
            for outcome, count in sorted((totals.get("runs") or {}).items()):
                runs.add_metric([view, outcome], count)
            rows.add_metric([view], totals.get("rows", 0))
            if totals.get("duration"):
                d = totals["duration"]
                duration.add_metric([view], _cumulative(d["buckets"]), d["sum"])
            _add_time(success, view, entry.get("last_success_at"))
            _add_time(last, view, entry.get("ended_at"))
        yield from (runs, rows, duration, success, last)


def _cumulative(buckets: list[int]) -> list[tuple[str, float]]:
    bounds = [*(f"{b:g}" for b in DURATION_BUCKETS), "+Inf"]
    total, result = 0, []
    for bound, count in zip(bounds, buckets, strict=True):
        total += count
        result.append((bound, float(total)))
    return result


def _add_time(family: Any, view: str, stamp: str | None) -> None:
    if stamp:
        family.add_metric([view], datetime.fromisoformat(stamp).timestamp())


class RunsSnapshot:
    """The entries a long-running scheduler read after its last pass (what its scrapes answer with)."""

    def __init__(self) -> None:
        self._entries: dict[str, Any] = {}
        self._lock = threading.Lock()

    def update(self, entries: Entries) -> None:
        with self._lock:
            self._entries = dict(entries)

    def __call__(self) -> Entries:
        with self._lock:
            return self._entries


def serve_metrics(port: int, entries: Callable[[], Entries], addr: str = "127.0.0.1") -> Callable[[], None]:
    """Serve ``GET /metrics`` with the schedule metrics on ``addr:port``; returns what stops it."""
    _prometheus()
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry(auto_describe=False)
    registry.register(ScheduleCollector(entries))
    try:
        server, thread = start_http_server(port, addr=addr, registry=registry)
    except OSError as exc:
        raise ConfigError(f"--metrics-port {port}: cannot listen on {addr}:{port} ({exc.strerror or exc})") from None
    logger.info("schedule: metrics on http://%s:%d/metrics", addr, server.server_port)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop
