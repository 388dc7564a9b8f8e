"""What monitoring and the quality gate recorded, read for the dashboard and reused for a few seconds.

Finding the newest value of a metric for every view scans the metrics table, and counting
quarantined rows reads every view's quarantine: both are kept ``cache.METRICS_TTL_SECONDS``.
Callers authorize (and audit) before they call these.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from featurevault._ui import cache

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

#: how far back the pages look for recorded metrics
HISTORY = timedelta(days=30)


def newest_points(store: FeatureStore, metric: str, now: datetime) -> dict[tuple[str, str], Any]:
    """(view, feature) -> the newest recorded point of ``metric`` (reused for a few seconds: it scans the table)."""

    def scan() -> dict[tuple[str, str], Any]:
        points = store.registry.registry.metrics(store.project, metric=metric, since=now - HISTORY)
        return {(p.view, p.feature): p for p in points}  # oldest first: the newest wins

    return cache.reused(("newest", str(store.repo_path), store.project, metric), cache.METRICS_TTL_SECONDS, scan)


def quarantine_counts(store: FeatureStore) -> Counter[str]:
    """Quarantined rows per view."""
    return Counter({view: len(failures) for view, failures in quarantine_failures(store).items()})


def quarantine_failures(store: FeatureStore) -> dict[str, list[tuple[str, datetime]]]:
    """View -> (rule, when) of each quarantined row, values left out (reused for a few seconds: it reads every file)."""

    def scan() -> dict[str, list[tuple[str, datetime]]]:
        found: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
        for entry in store.quarantine.list(None):
            found[entry.view].append((entry.rule, entry.at))
        return dict(found)

    return cache.reused(("quarantined", str(store.repo_path), store.project), cache.METRICS_TTL_SECONDS, scan)
