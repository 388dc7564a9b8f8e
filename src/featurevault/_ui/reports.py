"""Lint findings, the production-readiness report and the backups, as the dashboard shows them."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from featurevault._governance.principal import Principal
from featurevault._model import AuthzedAction
from featurevault._ui import cache
from featurevault._ui.access import KINDS, acting, visible

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

#: a readiness report is reused for this long (it scans the repo's files) unless the registry changes
READINESS_TTL_SECONDS = 30.0


def lint(store: FeatureStore, principal: Principal) -> dict[str, Any]:
    """The linter's findings on the registered definitions, for the objects the principal may describe."""
    from featurevault._quality.lint import run_lint

    with acting(store, principal).guarded(AuthzedAction.DESCRIBE, operation="ui.lint"):
        version, contents = store.registry.versioned_contents()

        def run() -> tuple[list[dict[str, Any]], int]:
            report = run_lint(contents, store.config)
            every = sorted(
                (f.to_dict() for f in report.findings), key=lambda f: (f["severity"] != "error", f["rule"], f["object"])
            )
            return every, report.objects_checked

        # the same definitions and config lint the same: once per registry version
        every, checked = cache.reused(("lint", str(store.repo_path), store.project, version), None, run)
    shown = _visible_names(store, principal, contents)
    findings = [f for f in every if f["kind"] not in shown or f["object"] in shown[f["kind"]]]
    counts = {level: sum(1 for f in findings if f["severity"] == level) for level in ("error", "warning")}
    by_rule = Counter((f["rule"], f["severity"]) for f in findings)
    rules = [{"rule": rule, "severity": severity, "findings": n} for (rule, severity), n in sorted(by_rule.items())]
    return {"findings": findings, "counts": counts, "rules": rules, "objects_checked": checked}


def _visible_names(store: FeatureStore, principal: Principal, contents: Any) -> dict[str, set[str]]:
    kinds = [kind for kind, _ in KINDS.values()]
    return {kind: {o.name for o in visible(store, principal, list(contents.by_kind(kind).values()))} for kind in kinds}


def readiness(store: FeatureStore, principal: Principal) -> dict[str, Any]:
    """The production-readiness checklist (DESCRIBE on the project), as ``featurevault readiness`` reports it."""
    with acting(store, principal).guarded(AuthzedAction.DESCRIBE, operation="ui.readiness"):
        return readiness_report(store)


def readiness_report(store: FeatureStore) -> dict[str, Any]:
    """The report as a dict, reused for ``READINESS_TTL_SECONDS`` per registry version (callers authorize)."""
    version, contents = store.registry.versioned_contents()
    return cache.reused(_readiness_key(store, version), READINESS_TTL_SECONDS, lambda: _evaluate(store, contents))


def readiness_if_ready(store: FeatureStore) -> dict[str, Any] | None:
    """The kept report (computing a new one aside when there is none or it is old); None until there is one."""
    version, contents = store.registry.versioned_contents()
    return cache.reused_or_started(
        _readiness_key(store, version), READINESS_TTL_SECONDS, lambda: _evaluate(store, contents)
    )


def _readiness_key(store: FeatureStore, version: Any) -> tuple[Any, ...]:
    return ("readiness", str(store.repo_path), store.project, version)


def _evaluate(store: FeatureStore, contents: Any) -> dict[str, Any]:
    """The checklist against the recorded state, as ``featurevault readiness`` and ``GET /readiness`` judge it."""
    from featurevault._lifecycle.readiness_facts import readiness_report as recorded_readiness
    from featurevault._quality.readiness import FAIL

    data = recorded_readiness(store, contents).to_dict()
    data["failing"] = [i for i in data["items"] if i["status"] == FAIL]
    return data


def backups(store: FeatureStore, principal: Principal) -> dict[str, Any]:
    """Complete backups at the configured target, newest first, and the recorded last backup and drill."""
    from featurevault._recovery.backup import list_backups
    from featurevault._recovery.state import recorded

    with acting(store, principal).guarded(AuthzedAction.DESCRIBE, operation="ui.backups"):
        context = store.recovery().context()
        manifests = list_backups(context)
        log = recorded(store.registry.registry, store.project)
    return {"target": context.target.label, "backups": [m.summary() for m in manifests], "recorded": log}
