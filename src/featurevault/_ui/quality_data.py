"""Quality and drift of a view: rule failures over time, quarantine, histograms, drift statistics.

Everything is read from what was recorded: quarantined rows (each names the rule it failed),
the last ``validate`` report, drift baselines and stored profiles, and the metrics table that
``monitor run`` fills. PII features are left out of histograms, and quarantined values of PII
fields are always masked: the dashboard never shows PII in clear.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from featurevault.errors import FeatureVaultError
from featurevault._governance.pii import build_catalog
from featurevault._governance.principal import Principal
from featurevault._model import AuthzedAction
from featurevault._ui import cache
from featurevault._ui.access import acting, allowed, visible
from featurevault._ui.recorded import HISTORY, newest_points, quarantine_counts, quarantine_failures

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

DRIFT_METRICS = ("psi", "js", "ks", "null_rate")
MAX_ROWS = 200


def quality_index(store: FeatureStore, principal: Principal) -> dict[str, Any]:
    """Per view the principal may describe: quarantined rows, rules, the newest drift and the last validation."""
    now = datetime.now(UTC)
    with acting(store, principal).guarded(AuthzedAction.DESCRIBE, operation="ui.quality"):
        contents = store.registry.contents()
        quarantined = quarantine_counts(store)
        psi = newest_points(store, "psi", now)
        validation = store.registry.registry.get_state(store.project, "validation").get("last") or {}
    worst: dict[str, float] = {}
    for (view, _), point in psi.items():  # the newest value per feature; the worst feature is shown
        worst[view] = max(point.value, worst.get(view, 0.0))
    checked = {v["view"]: v for v in validation.get("views", [])}
    views = sorted(visible(store, principal, list(contents.feature_views.values())), key=lambda v: v.name)
    return {
        "views": [
            {
                "view": v.name,
                "rules": len(v.rules),
                "quarantined": quarantined.get(v.name, 0),
                "max_psi": worst.get(v.name),
                "validation": _validation_status(checked.get(v.name)),
            }
            for v in views
        ],
        "validated_at": validation.get("at"),
    }


def _validation_status(result: dict[str, Any] | None) -> str:
    if result is None:
        return "not validated"
    failed = sum(r["failed"] for r in result.get("rules", []))
    return "blocked" if result.get("blocked") else (f"{failed} failing rows" if failed else "pass")


def view_quality(store: FeatureStore, principal: Principal, view_name: str) -> dict[str, Any]:
    """One view: rule failures per day, quarantine count, drift over time, histograms (READ_OFFLINE for those)."""
    from featurevault._monitoring.baselines import load_baselines
    from featurevault._quality.profile import load_profile

    now = datetime.now(UTC)
    with acting(store, principal).guarded(AuthzedAction.DESCRIBE, f"feature_view:{view_name}", operation="ui.quality"):
        view = _view(store, view_name)
        registry = store.registry.registry
        failures = quarantine_failures(store).get(view_name, [])
        points = registry.metrics(store.project, view=view_name, since=now - HISTORY)
        validation = registry.get_state(store.project, "validation").get("last") or {}
        baseline = load_baselines(registry, store.project).get(view_name)
        profile = load_profile(registry, store.project, view_name)
    shows_data = allowed(store, principal, AuthzedAction.READ_OFFLINE, view)
    return {
        "view": view_name,
        "rules": [_rule_name(r) for r in view.rules],
        "quarantined": len(failures),
        "rule_failures": _failures_per_day(failures),
        "validation": next((v for v in validation.get("views", []) if v["view"] == view_name), None),
        "validated_at": validation.get("at"),
        "drift": _series(points),
        "histograms": _histograms(store, view, baseline, profile) if shows_data else None,
        "baseline": None
        if baseline is None
        else {"start": baseline.start.isoformat(), "end": baseline.end.isoformat(), "rows": baseline.rows},
        "profile": None if profile is None else {"at": profile.at.isoformat(), "rows": profile.rows},
    }


def pii_catalog(store: FeatureStore) -> Any:
    """The registry's PII catalog, built once per registry version."""
    version, contents = store.registry.versioned_contents()
    return cache.reused(("pii", str(store.repo_path), store.project, version), None, lambda: build_catalog(contents))


def _view(store: FeatureStore, name: str) -> Any:
    from featurevault._monitoring.service import feature_view

    return feature_view(store.registry.contents(), name)


