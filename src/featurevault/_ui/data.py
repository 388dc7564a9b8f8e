"""What the pages show, as plain dicts: one guarded (authorized, audited) registry read per call.

The same functions feed the HTML pages and the JSON endpoints, so a page never shows what its
endpoint would not return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from featurevault.errors import FeatureVaultError, NotFoundError
from featurevault._governance.pii import build_catalog
from featurevault._governance.principal import Principal
from featurevault._model import AuthzedAction
from featurevault._server.registry import registry_json
from featurevault._ui.access import KINDS, acting, visible

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

_GETTERS = {
    "entity": "get_entity",
    "feature_view": "get_feature_view",
    "on_demand_feature_view": "get_on_demand_feature_view",
    "feature_service": "get_feature_service",
    "data_source": "get_data_source",
}


def registry_kind(url_kind: str) -> str:
    if url_kind not in KINDS:
        raise NotFoundError(f"no kind of registry object named {url_kind!r}; one of {sorted(KINDS)}")
    return KINDS[url_kind][0]


def listing(store: FeatureStore, principal: Principal, url_kind: str) -> list[dict[str, Any]]:
    """Summaries of the objects of ``url_kind`` that ``principal`` may describe."""
    kind = registry_kind(url_kind)
    with acting(store, principal).guarded(AuthzedAction.DESCRIBE, operation=f"ui.list.{url_kind}"):
        objects = list(store.registry.contents().by_kind(kind).values())
    return [summary(obj) for obj in sorted(visible(store, principal, objects), key=lambda o: o.name)]


def summary(obj: Any) -> dict[str, Any]:
    """What a list row shows (read from attributes: ``to_dict()`` is too slow for a thousand rows)."""
    if hasattr(obj, "features"):
        count = len(obj.features)
    else:
        count = sum(len(p.features) for p in getattr(obj, "feature_view_projections", []))
    return {
        "name": obj.name,
        "kind": obj.kind,
        "owner": getattr(obj, "owner", ""),
        "description": getattr(obj, "description", ""),
        "tags": dict(getattr(obj, "tags", None) or {}),
        "features": count,
    }


def detail(store: FeatureStore, principal: Principal, url_kind: str, name: str) -> dict[str, Any]:
    """One object (DESCRIBE on it), with the services that use it among those the principal may see."""
    kind = registry_kind(url_kind)
    obj = getattr(acting(store, principal), _GETTERS[kind])(name)
    contents = store.registry.contents()
    services = [s for s in contents.feature_services.values() if _uses(s, name)]
    return {
        "object": registry_json(obj),
        "summary": summary(obj),
        "services": sorted(s.name for s in visible(store, principal, services)),
        "pii": sorted(feature for view, feature in build_catalog(contents).fields if view == name),
        "rules": [r.to_dict() for r in getattr(obj, "rules", None) or []],
        "null_policies": _null_policies(obj),
        "permissions": _permissions(store, principal, contents, obj),
    }


def _null_policies(obj: Any) -> dict[str, dict[str, Any]]:
    fields = getattr(obj, "features", None) or []
    return {f.name: f.null_policy.to_dict() for f in fields if getattr(f, "null_policy", None) is not None}


def _permissions(store: FeatureStore, principal: Principal, contents: Any, obj: Any) -> list[dict[str, Any]] | None:
    """The permissions that speak about ``obj``; None when the principal may not see the project's policies."""
    from featurevault._governance.permissions import Resource
    from featurevault._ui.access import allowed

    if not allowed(store, principal, AuthzedAction.DESCRIBE, None):
        return None
    resource = Resource.of(obj)
    return [
        {"name": p.name, "actions": sorted(a.name for a in p.actions), "policy": p.policy.to_dict()}
        for p in sorted(contents.permissions.values(), key=lambda p: p.name)
        if p.matches(resource.kind, resource.name, resource.tags)
    ]


def _uses(service: Any, view_name: str) -> bool:
    return any(view_name == projection.get("name") for projection in service.to_dict().get("projections", []))


def overview(store: FeatureStore, principal: Principal) -> dict[str, Any]:
    """Counts of what the principal may see, health of the registry and online store, readiness, alerts firing."""
    from featurevault._monitoring.service import alert_states
    from featurevault._ui.reports import readiness_if_ready

    with acting(store, principal).guarded(AuthzedAction.DESCRIBE, operation="ui.overview"):
        contents = store.registry.contents()
        firing = alert_states(store, contents, "firing")
        readiness = readiness_if_ready(store)  # linting a large registry takes long: never wait for it here
    counts = {
        url_kind: len(visible(store, principal, list(contents.by_kind(kind).values())))
        for url_kind, (kind, _) in KINDS.items()
    }
    views = visible(store, principal, list(contents.feature_views.values()))
    return {
        "project": store.project,
        "counts": counts,
        "health": {"registry": "ok", "online_store": _online_health(store)},
        "features_per_view": {v.name: len(v.features) for v in sorted(views, key=lambda v: v.name)},
        "readiness": None
        if readiness is None
        else {"score": readiness["score"], "counts": readiness["counts"], "failing": readiness["failing"]},
        "alerts_firing": [a for a in firing if a["feature_view"] in {v.name for v in views}],
    }


def _online_health(store: FeatureStore) -> str:
    try:
        store.online_store.ping()
    except (FeatureVaultError, OSError, ConnectionError) as exc:
        return f"unavailable: {exc}"
    return "ok"
