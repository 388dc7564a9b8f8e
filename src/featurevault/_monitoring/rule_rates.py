"""Rule failure rates of a view in the current window: the ``rule_failures(rule)`` metric.

A rule's failures in [start, end] are the offline rows that fail it (the query ``validate``
runs, one scan for every rule) plus the rows quarantined for it in that window (stopped at
write time, so never in the offline source). The rate is failures over the rows checked
(offline rows plus quarantined ones).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from featurevault._model import FeatureView


@dataclass(frozen=True)
class RuleRate:
    rule: str
    failed: int
    checked: int

    @property
    def rate(self) -> float:
        return self.failed / self.checked if self.checked else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "failed": self.failed, "checked": self.checked, "rate": self.rate}


def rule_rates(offline: Any, quarantine: Any, view: FeatureView, start: datetime, end: datetime) -> list[RuleRate]:
    """One RuleRate per rule of the view (its declared rules and null policies); none without rules."""
    from featurevault._quality.rules.check import effective_rules
    from featurevault._quality.rules.sql import failure_counts_sql
    from featurevault._ops.offline_specs import view_spec
    from featurevault._quality.validate import float_columns

    rules = effective_rules(view)
    if not rules or not hasattr(offline, "over_view_rows"):
        return []
    sql = failure_counts_sql(rules, "{rows}", float_columns(view))
    counts = list(
        offline.over_view_rows(view_spec(view), start, end, lambda rows: sql.replace("{rows}", rows))
        .to_pylist()[0]
        .values()
    )
    held = _quarantined(quarantine, view.name, start, end)
    checked = int(counts[0]) + sum(held.values())
    return [RuleRate(r.name, int(n) + held.get(r.name, 0), checked) for r, n in zip(rules, counts[1:], strict=True)]


def _quarantined(quarantine: Any, view: str, start: datetime, end: datetime) -> Counter[str]:
    if quarantine is None:
        return Counter()
    return Counter(e.rule for e in quarantine.list(view) if start <= e.at <= end)
