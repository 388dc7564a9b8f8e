"""The repo's alerts as a Prometheus alerting-rules file, over the gauges ``serve`` exports.

Each recorded metric is the gauge ``featurevault_monitor_value{project, view, feature, metric}``
(see :mod:`featurevault._server.monitoring`); an alert ``psi(amount) > 0.2`` becomes
``featurevault_monitor_value{project="p", view="v", feature="amount", metric="psi"} > 0.2``.
"""

from __future__ import annotations

from typing import Any

import yaml

from featurevault._model import RepoContents

GAUGE = "featurevault_monitor_value"
SERVING_P99 = "serving_p99_ms"


def alert_rules(project: str, contents: RepoContents) -> dict[str, Any]:
    rules = []
    for alert in sorted(contents.alerts.values(), key=lambda a: a.name):
        view = contents.feature_views.get(alert.feature_view)
        condition = alert.condition
        threshold = condition.limit(view.expected_interval if view else None)
        # serving latency is recorded for the whole project (view ""), whichever view the alert names
        series_view = "" if condition.metric == SERVING_P99 else alert.feature_view
        labels = f'project="{project}", view="{series_view}", feature="{condition.arg}", metric="{condition.metric}"'
        rule: dict[str, Any] = {
            "alert": alert.name,
            "expr": f"{GAUGE}{{{labels}}} {condition.op} {threshold:g}",
            "labels": {"severity": alert.severity, **({"owner": alert.owner} if alert.owner else {})},
            "annotations": {
                "summary": f"{alert.feature_view}: {alert.condition_text}",
                **({"runbook": alert.runbook} if alert.runbook else {}),
                **({"description": alert.description} if alert.description else {}),
            },
        }
        if alert.for_seconds:
            rule["for"] = f"{int(alert.for_seconds)}s"
        rules.append(rule)
    return {"groups": [{"name": f"featurevault-{project}", "rules": rules}]}


def alert_rules_yaml(project: str, contents: RepoContents) -> str:
    return yaml.safe_dump(alert_rules(project, contents), sort_keys=False)