def _rule_name(rule: Any) -> str:
    return str(getattr(rule, "name", None) or rule)


def _failures_per_day(failures: list[tuple[str, datetime]]) -> dict[str, list[list[Any]]]:
    days: dict[str, Counter[str]] = defaultdict(Counter)
    for rule, at in failures:
        days[rule][at.date().isoformat()] += 1
    return {rule: [[day, n] for day, n in sorted(counts.items())] for rule, counts in sorted(days.items())}


def _series(points: list[Any]) -> dict[str, dict[str, list[list[Any]]]]:
    """metric -> feature -> [[time, value], ...] for the drift statistics."""
    out: dict[str, dict[str, list[list[Any]]]] = {m: defaultdict(list) for m in DRIFT_METRICS}
    for p in points:
        if p.metric in out:
            out[p.metric][p.feature].append([p.at.isoformat(), p.value])
    return {m: dict(sorted(series.items())) for m, series in out.items()}


def _histograms(store: FeatureStore, view: Any, baseline: Any, profile: Any) -> dict[str, Any]:
    """Feature -> baseline and current distributions as shares over value ranges (numeric) or categories."""
    catalog = pii_catalog(store)
    out = {}
    for feature in view.feature_names:
        if catalog.masking_of(view.name, feature) is not None:
            continue  # PII: no distribution of personal values
        base = baseline.features.get(feature) if baseline else None
        current = profile.features.get(feature) if profile else None
        if base is None and current is None:
            continue
        out[feature] = {"baseline": _baseline_bins(base), "current": _profile_bins(current)}
    return out


def _baseline_bins(base: Any) -> dict[str, Any] | None:
    if base is None:
        return None
    if base.kind != "numeric":
        return {"kind": "categorical", "categories": list(base.categories), "shares": list(base.shares)}
    # quantile bins with open outer ends: close them at the extremes of the baseline's sample
    sample = base.sample or base.edges
    low, high = (min(sample), max(sample)) if sample else (0.0, 0.0)
    edges = [min(low, *base.edges)] + list(base.edges) + [max(high, *base.edges)] if base.edges else [low, high]
    return {"kind": "numeric", "edges": edges, "shares": list(base.shares)}


def _profile_bins(profile: Any) -> dict[str, Any] | None:
    if profile is None:
        return None
    if profile.histogram:
        edges, counts = profile.histogram
        total = sum(counts) or 1
        return {"kind": "numeric", "edges": list(edges), "shares": [c / total for c in counts]}
    if profile.top_values:
        counted = profile.count - profile.nulls or 1
        return {
            "kind": "categorical",
            "categories": [str(v) for v, _ in profile.top_values],
            "shares": [n / counted for _, n in profile.top_values],
        }
    return None


def quarantined_rows(
    store: FeatureStore, principal: Principal, view_name: str, limit: int = MAX_ROWS
) -> dict[str, Any]:
    """The newest quarantined rows of a view (READ_OFFLINE on it), PII fields masked."""
    with acting(store, principal).guarded(
        AuthzedAction.READ_OFFLINE, f"feature_view:{view_name}", operation="ui.quarantine"
    ) as call:
        _view(store, view_name)
        entries = store.quarantine.list(view_name)
        call.details["entries"] = min(len(entries), limit)
    catalog = pii_catalog(store)
    newest = sorted(entries, key=lambda e: e.at, reverse=True)[:limit]
    rows = [dict(e.to_dict(), values=_masked(store, catalog, view_name, e.values)) for e in newest]
    columns = sorted({c for r in rows for c in r["values"]})
    return {
        "view": view_name,
        "total": len(entries),
        "shown": len(rows),
        "columns": columns,
        "rows": rows,
        "masked": sorted(c for c in columns if _strategy(catalog, view_name, c)),
    }


def _strategy(catalog: Any, view: str, column: str) -> str | None:
    return catalog.masking_of(view, column) or ("hash" if column in catalog.pii_join_keys else None)


def _masked(store: FeatureStore, catalog: Any, view: str, values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for column, value in values.items():
        strategy = _strategy(catalog, view, column)
        out[column] = value if strategy is None else _mask(store, value, strategy)
    return out


def _mask(store: FeatureStore, value: Any, strategy: str) -> Any:
    try:
        return store.guard.masker.mask_list([value], strategy)[0]
    except (FeatureVaultError, ValueError):  # no hash key configured: redact instead of showing the value
        return None
