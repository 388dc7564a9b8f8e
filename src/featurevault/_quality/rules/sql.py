"""Rules compiled to DuckDB SQL over a view's offline rows: one pass computes every failure count."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from featurevault._model.rules import Rule


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return f"TIMESTAMPTZ '{value.isoformat()}'"
        return f"TIMESTAMP '{value.isoformat()}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def failing_condition(rule: Rule, float_columns: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    """A boolean SQL expression, TRUE where a row breaks ``rule`` (``unique`` uses a window count)."""
    column = quote(rule.columns[0]) if rule.columns else ""
    is_float = bool(rule.columns) and rule.columns[0] in float_columns
    if rule.kind == "not_null":
        parts = [f"{column} IS NULL"]
        if is_float:
            parts.append(f"isnan({column})")
        if rule.params.get("empty_is_null"):
            parts.append(f"(typeof({column}) = 'VARCHAR' AND length({column}::VARCHAR) = 0)")
        return "(" + " OR ".join(parts) + ")"
    if rule.kind == "between":
        low, high = rule.params.get("low"), rule.params.get("high")
        parts = [f"{column} < {literal(low)}"] if low is not None else []
        parts += [f"{column} > {literal(high)}"] if high is not None else []
        if is_float:
            parts.append(f"isnan({column})")
        return "coalesce(" + " OR ".join(parts) + ", false)"
    if rule.kind == "one_of":
        values = ", ".join(literal(v) for v in rule.params["values"])
        return f"coalesce({column} NOT IN ({values}), false)"
    if rule.kind == "matches":
        return f"coalesce(NOT regexp_full_match({column}, {literal(rule.params['pattern'])}), false)"
    if rule.kind == "unique":
        keys = ", ".join(quote(c) for c in rule.columns)
        present = " AND ".join(f"{quote(c)} IS NOT NULL" for c in rule.columns)
        return f"({present} AND count(*) OVER (PARTITION BY {keys}) > 1)"
    if rule.kind == "expression":
        return f"coalesce(NOT ({rule.params['sql']}), false)"
    raise ValueError(f"unknown rule kind {rule.kind!r}")


def failure_counts_sql(rules: list[Rule], rows_sql: str, float_columns: set[str]) -> str:
    """One query over ``rows_sql`` giving the row count, then one failure count per rule, in order.

    Window conditions (``unique``) are computed in an inner projection, so the whole check is
    a single scan of the data.
    """
    flags = [f"{failing_condition(r, float_columns)} AS __f{i}" for i, r in enumerate(rules)]
    inner = f"SELECT {', '.join(flags) or 'true AS __none'} FROM {rows_sql}"
    counts = [f"count(*) FILTER (WHERE __f{i})" for i in range(len(rules))]
    return f"SELECT {', '.join(['count(*)', *counts])} FROM ({inner})"
