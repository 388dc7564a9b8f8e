"""Rules enforced on a batch being written: split it into rows to write and rows to quarantine.

The batch is a table of the view's columns as prepared for writing (join keys, the event
time under :data:`EVENT_TS`, features). Each rule gives one vectorised failure mask:

- a ``block`` rule that fails raises :class:`DataQualityError` before anything is written;
- rows failing any ``quarantine`` rule are taken out of the batch, each tagged with the first
  such rule it broke;
- ``warn`` failures are logged and counted, and their rows are written.

Counting invariant: ``rows_in == len(passing) + len(quarantined)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from featurevault.errors import DataQualityError
from featurevault._model import FeatureView
from featurevault._model.rules import Rule
from featurevault._quality import metrics
from featurevault._quality.rules.arrow import failing_mask
from featurevault._quality.rules.check import effective_rules, timestamp_name
from featurevault._quality.window import WindowDuplicates, duplicated_mask

logger = logging.getLogger(__name__)

EVENT_TS = "__event_ts"
RULE_COLUMN = "__fv_rule"
EXAMPLES = 3


@dataclass(frozen=True)
class RuleFailure:
    """How many rows of a batch broke one rule, with a few of them (PII columns hidden)."""

    rule: str
    kind: str
    on_fail: str
    rows: int
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "on_fail": self.on_fail,
            "rows": self.rows,
            "examples": self.examples,
        }


@dataclass
class Verdict:
    """The outcome of checking one batch."""

    rows_in: int
    passing: pa.Table
    #: the failing rows, view columns plus :data:`RULE_COLUMN` (the rule each broke first)
    quarantined: pa.Table | None
    failures: list[RuleFailure]
    #: True for each input row that was quarantined (None when none was)
    failed_mask: pa.Array | None = None

    @property
    def quarantined_rows(self) -> int:
        return 0 if self.quarantined is None else self.quarantined.num_rows

    @property
    def warnings(self) -> list[RuleFailure]:
        return [f for f in self.failures if f.on_fail == "warn"]


def has_rules(view: FeatureView) -> bool:
    return bool(view.rules) or any(f.null_policy is not None and f.null_policy.mode == "reject" for f in view.schema)


def has_block_rules(view: FeatureView) -> bool:
    return any(r.on_fail == "block" for r in effective_rules(view))


def check_batch(
    view: FeatureView, table: pa.Table, *, only_block: bool = False, window: dict[str, WindowDuplicates] | None = None
) -> Verdict:
    """Split ``table`` by the view's rules (raises DataQualityError when a ``block`` rule fails).

    ``window`` holds the ``unique`` rules already checked over a materialization's whole
    window (:mod:`.window`): they were counted there, and here only take out the rows of a
    ``quarantine`` one.
    """
    window = window or {}
    rules = [
        r
        for r in effective_rules(view)
        if (not only_block or r.on_fail == "block") and (r.name not in window or r.on_fail == "quarantine")
    ]
    if not rules or table.num_rows == 0:
        return Verdict(table.num_rows, table, None, [])
    named = _as_view_columns(view, table)
    masks = [
        (rule, duplicated_mask(window[rule.name], named) if rule.name in window else failing_mask(rule, named))
        for rule in rules
    ]
    hidden = hidden_columns(view)
    failures = [
        RuleFailure(rule.name, rule.kind, rule.on_fail, count, _examples(named, mask, hidden) if count else [])
        for rule, mask in masks
        if rule.name not in window
        for count in [pc.sum(mask).as_py() or 0]
    ]
    failed = [f for f in failures if f.rows]
    if not only_block:
        metrics.record_checked(view.name, table.num_rows)
        for f in failed:
            metrics.record_failures(view.name, f.rule, f.on_fail, f.rows)
    blocked = [f for f in failed if f.on_fail == "block"]
    if blocked:
        raise DataQualityError(_block_message(view, blocked, table.num_rows), report=[f.to_dict() for f in failed])
    for f in failed:
        if f.on_fail == "warn":
            logger.warning(
                "feature view %r: rule %r failed on %d of %d rows (on_fail=warn; written)",
                view.name,
                f.rule,
                f.rows,
                table.num_rows,
            )
    return _split(table, [(r, m) for r, m in masks if r.on_fail == "quarantine"], failures)


def _split(table: pa.Table, masks: list[tuple[Rule, pa.Array]], failures: list[RuleFailure]) -> Verdict:
    if not masks:
        return Verdict(table.num_rows, table, None, failures)
    any_failed = masks[0][1]
    rule_names = pa.nulls(table.num_rows, pa.string())
    for rule, mask in reversed(masks):  # the first rule a row broke wins
        rule_names = pc.if_else(mask, pa.scalar(rule.name), rule_names)
    for _, mask in masks[1:]:
        any_failed = pc.or_(any_failed, mask)
    if not pc.any(any_failed).as_py():
        return Verdict(table.num_rows, table, None, failures)
    passing = table.filter(pc.invert(any_failed))
    quarantined = table.filter(any_failed).append_column(RULE_COLUMN, rule_names.filter(any_failed))
    return Verdict(table.num_rows, passing, quarantined, failures, any_failed)


def _as_view_columns(view: FeatureView, table: pa.Table) -> pa.Table:
    """The batch with the event time under the name rules use (the source's timestamp field)."""
    if EVENT_TS not in table.column_names:
        return table
    ts = timestamp_name(view)
    return table.rename_columns([ts if n == EVENT_TS else n for n in table.column_names])


def hidden_columns(view: FeatureView) -> set[str]:
    """Columns tagged PII (on the field, or the whole view): their values never appear in reports."""
    view_pii = str(view.tags.get("pii", "")).lower() == "true"
    return {f.name for f in view.schema if view_pii or str(f.tags.get("pii", "")).lower() == "true"}


def _examples(table: pa.Table, mask: pa.Array, hidden: set[str]) -> list[dict[str, Any]]:
    rows = table.filter(mask).slice(0, EXAMPLES).to_pylist()
    return [{k: ("<pii>" if k in hidden else _plain(v)) for k, v in row.items()} for row in rows]


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _block_message(view: FeatureView, blocked: list[RuleFailure], rows: int) -> str:
    parts = [
        f"rule {f.rule!r} ({f.kind}, on_fail=block) failed on {f.rows} of {rows} rows, e.g. {f.examples}"
        for f in blocked
    ]
    return f"feature view {view.name!r}: batch refused, nothing written: " + "; ".join(parts)
