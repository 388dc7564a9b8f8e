"""Definition and data quality: the linter, the readiness report, validation rules, quarantine, profiles.

Rules are declared on a feature view::

    from featurevault._quality import not_null, between, one_of, matches, unique, expression
"""

from featurevault._quality.rules import *  # noqa: F403 (the rule constructors are this package's API)
from featurevault._quality.rules import __all__ as __all__
