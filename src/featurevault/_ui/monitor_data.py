"""Freshness board, alerts and sparklines: read from what ``monitor run`` recorded, never measured per request.

The freshness of a view's data (its newest offline event) is the last recorded ``freshness``
metric, aged by the time since it was measured; the materialization age comes from the
watermark the last materialization wrote. Both are cheap registry reads: a page never scans
the offline store.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from featurevault.errors import FeatureVaultError
from featurevault._governance.principal import Principal
from featurevault._model import AuthzedAction
from featurevault._monitoring.freshness import STALE_FACTOR, view_freshness
from featurevault._ui.access import acting, visible
from featurevault._ui.markdown import render_markdown
from featurevault._ui.recorded import HISTORY, newest_points, quarantine_failures

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

ALERT_STATES = ("firing", "pending", "resolved", "inactive")


def freshness_board(store: FeatureStore, principal: Principal, now: datetime | None = None) -> dict[str, Any]:
    """Every view the principal may describe against its expected interval, stale ones first."""
    from featurevault._ops.materialize import watermarks

    now = now or datetime.now(UTC)
    with acting(store, principal).guarded(AuthzedAction.DESCRIBE, operation="ui.freshness"):
        contents = store.registry.contents()
        latest = newest_points(store, "freshness", now)
        marks = watermarks(store)
    rows = []
    for view in visible(store, principal, list(contents.feature_views.values())):
        point = latest.get((view.name, ""))
        newest = point.at - timedelta(seconds=point.value) if point else None
        row = view_freshness(view, newest, marks.get(view.name), now).to_dict()
        row["measured_at"] = point.at.isoformat() if point else None
        row["ratio"] = _ratio(row)
        rows.append(row)
    rows.sort(key=lambda r: (not r["stale"], -(r["ratio"] or -1.0), r["view"]))
    return {
        "at": now.isoformat(),
        "stale_factor": STALE_FACTOR,
        "views": rows,
        "stale": sum(1 for r in rows if r["stale"]),
    }


def _ratio(row: dict[str, Any]) -> float | None:
    """The larger age over the expected interval (None when the view declares none or nothing was measured)."""
    ages = [a for a in (row["freshness_seconds"], row["materialization_age_seconds"]) if a is not None]
    interval = row["expected_interval_seconds"]
    return round(max(ages) / interval, 3) if ages and interval else None


def alerts(store: FeatureStore, principal: Principal, state: str | None = None) -> dict[str, Any]:
    """Every alert on a view the principal may describe, by state, each with its runbook as safe HTML."""
    from featurevault._monitoring.service import alert_states

    with acting(store, principal).guarded(AuthzedAction.DESCRIBE, operation="ui.alerts"):
        contents = store.registry.contents()
        rows = alert_states(store, contents, state)
    views = {v.name for v in visible(store, principal, list(contents.feature_views.values()))}
    names = {a.name for a in visible(store, principal, list(contents.alerts.values()))}
    rows = [
        dict(r, **_runbook(store, r["runbook"])) for r in rows if r["feature_view"] in views and r["alert"] in names
    ]
    rows.sort(key=lambda r: (ALERT_STATES.index(r["state"]) if r["state"] in ALERT_STATES else 9, r["alert"]))
    counts = Counter(r["state"] for r in rows)
    return {"alerts": rows, "counts": {s: counts.get(s, 0) for s in ALERT_STATES}}


def _runbook(store: FeatureStore, name: str) -> dict[str, str]:
    if not name:
        return {"runbook_html": "", "runbook_error": ""}
    from featurevault._monitoring.runbooks import read_runbook

    try:
        return {"runbook_html": render_markdown(read_runbook(store.repo_path, name)), "runbook_error": ""}
    except (FeatureVaultError, OSError) as exc:
        return {"runbook_html": "", "runbook_error": str(exc)}


def sparklines(
    store: FeatureStore, principal: Principal, view_name: str, now: datetime | None = None
) -> dict[str, Any]:
    """A view's freshness (seconds, per monitor run) and quarantined rows per day, over ``HISTORY``."""
    now = now or datetime.now(UTC)
    since = now - HISTORY
    with acting(store, principal).guarded(
        AuthzedAction.DESCRIBE, f"feature_view:{view_name}", operation="ui.sparklines"
    ):
        _check_view(store, view_name)
        points = store.registry.registry.metrics(store.project, view=view_name, metric="freshness", since=since)
        failures = quarantine_failures(store).get(view_name, [])
    per_day = Counter(at.date().isoformat() for _, at in failures if at >= since)
    return {
        "view": view_name,
        "freshness": [[p.at.isoformat(), p.value] for p in points],
        "quarantined": [[day, per_day[day]] for day in sorted(per_day)],
    }


def _check_view(store: FeatureStore, name: str) -> Any:
    from featurevault._monitoring.service import feature_view

    return feature_view(store.registry.contents(), name)
