"""``unique`` over a materialization's whole source window, not the batch being written.

Materialization writes the latest row per entity key, so the batches it checks hold one row
per key: a duplicate among the source rows (two rows for the same key and event time, or
one value shared by two keys in different batches) is never in one batch. Before the run
writes anything, one DuckDB query per ``unique`` rule finds the key combinations that occur
more than once among the source rows in [start, end] (nulls never count, as in SQL and in
``validate``); then

- ``block``: the run is refused, nothing written, naming the rule, the failing count and a
  few duplicated keys;
- ``warn``: the duplicated source rows are logged, counted and noted once for the run;
- ``quarantine``: the same count, and each row about to be written whose combination is
  duplicated in the window is quarantined instead (:func:`duplicated_mask`).

A push or a write checks ``unique`` over the rows it is given (see :mod:`.enforce`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from featurevault.errors import DataQualityError
from featurevault._backends.offline.specs import ViewSpec
from featurevault._model import FeatureView
from featurevault._model.rules import Rule
from featurevault._quality import metrics
from featurevault._quality.rules.check import effective_rules
from featurevault._quality.rules.sql import quote

logger = logging.getLogger(__name__)

EXAMPLES = 3
COUNT = "__fv_count"


@dataclass(frozen=True)
class WindowDuplicates:
    """The key combinations of one ``unique`` rule found more than once in the window."""

    rule: Rule
    #: the rule's columns plus :data:`COUNT` (source rows of that combination), one row per combination
    keys: pa.Table

    @property
    def rows(self) -> int:
        """Source rows that break the rule (every row of a duplicated combination)."""
        return int(pc.sum(self.keys.column(COUNT)).as_py() or 0) if self.keys.num_rows else 0


def unique_rules(view: FeatureView) -> list[Rule]:
    return [r for r in effective_rules(view) if r.kind == "unique"]


def scan(
    offline: Any, view: FeatureView, start: datetime | None, end: datetime | None, *, spec: ViewSpec
) -> list[WindowDuplicates] | None:
    """The duplicated combinations of each ``unique`` rule in the window (None: the engine cannot tell).

    ``spec`` is the view as the offline engine reads it.
    """
    rules = unique_rules(view)
    if not rules:
        return []
    if not hasattr(offline, "over_view_rows"):
        logger.warning(
            "feature view %r: the %s offline engine runs no SQL over view rows; unique rules "
            "check each written batch only",
            view.name,
            type(offline).__name__,
        )
        return None
    return [WindowDuplicates(rule, offline.over_view_rows(spec, start, end, _duplicates_sql(rule))) for rule in rules]


def _duplicates_sql(rule: Rule) -> Any:
    keys = ", ".join(quote(c) for c in rule.columns)
    present = " AND ".join(f"{quote(c)} IS NOT NULL" for c in rule.columns)
    return lambda rows: (
        f"SELECT {keys}, count(*) AS {COUNT} FROM {rows} WHERE {present} GROUP BY {keys} HAVING count(*) > 1"
    )


def enforce(view: FeatureView, found: list[WindowDuplicates], hidden: set[str], notes: dict[str, Any]) -> None:
    """Count, log and note the window's failures once; raise DataQualityError for a failing ``block`` rule."""
    failed = [d for d in found if d.rows]
    for dup in failed:
        metrics.record_failures(view.name, dup.rule.name, dup.rule.on_fail, dup.rows)
        noted = notes.setdefault("failed", {})
        noted[dup.rule.name] = noted.get(dup.rule.name, 0) + dup.rows
    blocked = [d for d in failed if d.rule.on_fail == "block"]
    if blocked:
        notes["blocked"] = [d.rule.name for d in blocked]
        report = [_report(d, hidden) for d in failed]
        parts = [
            f"rule {d.rule.name!r} (unique, on_fail=block) failed on {d.rows} source rows of the window "
            f"({d.keys.num_rows} duplicated combinations), e.g. {_examples(d, hidden)}"
            for d in blocked
        ]
        raise DataQualityError(
            f"feature view {view.name!r}: materialization refused, nothing written: " + "; ".join(parts), report=report
        )
    for dup in failed:
        logger.warning(
            "feature view %r: rule %r found %d source rows sharing %d duplicated combinations in the "
            "window (on_fail=%s)",
            view.name,
            dup.rule.name,
            dup.rows,
            dup.keys.num_rows,
            dup.rule.on_fail,
        )


def _report(dup: WindowDuplicates, hidden: set[str]) -> dict[str, Any]:
    return {
        "rule": dup.rule.name,
        "kind": "unique",
        "on_fail": dup.rule.on_fail,
        "rows": dup.rows,
        "examples": _examples(dup, hidden),
    }


def _examples(dup: WindowDuplicates, hidden: set[str]) -> list[dict[str, Any]]:
    rows = dup.keys.slice(0, EXAMPLES).to_pylist()
    return [
        {k: ("<pii>" if k in hidden else (v.isoformat() if hasattr(v, "isoformat") else v)) for k, v in row.items()}
        for row in rows
    ]


def duplicated_mask(dup: WindowDuplicates, table: pa.Table) -> pa.Array:
    """True for each row of ``table`` whose combination of the rule's columns is duplicated in the window."""
    cols = list(dup.rule.columns)
    if table.num_rows == 0 or dup.keys.num_rows == 0:
        return pa.array([False] * table.num_rows, pa.bool_())
    keys = pa.table({c: _like(dup.keys.column(c), table.column(c).type) for c in cols})
    keys = keys.append_column("__fv_dup", pa.array([True] * keys.num_rows, pa.bool_()))
    rows = table.select(cols).append_column("__fv_row", pa.array(range(table.num_rows), pa.int64()))
    joined = rows.join(keys, cols, join_type="left outer", use_threads=False)
    order = pc.sort_indices(joined.column("__fv_row"))
    return pc.fill_null(pc.take(joined.column("__fv_dup"), order), False).combine_chunks()


def _like(column: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    """The window's key column in the batch's type (the offline rows give naive UTC times)."""
    if column.type == target:
        return column
    return column.cast(target)
