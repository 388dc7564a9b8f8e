"""Readiness items of MONITORING and OPERATIONS decided by the repo's alerts and ``alerting`` config."""

from __future__ import annotations

from typing import Any

from featurevault._model import Alert

PASS, FAIL = "pass", "fail"

FRESHNESS_METRICS = {"freshness", "materialization_age"}
QUALITY_METRICS = {"null_rate", "rule_failures"}
DRIFT_METRICS = {"psi", "js", "ks"}


def _alerts_on(inputs: Any, metrics: set[str]) -> list[Alert]:
    return [a for a in inputs.contents.alerts.values() if a.condition.metric in metrics]


def freshness(inputs: Any) -> tuple[str, str]:
    views = inputs.contents.feature_views.values()
    declared = sum(v.expected_interval is not None for v in views)
    watched = {a.feature_view for a in _alerts_on(inputs, FRESHNESS_METRICS)}
    evidence = f"expected interval on {declared}/{len(views)} feature views; freshness alerts on {len(watched)}"
    return (PASS if views and len(watched) == len(views) else FAIL), evidence


def quality_metrics(inputs: Any) -> tuple[str, str]:
    alerts = _alerts_on(inputs, QUALITY_METRICS)
    if alerts:
        return PASS, f"{len(alerts)} alert(s) on null rates or rule failures"
    return FAIL, "no alert on null_rate(...) or rule_failures(...)"


def drift(inputs: Any) -> tuple[str, str]:
    alerts = _alerts_on(inputs, DRIFT_METRICS)
    if alerts:
        return PASS, f"{len(alerts)} drift alert(s) (psi, js, ks); baselines: featurevault monitor baseline"
    return FAIL, "no alert on psi(...), js(...) or ks(...)"


def alerting_rules(inputs: Any) -> tuple[str, str]:
    alerts = list(inputs.contents.alerts.values())
    if not alerts:
        return FAIL, "no Alert defined in the repo"
    without = sorted(a.name for a in alerts if not a.runbook)
    if without:
        return FAIL, f"{len(alerts)} alert(s), without a runbook: {', '.join(without[:5])}"
    return PASS, f"{len(alerts)} alert(s), each with a runbook"


def on_call(inputs: Any) -> tuple[str, str]:
    config = inputs.config.alerting
    if _pages_someone(config):
        receivers = sorted({r for route in config.routes if route.severity == "P1" for r in route.receivers})
        return PASS, f"P1 alerts go to {', '.join(receivers)} (alerting.routes)"
    return FAIL, "no alerting route sends P1 alerts to a receiver other than the log"


def _pages_someone(config: Any) -> bool:
    """A P1 route with a receiver other than the log."""
    return any(
        route.severity == "P1" and any(r != "log" for r in [*route.receivers, *route.escalate_to])
        for route in config.routes
    )
