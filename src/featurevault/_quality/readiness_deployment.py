"""Readiness items of DEPLOYMENT, decided by the repo's files and the registry's recorded lifecycle state.

The facts come from :class:`~featurevault._quality.readiness.ReadinessFacts`, which the
caller fills from the registry (``featurevault._lifecycle.readiness_facts``): promotions and
rollbacks recorded in the history, the number of versions, the flags. A fact left None (the
registry was not read) makes its item ``not checked``, never ``pass``.
"""

from __future__ import annotations

import re
from typing import Any

PASS, FAIL, NOT_CHECKED = "pass", "fail", "not checked"

#: featurevault commands a CI pipeline may run, in the order the evidence lists them
CI_COMMANDS = ("lint", "plan", "validate", "apply", "promote", "readiness")


def _runs(command: str, text: str) -> bool:
    """``text`` holds a featurevault command line running ``command`` (``featurevault --env prod plan``)."""
    return re.search(rf"featurevault\s+(?:--?[\w-]+(?:[ =][^\s-]\S*)?\s+)*{command}\b", text) is not None


def ci(inputs: Any) -> tuple[str, str]:
    """A CI pipeline file that runs featurevault (``featurevault scaffold ci`` writes two)."""
    files = inputs.files
    if files is None or not files.ci_files:
        return (
            NOT_CHECKED,
            "no CI pipeline file found in the repo or its checkout (featurevault scaffold ci writes one)",
        )
    names = ", ".join(p.name for p in files.ci_files[:3])
    text = "\n".join(files.read(p) for p in files.ci_files)
    runs = [c for c in CI_COMMANDS if _runs(c, text)]
    if not runs:
        return FAIL, f"CI: {names}; runs no featurevault command (lint, plan, apply)"
    return PASS, f"CI: {names}; runs featurevault {', '.join(runs)}"


def staging(inputs: Any) -> tuple[str, str]:
    """A staging environment, and a promotion from it recorded in the registry's history."""
    names = inputs.config.environment_names
    staged = [n for n in names if n.startswith(("stag", "pre"))]
    if not staged:
        listed = ", ".join(names) or "none"
        return FAIL, f"no staging environment under 'environments:' in feature_store.yaml (environments: {listed})"
    promoted = inputs.facts.promoted_from
    if promoted is None:
        return NOT_CHECKED, f"environment {staged[0]!r} configured; promotions are recorded in the registry (not read)"
    used = [n for n in staged if n in promoted]
    if used:
        return PASS, f"environment {used[0]!r} configured and promoted from (registry history)"
    return FAIL, f"environment {staged[0]!r} configured but never promoted from (featurevault promote --from)"


def rollback(inputs: Any) -> tuple[str, str]:
    """A runbook naming ``featurevault rollback``, and a history that a rollback can act on (or did)."""
    files = inputs.files
    if files is None:
        return NOT_CHECKED, "repo path unknown; no files scanned"
    found = [p for p in files.runbooks if _runs("rollback", files.read(p))]
    if not found:
        return NOT_CHECKED, "no runbook in the repo names 'featurevault rollback'; featurevault init writes one"
    doc = f"rollback runbook: {found[0]}"
    versions, last = inputs.facts.registry_versions, inputs.facts.last_rollback
    if versions is None:
        return NOT_CHECKED, f"{doc}; the registry history was not read"
    if last:
        return PASS, f"{doc}; rollback carried out: version {last['version']} restored version {last['to']}"
    if versions >= 2:
        return PASS, f"{doc}; the registry history holds {versions} versions to roll back to"
    return FAIL, f"{doc}; the registry history holds {versions} version(s): nothing to roll back to yet"


def flags(inputs: Any) -> tuple[str, str]:
    """Feature flags in the registry (``featurevault flag set``)."""
    count = inputs.facts.flags_defined
    if count is None:
        return NOT_CHECKED, "feature flags live in the registry (not read)"
    if not count:
        return FAIL, "no feature flags defined (featurevault flag set)"
    return PASS, f"{count} feature flag(s) defined"
