"""``validate``: a view's rules over its offline rows, one query for every rule, plus backfill coverage.

Coverage: the earliest and latest event time, and the days (UTC) with no rows between the
view's ``backfill_start`` (or its earliest row) and its latest row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from featurevault.errors import RequestError
from featurevault._backends.offline.specs import ViewSpec
from featurevault._model import FeatureView
from featurevault._quality.rules.check import effective_rules, timestamp_name
from featurevault._quality.rules.sql import failure_counts_sql, quote
from featurevault._model.types import Float32, Float64

MAX_GAPS_LISTED = 50


@dataclass(frozen=True)
class RuleResult:
    rule: str
    kind: str
    on_fail: str
    failed: int

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "kind": self.kind, "on_fail": self.on_fail, "failed": self.failed}


@dataclass
class ViewValidation:
    view: str
    rows: int
    rules: list[RuleResult]
    earliest: datetime | None
    latest: datetime | None
    backfill_start: datetime | None
    #: days (UTC) without a row in [backfill_start or earliest, latest]
    missing_days: list[date] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(r.failed and r.on_fail == "block" for r in self.rules)

    @property
    def backfilled(self) -> bool:
        """History reaches back to ``backfill_start`` (when declared) with no day missing."""
        if self.earliest is None:
            return False
        starts_in_time = self.backfill_start is None or self.earliest.date() <= self.backfill_start.date()
        return starts_in_time and not self.missing_days

    def to_dict(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "rows": self.rows,
            "blocked": self.blocked,
            "rules": [r.to_dict() for r in self.rules],
            "earliest": _iso(self.earliest),
            "latest": _iso(self.latest),
            "backfill_start": _iso(self.backfill_start),
            "backfilled": self.backfilled,
            "missing_days": len(self.missing_days),
            "missing_days_first": [d.isoformat() for d in self.missing_days[:MAX_GAPS_LISTED]],
        }


@dataclass
class ValidationReport:
    views: list[ViewValidation]

    @property
    def blocked(self) -> bool:
        """A ``block`` rule failed somewhere (the CLI exits 1)."""
        return any(v.blocked for v in self.views)

    def to_dict(self) -> dict[str, Any]:
        return {"blocked": self.blocked, "views": [v.to_dict() for v in self.views]}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def float_columns(view: FeatureView) -> set[str]:
    return {f.name for f in view.features if f.dtype in (Float32, Float64)}


def validate_view(
    offline: Any, view: FeatureView, start: datetime | None, end: datetime | None, *, spec: ViewSpec
) -> ViewValidation:
    """Run the view's rules over its offline rows in [start, end] (``spec``: the view as the engine reads it)."""
    if not hasattr(offline, "over_view_rows"):
        raise RequestError(f"validate: the {type(offline).__name__} offline engine does not run SQL over view rows")
    rules = effective_rules(view)
    ts = quote(timestamp_name(view))
    counts_sql = failure_counts_sql(rules, "{rows}", float_columns(view))
    sql = f"SELECT * FROM ({counts_sql.replace('{rows}', '__fv_rows')}), (SELECT min({ts}), max({ts}) FROM __fv_rows)"
    table = offline.over_view_rows(spec, start, end, lambda rows: f"WITH __fv_rows AS {rows} {sql}")
    values = list(table.to_pylist()[0].values())
    results = [RuleResult(r.name, r.kind, r.on_fail, int(n)) for r, n in zip(rules, values[1:-2], strict=True)]
    earliest, latest = _utc(values[-2]), _utc(values[-1])
    days = _days_with_rows(offline, view, spec, start, end) if latest is not None else set()
    missing = _missing_days(days, view.backfill_start or earliest, latest)
    return ViewValidation(view.name, int(values[0]), results, earliest, latest, view.backfill_start, missing)


def _days_with_rows(
    offline: Any, view: FeatureView, spec: ViewSpec, start: datetime | None, end: datetime | None
) -> set[date]:
    ts = quote(timestamp_name(view))
    table = offline.over_view_rows(spec, start, end, lambda rows: f"SELECT DISTINCT CAST({ts} AS DATE) FROM {rows}")
    return {d for d in table.column(0).to_pylist() if d is not None}


def _missing_days(days: set[date], first: datetime | None, last: datetime | None) -> list[date]:
    if first is None or last is None:
        return []
    day, end = first.date(), last.date()
    missing = []
    while day <= end:
        if day not in days:
            missing.append(day)
        day += timedelta(days=1)
    return missing


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
