"""Who is looking, and what they may see: the dashboard's authentication and permission filter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from featurevault._governance.principal import ANONYMOUS, Principal
from featurevault._model import AuthzedAction

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

#: the cookie holding the token entered at /ui/login (HttpOnly, SameSite=Strict)
COOKIE = "featurevault_ui_token"

#: URL kind -> registry kind, label
KINDS = {
    "entities": ("entity", "Entities"),
    "feature-views": ("feature_view", "Feature views"),
    "on-demand-feature-views": ("on_demand_feature_view", "On-demand feature views"),
    "feature-services": ("feature_service", "Feature services"),
    "data-sources": ("data_source", "Data sources"),
}

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def secured(store: FeatureStore) -> bool:
    return hasattr(type(store), "guard") and bool(store.guard.enforce)


def principal_of(request: Request) -> Principal:
    """The caller: the cookie's token, else the API's own authenticator (bearer header).

    Raises AuthenticationError for a bad credential, as the API does.
    """
    store: FeatureStore = request.app.state.store
    token = request.cookies.get(COOKIE)
    if token and secured(store):
        return store.authenticate(token)
    if not secured(store):
        return ANONYMOUS
    principal: Principal = request.app.state.authenticate(request)
    return principal


def acting(store: FeatureStore, principal: Principal) -> Any:
    """``store`` acting as ``principal`` (its guard decides and audits)."""
    return store.as_principal(principal)


def visible(store: FeatureStore, principal: Principal, objects: list[Any]) -> list[Any]:
    """Those of ``objects`` that ``principal`` may describe (no audit record: the listing has one)."""
    if not secured(store):
        return objects
    from featurevault._governance.permissions import Resource

    version, contents = store.registry.versioned_contents()
    enforcer = store.guard.state(version, contents).enforcer
    return [obj for obj in objects if enforcer.allowed(principal, AuthzedAction.DESCRIBE, Resource.of(obj))]


def allowed(store: FeatureStore, principal: Principal, action: AuthzedAction, obj: Any) -> bool:
    """Whether ``principal`` may do ``action`` on ``obj`` (a registry object, or None for the project)."""
    if not secured(store):
        return True
    from featurevault._governance.permissions import Resource, project_resource

    version, contents = store.registry.versioned_contents()
    resource = project_resource(store.project) if obj is None else Resource.of(obj)
    return bool(store.guard.state(version, contents).enforcer.allowed(principal, action, resource))
