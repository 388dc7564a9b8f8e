"""The definition linter: naming conventions and design checks over a repo's objects.

    report = run_lint(contents, repo_config)
    meta = check_apply(report, skip_lint=False)   # raises LintError on errors

Rules are listed in ``RULES`` (docs/lint.md describes each).
"""

from featurevault._quality.lint.engine import (
    Finding,
    LintReport,
    check_apply,
    lint_blocks_apply,
    rule_levels,
    run_lint,
)
from featurevault._quality.lint.rules import RULES, Rule

__all__ = ["RULES", "Finding", "LintReport", "Rule", "check_apply", "lint_blocks_apply", "rule_levels", "run_lint"]
