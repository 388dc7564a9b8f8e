"""The quality gate a write passes through: check each batch, keep quarantined rows, note the outcome.

One gate serves one guarded call (a materialization, a push, a write): it carries the
call's run id and principal into quarantine entries, and fills the call's audit details
with what the rules did (rows checked, quarantined, warned per rule).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from featurevault._backends.offline.specs import ViewSpec
from featurevault._model import FeatureView
from featurevault._quality import window
from featurevault._quality.enforce import EVENT_TS, RULE_COLUMN, Verdict, check_batch, hidden_columns
from featurevault._quality.quarantine import QuarantineBatch, QuarantineStore, entries_of
from featurevault._quality.rules.check import timestamp_name
from featurevault._quality.window import WindowDuplicates

logger = logging.getLogger(__name__)


@dataclass
class QualityGate:
    quarantine: QuarantineStore
    run_id: str
    principal: str
    #: the guarded call's audit details, filled under "quality"
    notes: dict[str, Any] = field(default_factory=dict)
    #: encrypts a view's PII columns as the online store keeps them (None: stored clear)
    seal: Callable[[str, pa.Table], pa.Table] | None = None

    #: per view, the ``unique`` rules checked over the whole window of a materialization
    windows: dict[str, dict[str, WindowDuplicates]] = field(default_factory=dict)

    def scan_window(
        self, offline: Any, view: FeatureView, start: datetime | None, end: datetime | None, *, spec: ViewSpec
    ) -> None:
        """Check the view's ``unique`` rules over every source row in [start, end] before a materialization.

        ``spec`` is the view as the offline engine reads it. Raises DataQualityError (nothing
        written yet) when a ``block`` one fails; the batches checked afterwards quarantine the
        rows of duplicated combinations.
        """
        found = window.scan(offline, view, start, end, spec=spec)
        if not found:
            self.windows.pop(view.name, None)
            return
        window.enforce(view, found, hidden_columns(view), self._view_notes(view.name))
        self.windows[view.name] = {dup.rule.name: dup for dup in found}

    def check(self, view: FeatureView, table: pa.Table, *, only_block: bool = False) -> Verdict:
        """Check one batch (raises DataQualityError for a failing ``block`` rule)."""
        try:
            verdict = check_batch(view, table, only_block=only_block, window=self.windows.get(view.name))
        except Exception as exc:
            report = getattr(exc, "report", None)
            if report is not None:
                self._view_notes(view.name)["blocked"] = [f["rule"] for f in report if f["on_fail"] == "block"]
            raise
        if not only_block:
            self._note(view.name, verdict)
        return verdict

    def keep(
        self, view: FeatureView, rows: pa.Table | None, *, operation: str, target: str, dedupe_key: str | None = None
    ) -> int:
        """Store quarantined ``rows`` durably (before the passing rows are written); returns the row count."""
        if rows is None or rows.num_rows == 0:
            return 0
        ts = timestamp_name(view)
        named = rows.rename_columns([ts if n == EVENT_TS else n for n in rows.column_names])
        if self.seal is not None:
            named = self.seal(view.name, named)
        batch = QuarantineBatch(
            view.name,
            target,
            operation,
            self.run_id,
            self.principal,
            dedupe_key if dedupe_key is not None else self.run_id,
        )
        self.quarantine.add(entries_of(batch, named, RULE_COLUMN))
        quarantined: int = rows.num_rows
        logger.warning("feature view %r: %d row(s) quarantined by %s", view.name, quarantined, operation)
        return quarantined

    def _view_notes(self, view: str) -> dict[str, Any]:
        notes: dict[str, Any] = self.notes.setdefault("quality", {}).setdefault(view, {"checked": 0, "quarantined": 0})
        return notes

    def _note(self, view: str, verdict: Verdict) -> None:
        notes = self._view_notes(view)
        notes["checked"] += verdict.rows_in
        notes["quarantined"] += verdict.quarantined_rows
        for failure in verdict.failures:
            if failure.rows:
                failed = notes.setdefault("failed", {})
                failed[failure.rule] = failed.get(failure.rule, 0) + failure.rows
