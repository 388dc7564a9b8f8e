"""Rules compiled to Arrow compute: one boolean mask per rule, True where a row fails.

Each kind is a handful of vectorised kernels over whole columns; a simple ``expression`` is
compiled to Arrow kernels too (:mod:`.arrow_expr`), any other is run by DuckDB over the Arrow
table in place (no copy, no per-row Python).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from featurevault._model.rules import Rule
from featurevault._quality.rules.arrow_expr import Unsupported, compile_expression

Mask: TypeAlias = pa.Array


def failing_mask(rule: Rule, table: pa.Table) -> Mask:
    """True for each row of ``table`` that breaks ``rule`` (never null)."""
    mask = _KINDS[rule.kind](rule, table)
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks() if mask.num_chunks != 1 else mask.chunk(0)
    return pc.fill_null(mask, False)


def _column(table: pa.Table, name: str) -> pa.ChunkedArray:
    return table.column(name)


def _is_missing(column: pa.ChunkedArray) -> Any:
    missing = pc.is_null(column, nan_is_null=pa.types.is_floating(column.type))
    return missing


def _not_null(rule: Rule, table: pa.Table) -> Any:
    column = _column(table, rule.columns[0])
    missing = _is_missing(column)
    if rule.params.get("empty_is_null") and (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        missing = pc.or_(missing, pc.fill_null(pc.equal(pc.utf8_length(column), 0), False))
    return missing


def _scalar_for(value: Any, column: pa.ChunkedArray) -> pa.Scalar:
    if isinstance(value, (datetime, date)) and pa.types.is_timestamp(column.type):
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        if column.type.tz is not None and value.tzinfo is None:
            from datetime import UTC

            value = value.replace(tzinfo=UTC)
        return pa.scalar(value, type=column.type)
    return pa.scalar(value)


def _between(rule: Rule, table: pa.Table) -> Any:
    column = _column(table, rule.columns[0])
    low, high = rule.params.get("low"), rule.params.get("high")
    fails = None
    if low is not None:
        fails = pc.less(column, _scalar_for(low, column))
    if high is not None:
        above = pc.greater(column, _scalar_for(high, column))
        fails = above if fails is None else pc.or_kleene(fails, above)
    if pa.types.is_floating(column.type):  # NaN compares false both ways: out of any range
        fails = pc.or_kleene(fails, pc.is_nan(column))
    return fails


def _one_of(rule: Rule, table: pa.Table) -> Any:
    column = _column(table, rule.columns[0])
    values = pa.array(rule.params["values"]).cast(column.type)
    return pc.and_(pc.invert(pc.is_in(column, value_set=values)), pc.is_valid(column))


def _matches(rule: Rule, table: pa.Table) -> Any:
    column = _column(table, rule.columns[0])
    pattern = rule.params["pattern"]
    anchored = f"^(?:{pattern})$"
    return pc.invert(pc.match_substring_regex(column, anchored))


def _unique(rule: Rule, table: pa.Table) -> Any:
    cols = list(rule.columns)
    if table.num_rows == 0:
        return pa.array([], pa.bool_())
    keyed = table.select(cols).append_column("__fv_row", pa.array(range(table.num_rows), pa.int64()))
    counts = keyed.group_by(cols, use_threads=False).aggregate([("__fv_row", "count")])
    joined = keyed.join(counts, cols, join_type="left outer", use_threads=False)
    order = pc.sort_indices(joined.column("__fv_row"))
    count = pc.take(joined.column("__fv_row_count"), order)
    present = None  # a null in any column never makes a duplicate (as in SQL and in validate)
    for name in cols:
        valid = pc.is_valid(table.column(name))
        present = valid if present is None else pc.and_(present, valid)
    return pc.and_(pc.greater(count, 1), present)


def _expression(rule: Rule, table: pa.Table) -> Any:
    fast = compile_expression(rule.params["sql"])
    if fast is not None:
        try:
            return fast(table)
        except Unsupported:  # a batch Arrow cannot judge as DuckDB would (NaN, DECIMAL arithmetic...)
            pass
    from featurevault._quality.rules.engine import cursor

    with cursor() as cur:
        cur.register("__fv_rows", table)
        sql = f"SELECT coalesce(NOT ({rule.params['sql']}), false) AS fails FROM __fv_rows"
        return cur.sql(sql).to_arrow_table().column(0)


_KINDS: dict[str, Callable[[Rule, pa.Table], Any]] = {
    "not_null": _not_null,
    "between": _between,
    "one_of": _one_of,
    "matches": _matches,
    "unique": _unique,
    "expression": _expression,
}
