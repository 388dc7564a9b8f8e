"""Validation rules: declared with these constructors, compiled to Arrow compute (batches being
written) and to DuckDB SQL (offline data), checked against a view at plan/apply."""

from featurevault._model.rules import (
    DEFAULT_ON_FAIL,
    ON_FAIL,
    NullPolicy,
    Rule,
    between,
    expression,
    matches,
    not_null,
    one_of,
    unique,
)

__all__ = [
    "DEFAULT_ON_FAIL",
    "ON_FAIL",
    "NullPolicy",
    "Rule",
    "between",
    "expression",
    "matches",
    "not_null",
    "one_of",
    "unique",
]
