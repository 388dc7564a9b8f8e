"""Rules checked against their view at plan/apply: columns exist, bounds fit the type, SQL compiles."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from featurevault.errors import DefinitionError
from featurevault._model import FeatureView
from featurevault._model.rules import Rule
from featurevault._model.types import UnixTimestamp


def view_columns(view: FeatureView) -> dict[str, pa.DataType]:
    """The columns a rule of ``view`` may read (view names), with their Arrow types."""
    columns: dict[str, pa.DataType] = {}
    declared = {f.name: f.dtype.to_arrow() for f in view.entity_columns}
    for key in view.join_keys:
        columns[key] = declared.get(key, pa.null())
    columns[timestamp_name(view)] = UnixTimestamp.to_arrow()
    for f in view.features:
        columns[f.name] = f.dtype.to_arrow()
    return columns


def timestamp_name(view: FeatureView) -> str:
    return view.batch_source.timestamp_field or "event_timestamp"


def effective_rules(view: FeatureView) -> list[Rule]:
    """The view's rules plus a ``not_null`` rule for each field whose null policy is ``reject``."""
    rules = list(view.rules)
    for f in view.schema:
        policy = f.null_policy
        if policy is not None and policy.mode == "reject":
            rules.append(Rule("not_null", (f.name,), f"null_policy_{f.name}", policy.on_fail))
    return rules


def check_view_rules(view: FeatureView) -> None:
    """Raise DefinitionError naming the view, rule and column of the first rule that cannot work."""
    columns = view_columns(view)
    for rule in view.rules:
        where = f"feature view {view.name!r}, rule {rule.name!r}"
        for column in rule.columns:
            if column not in columns:
                raise DefinitionError(f"{where}: unknown column {column!r} (columns: {', '.join(columns)})")
        _CHECKS.get(rule.kind, _no_check)(where, rule, columns)
    for f in view.features:
        if f.null_policy is not None and f.null_policy.mode == "fill":
            _check_value_fits(
                f"feature view {view.name!r}, field {f.name!r} null policy",
                f.name,
                f.null_policy.fill_value,
                columns[f.name],
            )


def _no_check(where: str, rule: Rule, columns: dict[str, pa.DataType]) -> None:
    return None


def _kind_of(arrow_type: pa.DataType) -> str:
    if pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "number"
    if pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type):
        return "time"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "string"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    return "other"


def _value_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, (datetime, date)):
        return "time"
    if isinstance(value, str):
        return "string"
    return "other"


def _check_value_fits(where: str, column: str, value: Any, arrow_type: pa.DataType) -> None:
    if pa.types.is_null(arrow_type):
        return
    if _value_kind(value) != _kind_of(arrow_type):
        raise DefinitionError(f"{where}: value {value!r} does not fit column {column!r} of type {arrow_type}")


def _check_between(where: str, rule: Rule, columns: dict[str, pa.DataType]) -> None:
    column = rule.columns[0]
    if _kind_of(columns[column]) not in ("number", "time") and not pa.types.is_null(columns[column]):
        raise DefinitionError(f"{where}: between needs a numeric or time column; {column!r} is {columns[column]}")
    for bound in (rule.params.get("low"), rule.params.get("high")):
        if bound is not None:
            _check_value_fits(where, column, bound, columns[column])


def _check_one_of(where: str, rule: Rule, columns: dict[str, pa.DataType]) -> None:
    for value in rule.params["values"]:
        _check_value_fits(where, rule.columns[0], value, columns[rule.columns[0]])


def _check_matches(where: str, rule: Rule, columns: dict[str, pa.DataType]) -> None:
    import pyarrow.compute as pc

    column = rule.columns[0]
    if _kind_of(columns[column]) != "string" and not pa.types.is_null(columns[column]):
        raise DefinitionError(f"{where}: matches needs a string column; {column!r} is {columns[column]}")
    try:  # Arrow and DuckDB both use RE2, which refuses some Python patterns (backreferences, lookaround)
        pc.match_substring_regex(pa.array([""], pa.string()), rule.params["pattern"])
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise DefinitionError(f"{where}: bad regular expression {rule.params['pattern']!r} on {column!r}: {exc}")


_QUERY_WORDS = re.compile(r"\b(select|from|pragma|attach|copy|install|load|set|call)\b", re.IGNORECASE)


def _check_expression(where: str, rule: Rule, columns: dict[str, pa.DataType]) -> None:
    import duckdb

    # An expression is a scalar condition over the row: no subqueries or statements (it also
    # runs inside the offline engine, which can read files)
    word = _QUERY_WORDS.search(re.sub(r"'(?:[^']|'')*'", "''", rule.params["sql"]))
    if word:
        raise DefinitionError(
            f"{where}: expression {rule.params['sql']!r} may not use {word.group(1).upper()}; "
            "write a condition over the view's columns"
        )

    from featurevault._quality.rules.engine import cursor

    empty = pa.table({name: pa.array([], t) for name, t in columns.items()})
    with cursor() as con:
        con.register("__fv_rows", empty)
        try:
            described = con.sql(f"DESCRIBE SELECT ({rule.params['sql']}) AS ok FROM __fv_rows").fetchall()
        except duckdb.Error as exc:
            raise DefinitionError(f"{where}: expression {rule.params['sql']!r} does not compile: {exc}") from None
    if described[0][1] != "BOOLEAN":
        raise DefinitionError(f"{where}: expression {rule.params['sql']!r} gives {described[0][1]}, not BOOLEAN")


_CHECKS = {
    "between": _check_between,
    "one_of": _check_one_of,
    "matches": _check_matches,
    "expression": _check_expression,
}
