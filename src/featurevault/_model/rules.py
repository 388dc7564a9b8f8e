"""Validation rules and null policies: plain declarations on feature views and fields.

A rule names the columns it reads (a view's join keys, features, or its
source's timestamp field) and what happens to rows that break it:

- ``warn``: the rows are written; the failure is logged, counted and noted in the audit record.
- ``quarantine`` (the default): the failing rows are not written; they are kept, with the rule
  that failed, in the quarantine store, from which they can be released once fixed.
- ``block``: the whole batch is refused and nothing is written.

Null values pass every rule except ``not_null`` (as in SQL CHECK constraints): nulls are
the business of ``not_null`` and of the field's null policy. NaN counts as null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from featurevault.errors import DefinitionError

ON_FAIL = ("warn", "quarantine", "block")
DEFAULT_ON_FAIL = "quarantine"
RULE_KINDS = ("not_null", "between", "one_of", "matches", "unique", "expression")
NULL_POLICIES = ("allow", "reject", "fill")


@dataclass(frozen=True)
class Rule:
    """One validation rule. ``params`` holds the kind's arguments (bounds, values, pattern, SQL)."""

    kind: str
    columns: tuple[str, ...]
    name: str
    on_fail: str = DEFAULT_ON_FAIL
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise DefinitionError(f"rule {self.name!r}: unknown kind {self.kind!r} (kinds: {', '.join(RULE_KINDS)})")
        if self.on_fail not in ON_FAIL:
            raise DefinitionError(
                f"rule {self.name!r}: on_fail must be one of {', '.join(ON_FAIL)}, got {self.on_fail!r}"
            )
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_\-:.]*$", self.name or ""):
            raise DefinitionError(f"rule name {self.name!r} is invalid: use letters, digits, '_', '-', ':' or '.'")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "columns": list(self.columns),
            "name": self.name,
            "on_fail": self.on_fail,
            "params": {k: _encode(v) for k, v in self.params.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        params = {k: _decode(v) for k, v in data.get("params", {}).items()}
        return cls(data["kind"], tuple(data["columns"]), data["name"], data.get("on_fail", DEFAULT_ON_FAIL), params)

    def describe(self) -> str:
        """One line for plan diffs and reports."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}: {self.kind}({', '.join(self.columns)}{', ' if args else ''}{args}) on_fail={self.on_fail}"


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if isinstance(value, dict) and "$date" in value:
        return date.fromisoformat(value["$date"])
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _one_column(kind: str, column: Any) -> tuple[str, ...]:
    if not isinstance(column, str) or not column:
        raise DefinitionError(f"{kind}: the column must be a column name (a string), got {column!r}")
    return (column,)


def not_null(column: str, *, on_fail: str = DEFAULT_ON_FAIL, name: str = "", empty_is_null: bool = False) -> Rule:
    """Fails rows where ``column`` is null or NaN (and, with ``empty_is_null``, an empty string)."""
    params = {"empty_is_null": True} if empty_is_null else {}
    return Rule("not_null", _one_column("not_null", column), name or f"not_null_{column}", on_fail, params)


def between(column: str, low: Any = None, high: Any = None, *, on_fail: str = DEFAULT_ON_FAIL, name: str = "") -> Rule:
    """Fails rows where ``column`` is below ``low`` or above ``high`` (inclusive bounds; None: open)."""
    if low is None and high is None:
        raise DefinitionError(f"between({column!r}): give a low bound, a high bound or both")
    for bound in (low, high):
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float, datetime, date))):
            raise DefinitionError(f"between({column!r}): bound {bound!r} must be a number, date or datetime")
    if low is not None and high is not None and type(low) in (int, float) and type(high) in (int, float):
        if low > high:
            raise DefinitionError(f"between({column!r}): low bound {low!r} is above high bound {high!r}")
    return Rule(
        "between", _one_column("between", column), name or f"between_{column}", on_fail, {"low": low, "high": high}
    )


def one_of(column: str, values: list[Any], *, on_fail: str = DEFAULT_ON_FAIL, name: str = "") -> Rule:
    """Fails rows where ``column`` holds a value not in ``values``."""
    values = list(values) if isinstance(values, (list, tuple, set, frozenset)) else values
    if not isinstance(values, list) or not values:
        raise DefinitionError(f"one_of({column!r}): values must be a non-empty list, got {values!r}")
    return Rule("one_of", _one_column("one_of", column), name or f"one_of_{column}", on_fail, {"values": values})


def matches(column: str, pattern: str, *, on_fail: str = DEFAULT_ON_FAIL, name: str = "") -> Rule:
    """Fails rows where the string ``column`` does not match ``pattern`` as a whole (RE2 syntax)."""
    if not isinstance(pattern, str):
        raise DefinitionError(f"matches({column!r}): pattern must be a string, got {pattern!r}")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise DefinitionError(f"matches({column!r}): bad regular expression {pattern!r}: {exc}") from None
    return Rule("matches", _one_column("matches", column), name or f"matches_{column}", on_fail, {"pattern": pattern})


def unique(columns: list[str] | str, *, on_fail: str = DEFAULT_ON_FAIL, name: str = "") -> Rule:
    """Fails every row whose combination of ``columns`` appears more than once (nulls never do).

    Scope: a materialization checks every source row of its window; a push or write, the rows given.
    """
    cols = [columns] if isinstance(columns, str) else list(columns)
    if not cols or not all(isinstance(c, str) and c for c in cols):
        raise DefinitionError(f"unique: columns must be a non-empty list of column names, got {columns!r}")
    return Rule("unique", tuple(cols), name or "unique_" + "_".join(cols), on_fail)


def expression(sql: str, *, name: str, on_fail: str = DEFAULT_ON_FAIL, columns: list[str] | None = None) -> Rule:
    """Fails rows where the SQL boolean ``sql`` (DuckDB dialect, over the view's columns) is false.

    ``columns`` lists the columns it reads; when omitted, every identifier in ``sql`` that
    names a column of the view is taken (checked at plan/apply).
    """
    if not isinstance(sql, str) or not sql.strip():
        raise DefinitionError(f"expression {name!r}: give a SQL boolean expression, got {sql!r}")
    if not name:
        raise DefinitionError(f"expression {sql!r}: give it a name (name='...')")
    return Rule("expression", tuple(columns or ()), name, on_fail, {"sql": sql})


@dataclass(frozen=True)
class NullPolicy:
    """What a field's nulls mean: ``allow`` them, ``reject`` them (as a not_null rule), or ``fill`` at serving."""

    mode: str = "allow"
    fill_value: Any = None
    on_fail: str = DEFAULT_ON_FAIL

    def __post_init__(self) -> None:
        if self.mode not in NULL_POLICIES:
            raise DefinitionError(f"null policy must be one of {', '.join(NULL_POLICIES)}, got {self.mode!r}")
        if self.mode == "fill" and self.fill_value is None:
            raise DefinitionError("null policy 'fill' needs a fill_value")
        if self.on_fail not in ON_FAIL:
            raise DefinitionError(f"null policy: on_fail must be one of {', '.join(ON_FAIL)}, got {self.on_fail!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "fill_value": _encode(self.fill_value), "on_fail": self.on_fail}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NullPolicy:
        return cls(data["mode"], _decode(data.get("fill_value")), data.get("on_fail", DEFAULT_ON_FAIL))


def null_policy(value: Any) -> NullPolicy | None:
    """A field's ``null_policy=`` argument: None, a mode name, ``("fill", value)`` or a NullPolicy."""
    if value is None or isinstance(value, NullPolicy):
        return value
    if isinstance(value, str):
        return NullPolicy(value)
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "fill":
        return NullPolicy("fill", value[1])
    raise DefinitionError(f"null_policy must be 'allow', 'reject', ('fill', value) or a NullPolicy, got {value!r}")


def check_rules(view: str, rules: Any) -> list[Rule]:
    """A view's ``rules=`` argument: Rule objects with distinct names."""
    result = list(rules or [])
    seen: set[str] = set()
    for rule in result:
        if not isinstance(rule, Rule):
            raise DefinitionError(
                f"feature view {view!r}: rules must be built with featurevault._quality "
                f"(not_null, between, one_of, matches, unique, expression), got {rule!r}"
            )
        if rule.name in seen:
            raise DefinitionError(f"feature view {view!r}: two rules are named {rule.name!r}")
        seen.add(rule.name)
    return result


__all__ = [
    "DEFAULT_ON_FAIL",
    "NULL_POLICIES",
    "ON_FAIL",
    "RULE_KINDS",
    "NullPolicy",
    "Rule",
    "between",
    "check_rules",
    "expression",
    "matches",
    "not_null",
    "null_policy",
    "one_of",
    "unique",
]
