"""Monitoring runs for the facade: record a baseline, evaluate every alert, list alert states.

The facade authorizes and audits each call; these functions do the work with the
store's backends (offline reads, the registry's state and metrics table).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from featurevault._backends.registry.base import MetricPoint
from featurevault.errors import FeatureVaultError, FeatureViewNotFoundError, MonitoringError
from featurevault._model import Alert, FeatureView, RepoContents
from featurevault._monitoring import evaluator
from featurevault._monitoring.baselines import ViewBaseline, load_baselines, save_baseline
from featurevault._monitoring.collect import ViewMetrics, collect_view
from featurevault._monitoring.drift import summarise
from featurevault._monitoring.evaluator import AlertState, AlertStatus
from featurevault._monitoring.freshness import OnlineSample, ViewFreshness, online_newest_event, view_freshness
from featurevault._monitoring.notify import Dispatcher, NotificationOutcome
from featurevault._monitoring.routing import route_for
from featurevault._monitoring.rules_export import SERVING_P99
from featurevault._monitoring.rule_rates import rule_rates
from featurevault._ops.offline_specs import view_spec

if TYPE_CHECKING:
    from featurevault._store import FeatureStore
    from featurevault._monitoring.served_drift import ServedDrift

logger = logging.getLogger(__name__)

DEFAULT_WINDOW = timedelta(hours=24)
#: the metrics table's view for measurements of the whole project (serving latency)
PROJECT_WIDE = ""


@dataclass
class MonitorRunResult:
    """One evaluation: the metrics measured, every alert's state, the notifications attempted."""

    at: datetime
    views: list[ViewMetrics] = field(default_factory=list)
    alerts: list[AlertStatus] = field(default_factory=list)
    notifications: list[NotificationOutcome] = field(default_factory=list)
    serving_p99_ms: float | None = None

    @property
    def p1_firing(self) -> bool:
        return any(s.alert.severity == "P1" and s.state.state == evaluator.FIRING for s in self.alerts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "views": [v.to_dict() for v in self.views],
            "alerts": [s.to_dict() for s in self.alerts],
            "notifications": [n.to_dict() for n in self.notifications],
            "serving_p99_ms": self.serving_p99_ms,
        }


def record_baseline(
    store: FeatureStore, contents: RepoContents, view_name: str, start: datetime, end: datetime
) -> ViewBaseline:
    view = feature_view(contents, view_name)
    features = non_pii_features(contents, view)
    table = store.offline_store.feature_rows(view_spec(view), features, start, end)
    baseline = ViewBaseline(view.name, start, end, table.num_rows, {f: summarise(table.column(f)) for f in features})
    save_baseline(store.registry.registry, store.project, baseline)
    logger.info("monitor: baseline of %s recorded over %d rows (%s .. %s)", view.name, table.num_rows, start, end)
    return baseline


def run_monitoring(
    store: FeatureStore,
    contents: RepoContents,
    dispatcher: Dispatcher,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
    views: list[str] | None = None,
    serving_p99_ms: float | None = None,
) -> MonitorRunResult:
    """Measure every view (or ``views``), record the metrics, evaluate every alert on them and notify.

    ``serving_p99_ms`` is the online read p99 since the last run, measured by the caller (the
    server's latency histogram under ``serve --monitor``); it is recorded for the project.
    """
    now = now or datetime.now(UTC)
    end = end or now
    start = start or end - DEFAULT_WINDOW
    registry = store.registry.registry
    result = MonitorRunResult(at=now)
    baselines = load_baselines(registry, store.project)
    marks = _watermarks(store)
    scheduled = _scheduled_runs(store)
    for name in views or sorted(contents.feature_views):
        view = feature_view(contents, name)
        metrics = collect_view(
            store.offline_store,
            view,
            baseline=baselines.get(name),
            watermark=marks.get(name),
            start=start,
            end=end,
            now=now,
            scheduled_run=scheduled.get(name),
            online=online_sample(store, name),
        )
        metrics.rules = rule_rates(store.offline_store, _quarantine(store), view, start, end)
        result.views.append(metrics)
    points = [p for m in result.views for p in m.points(now)]
    if serving_p99_ms is not None:
        result.serving_p99_ms = serving_p99_ms
        points.append(MetricPoint(PROJECT_WIDE, "", SERVING_P99, now, serving_p99_ms))
    registry.record_metrics(store.project, points)
    measured = {m.view: m.values for m in result.views}
    states = registry.get_state(store.project, evaluator.NAMESPACE)
    for alert in sorted(contents.alerts.values(), key=lambda a: a.name):
        if views and alert.feature_view not in views:
            continue
        status = _evaluate(store, contents, alert, states.get(alert.name), measured, now, serving_p99_ms)
        result.notifications += dispatcher.deliver(alert.name, status.state, status.deliveries)
        registry.set_state(store.project, evaluator.NAMESPACE, alert.name, status.state.to_dict())
        result.alerts.append(status)
    return result


