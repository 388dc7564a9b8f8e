"""The metrics of one monitoring run for one view: freshness, and drift and null rates against its baseline."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from featurevault._backends.registry.base import MetricPoint
from featurevault._model import FeatureView
from featurevault._monitoring.baselines import ViewBaseline
from featurevault._monitoring.drift import FeatureDrift, feature_drift
from featurevault._monitoring.rule_rates import RuleRate
from featurevault._monitoring.freshness import OnlineSample, ViewFreshness, view_freshness
from featurevault._ops.offline_specs import view_spec

logger = logging.getLogger(__name__)


@dataclass
class ViewMetrics:
    """What one run measured of one view; ``values`` maps (metric, feature) to a number."""

    view: str
    start: datetime
    end: datetime
    freshness: ViewFreshness
    rows: int | None = None
    drift: list[FeatureDrift] = field(default_factory=list)
    rules: list[RuleRate] = field(default_factory=list)

    @property
    def values(self) -> dict[tuple[str, str], float]:
        found: dict[tuple[str, str], float] = {}
        for metric, value in (
            ("freshness", self.freshness.freshness_seconds),
            ("materialization_age", self.freshness.materialization_age_seconds),
            ("online_freshness", self.freshness.online_freshness_seconds),
        ):
            if value is not None:
                found[(metric, "")] = value
        for drift in self.drift:
            for metric, value in drift.metrics().items():
                found[(metric, drift.feature)] = value
        for rule in self.rules:
            found[("rule_failures", rule.rule)] = rule.rate
            found[("rule_failed_rows", rule.rule)] = float(rule.failed)
        return found

    def points(self, at: datetime) -> list[MetricPoint]:
        return [MetricPoint(self.view, feature, metric, at, value) for (metric, feature), value in self.values.items()]

    def to_dict(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "window": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "rows": self.rows,
            "freshness": self.freshness.to_dict(),
            "drift": [d.__dict__ for d in self.drift],
            "rules": [r.to_dict() for r in self.rules],
        }


def collect_view(
    offline: Any,
    view: FeatureView,
    *,
    baseline: ViewBaseline | None,
    watermark: dict[str, Any] | None,
    start: datetime,
    end: datetime,
    now: datetime,
    scheduled_run: dict[str, Any] | None = None,
    online: OnlineSample | None = None,
) -> ViewMetrics:
    """Freshness always; drift and null rates of the baseline's features when there is a baseline."""
    spec = view_spec(view)
    _, newest = offline.time_range(spec)
    metrics = ViewMetrics(view.name, start, end, view_freshness(view, newest, watermark, now, scheduled_run, online))
    if baseline is not None:
        features = [f for f in view.feature_names if f in baseline.features]
        table = offline.feature_rows(spec, features, start, end)
        metrics.rows = table.num_rows
        metrics.drift = [feature_drift(f, baseline.features[f], table.column(f)) for f in features]
    logger.info(
        "monitor: view %s freshness %s s, materialization age %s s, %d features compared over %s rows",
        view.name,
        _round(metrics.freshness.freshness_seconds),
        _round(metrics.freshness.materialization_age_seconds),
        len(metrics.drift),
        metrics.rows if metrics.rows is not None else "no",
    )
    return metrics


def _round(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"
