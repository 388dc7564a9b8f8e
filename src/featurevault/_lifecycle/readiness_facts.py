"""The readiness report against recorded state: what the SDK, the CLI and ``GET /readiness`` all evaluate.

:func:`recorded_facts` reads, in one go and without the guard (the caller authorizes once),
what the registry records beyond the definitions: the recovery log (last backup, drill,
capacity plan), the last ``validate`` run, the monitoring history, and the lifecycle state the DEPLOYMENT items
read: promotions and rollbacks in the history, how many versions it holds, the flags.
:func:`readiness_report` evaluates the checklist with those facts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from featurevault._quality.readiness import METRICS_MAX_AGE_DAYS, ReadinessFacts, ReadinessReport, evaluate_readiness

if TYPE_CHECKING:
    from featurevault._model import RepoContents
    from featurevault._store import FeatureStore

VALIDATION_NAMESPACE = "validation"


def recorded_facts(store: FeatureStore) -> ReadinessFacts:
    """The facts the registry of ``store``'s environment records (direct reads: authorize first)."""
    from featurevault._lifecycle.flags import load_flags
    from featurevault._lifecycle.history import HistoryEntry
    from featurevault._recovery.state import recorded

    registry, project = store.registry.registry, store.project
    entries = [HistoryEntry.from_info(info) for info in registry.history(project)]
    return ReadinessFacts(
        recovery=recorded(registry, project),
        last_validation=registry.get_state(project, VALIDATION_NAMESPACE).get("last"),
        metrics_recorded=metrics_recorded(registry, project),
        **deployment_facts_of(entries, len(load_flags(registry, project).flags)),
    )


def metrics_recorded(registry: Any, project: str) -> dict[str, datetime]:
    """view -> when monitoring last recorded a metric for it, within the age the dashboard item accepts."""
    points = registry.metrics(project, since=datetime.now(UTC) - timedelta(days=METRICS_MAX_AGE_DAYS))
    return {p.view: p.at for p in points}  # oldest first: the newest wins


def deployment_facts_of(entries: list[Any], flags: int) -> dict[str, Any]:
    """The DEPLOYMENT facts from history entries (newest first) and the number of flags."""
    promoted = tuple(dict.fromkeys(e.meta["promoted_from"] for e in entries if e.meta.get("promoted_from")))
    rollback = next(
        (
            {"version": e.version, "to": e.meta["rollback_to"], "at": e.created_at.isoformat()}
            for e in entries
            if e.meta.get("rollback_to")
        ),
        None,
    )
    return {
        "promoted_from": promoted,
        "flags_defined": flags,
        "registry_versions": len(entries),
        "last_rollback": rollback,
    }


def readiness_report(store: FeatureStore, contents: RepoContents | None = None) -> ReadinessReport:
    """The checklist over ``contents`` (default: the registry's current definitions) and the recorded facts."""
    return evaluate_readiness(
        contents if contents is not None else store.registry.contents(), store.config, recorded_facts(store)
    )