def served_drift_of(
    store: FeatureStore, contents: RepoContents, service_name: str, start: datetime | None, end: datetime | None
) -> ServedDrift:
    from featurevault._monitoring.served_drift import served_drift

    end = end or datetime.now(UTC)
    start = start or end - DEFAULT_WINDOW
    baselines = load_baselines(store.registry.registry, store.project)
    return served_drift(contents, store.config.resolve, baselines, service_name, start, end)


def alert_states(store: FeatureStore, contents: RepoContents, state: str | None = None) -> list[dict[str, Any]]:
    """Every alert with its last evaluated state (``inactive`` before its first evaluation)."""
    states = store.registry.registry.get_state(store.project, evaluator.NAMESPACE)
    rows = []
    for alert in sorted(contents.alerts.values(), key=lambda a: a.name):
        current = AlertState.from_dict(states.get(alert.name))
        if state is None or current.state == state:
            rows.append(AlertStatus(alert, current, False, []).to_dict())
    return rows


def freshness_of_views(store: FeatureStore, contents: RepoContents, now: datetime | None = None) -> list[ViewFreshness]:
    now = now or datetime.now(UTC)
    marks = _watermarks(store)
    scheduled = _scheduled_runs(store)
    return [
        view_freshness(
            view,
            store.offline_store.time_range(view_spec(view))[1],
            marks.get(name),
            now,
            scheduled.get(name),
            online_sample(store, name),
        )
        for name, view in sorted(contents.feature_views.items())
    ]


def _scheduled_runs(store: FeatureStore) -> dict[str, Any]:
    """The scheduler's record of each scheduled view's last run (featurevault._lifecycle.schedule_record)."""
    from featurevault._lifecycle.schedule_record import last_runs

    return last_runs(store.registry.registry, store.project)


def online_sample(store: FeatureStore, view_name: str) -> OnlineSample:
    """The newest event time of a sample of the view's online records; empty when the online store fails."""
    try:
        return online_newest_event(store.online_store, view_name)
    except FeatureVaultError as exc:  # an online outage must not stop the other measurements
        logger.warning("monitor: online records of %s not sampled: %s", view_name, exc)
        return OnlineSample()


def non_pii_features(contents: RepoContents, view: FeatureView) -> list[str]:
    """The view's features minus PII ones: baselines keep category names and samples, never personal data."""
    from featurevault._governance.pii import build_catalog

    catalog = build_catalog(contents)
    return [f for f in view.feature_names if catalog.masking_of(view.name, f) is None]


def feature_view(contents: RepoContents, name: str) -> FeatureView:
    view = contents.feature_views.get(name)
    if view is None:
        known = ", ".join(sorted(contents.feature_views)) or "none"
        raise FeatureViewNotFoundError(f"no feature view named {name!r} in the registry (known: {known})")
    return view


def _evaluate(
    store: FeatureStore,
    contents: RepoContents,
    alert: Alert,
    previous: Any,
    measured: dict[str, Any],
    now: datetime,
    serving: float | None,
) -> AlertStatus:
    view = contents.feature_views.get(alert.feature_view)
    if view is None:
        raise MonitoringError(f"alert {alert.name!r} watches feature view {alert.feature_view!r}, which is not defined")
    value = _value(store, alert, measured.get(view.name, {}), serving)
    route = route_for(alert, store.config.alerting)
    return evaluator.evaluate(
        alert, AlertState.from_dict(previous), value, expected_interval=view.expected_interval, route=route, now=now
    )


def _value(
    store: FeatureStore, alert: Alert, values: dict[tuple[str, str], float], serving: float | None
) -> float | None:
    """This run's value; otherwise the newest recorded one (skew comes from ``monitor consistency``, serving
    latency from the server's runs). Serving latency is the project's, whichever view the alert names.
    """
    key = (alert.condition.metric, alert.condition.arg)
    if key[0] == SERVING_P99:
        if serving is not None:
            return serving
        points = store.registry.registry.metrics(store.project, view=PROJECT_WIDE, metric=SERVING_P99)
        return points[-1].value if points else None
    if key in values:
        return values[key]
    points = store.registry.registry.metrics(store.project, view=alert.feature_view, metric=key[0])
    points = [p for p in points if p.feature == key[1]]
    return points[-1].value if points else None


def _quarantine(store: FeatureStore) -> Any:
    return getattr(store, "quarantine", None)


def _watermarks(store: FeatureStore) -> dict[str, Any]:
    from featurevault._ops.materialize import watermarks

    return watermarks(store)
