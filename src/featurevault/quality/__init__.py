"""Definition and data quality: the linter, the readiness report, validation rules, quarantine, profiles.

Rules are declared on a feature view::

    from featurevault.quality import not_null, between, one_of, matches, unique, expression
"""

from featurevault.model.rules import (
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
