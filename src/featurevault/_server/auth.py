"""The seam where authentication and authorization plug into the server.

Two callables, given to :func:`featurevault._server.create_app` (or derived from
the store when not given):

``authenticate(request) -> Principal``
    Called once per request (the :func:`current_principal` dependency). The
    default for a real FeatureStore reads ``Authorization: Bearer <token>`` and
    verifies it with the repo's ``auth`` config (tokens or OIDC); a missing,
    malformed, expired, wrongly signed, revoked or unknown credential raises
    :class:`~featurevault.errors.AuthenticationError`, answered with 401.

``authorize(principal, action, resource) -> None``
    Called by every route before it touches the store, once per resource.
    ``action`` is one of :data:`ACTIONS`; ``resource`` a ``(kind, name)`` pair.
    Raise ``PermissionDeniedError`` (403) to refuse. The default for a real
    FeatureStore checks registry reads (``describe``) here; reads and writes
    are decided, audited and masked by the store's own guard, which sees the
    request's principal through :data:`featurevault._governance.context.request_principal`
    (set by :func:`authorize`), so the same policy code decides in-process and
    over HTTP.

``authenticate`` is called on the event loop (the online route reads there too),
so it must not block: verify tokens locally and cache any key fetches. The
context variable set by :func:`authorize` is seen by the store call that follows
in the same request, and by reads moved to the thread pool (``--threaded-reads``
copies the context), never by another request.

The principal is also kept on ``request.state.principal`` for handlers and logs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from featurevault.errors import AuthenticationError, UnknownCredentialError
from featurevault._governance.context import request_principal, request_route
from featurevault._governance.principal import ANONYMOUS, Principal

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

#: what a route may do to a resource
ACTIONS = ("read_online", "write_online", "write_offline", "describe")

Resource = tuple[str, str]

Authenticator = Callable[[Request], Principal]
Authorizer = Callable[[Principal, str, Resource], None]


def anonymous(request: Request) -> Principal:
    """No credentials are read: everyone is the anonymous principal."""
    return ANONYMOUS


def allow_all(principal: Principal, action: str, resource: Resource) -> None:
    """Everything is allowed."""


def bearer_authenticator(store: FeatureStore) -> Authenticator:
    """Verify ``Authorization: Bearer`` with the store's auth config (anonymous under ``no_auth``)."""
    from featurevault._governance.auth import bearer_token

    def authenticate(request: Request) -> Principal:
        if not store.guard.enforce:
            return ANONYMOUS
        return store.authenticate(bearer_token(request.headers.get("authorization")))

    return authenticate


# server resource kinds -> registry kinds the policies speak of
_KINDS = {"push_source": "data_source", "feature_view": "feature_view", "feature_service": "feature_service"}


def policy_authorizer(store: FeatureStore) -> Authorizer:
    """Registry reads checked (and audited) by the store's guard; reads and writes left to the store calls."""
    from featurevault._governance.permissions import Resource as PolicyResource
    from featurevault._governance.permissions import project_resource

    def authorize(principal: Principal, action: str, resource: Resource) -> None:
        if action != "describe":
            return  # the store call that follows decides, audits and masks
        kind, name = resource
        version, contents = store.registry.versioned_contents()
        if kind == "registry":
            target = project_resource(store.project)
        else:
            kind = _KINDS.get(kind, kind)
            obj = contents.by_kind(kind).get(name) if kind in ("feature_view", "feature_service") else None
            if obj is None and kind == "feature_view":
                obj = contents.on_demand_feature_views.get(name)
            target = PolicyResource.of(obj) if obj is not None else PolicyResource(kind, name)
        with store.guard.with_principal(principal).describe(version, contents, [target]):
            pass

    return authorize


def for_store(store: FeatureStore) -> tuple[Authenticator, Authorizer]:
    """The store's own security when it has a guard (a FeatureStore); open otherwise (test doubles)."""
    if hasattr(type(store), "guard"):
        return bearer_authenticator(store), policy_authorizer(store)
    return anonymous, allow_all


#: seconds a request with a token the registry copy lacks waits for an early registry check
UNKNOWN_TOKEN_CHECK_SECONDS = 2.0

_NOT_FOUND = {
    "feature_service": ("FeatureServiceNotFoundError", "feature service"),
    "feature_view": ("FeatureViewNotFoundError", "feature view"),
    "data_source": ("DataSourceNotFoundError", "data source"),
}


def registered(store: FeatureStore, kind: str, name: str) -> Any:
    """A definition a route needs to serve a request whose read or write the store's guard decides.

    Read from the registry directly, not through ``store.get_*`` (a DESCRIBE of its own): one
    request is one decision and one audit record.
    """
    from featurevault import errors

    found = store.registry.contents().by_kind(kind).get(name)
    if found is None:
        error, label = _NOT_FOUND[kind]
        raise getattr(errors, error)(f"no {label} named {name!r}")
    return found


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the principal making ``request``, from the app's authenticator.

    Tokens are checked against the registry cache's copy. A token that copy does not
    hold (created since the last check) gets one early check of the registry, run off
    the event loop and shared by concurrent requests, before it is refused.

    A refusal (401) is audited with the route, the reason and the identity the credential
    claims, never the credential.
    """
    scope = request.scope
    request_route.set((scope["method"], scope["path"]))  # on every request: kept cheap, formatted on denial
    try:
        principal = await _authenticate(request)
    except AuthenticationError as exc:
        route = f"{scope['method']} {scope['path']}"
        _audit_refusal(request.app.state.store, request.headers.get("authorization"), route, exc)
        raise
    request.state.principal = principal
    return principal


async def _authenticate(request: Request) -> Principal:
    authenticate: Authenticator = request.app.state.authenticate
    try:
        return authenticate(request)
    except UnknownCredentialError as exc:
        if not await _registry_checked_early(request):
            raise AuthenticationError(str(exc)) from None  # clients see one kind of 401
        try:
            return authenticate(request)
        except UnknownCredentialError as again:
            raise AuthenticationError(str(again)) from None


async def _registry_checked_early(request: Request) -> bool:
    check_soon = getattr(getattr(request.app.state.store, "registry", None), "check_soon", None)
    if check_soon is None:
        return False
    try:
        return await asyncio.wait_for(asyncio.wrap_future(check_soon()), UNKNOWN_TOKEN_CHECK_SECONDS)
    except TimeoutError:
        return False


def _audit_refusal(store: FeatureStore, header: str | None, route: str, exc: AuthenticationError) -> None:
    from featurevault._governance.auth import claimed_identity, scrub

    if not hasattr(type(store), "guard"):
        return
    credential = header.strip().partition(" ")[2].strip() if header else None
    config = getattr(store.config.auth, "username_claim", "sub")
    claimed = claimed_identity(credential, config)
    store.guard.record_unauthenticated(route, scrub(scrub(str(exc), credential), header), claimed)


def authorize(request: Request, principal: Principal, action: str, resources: Sequence[Resource]) -> None:
    """Ask the app's authorizer about each resource; the first refusal raises.

    Also makes ``principal`` the caller of the store calls this request makes next.
    """
    request_principal.set(principal)
    check = request.app.state.authorize
    for resource in resources:
        check(principal, action, resource)


__all__ = [
    "ACTIONS",
    "ANONYMOUS",
    "Authenticator",
    "Authorizer",
    "Principal",
    "allow_all",
    "anonymous",
    "authorize",
    "bearer_authenticator",
    "current_principal",
    "for_store",
    "policy_authorizer",
    "registered",
]
