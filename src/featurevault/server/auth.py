"""The seam where authentication and authorization plug into the server.

Today every request is made by the anonymous principal and every action is
allowed. The security layer replaces two callables, given to
:func:`featurevault.server.create_app`:

``authenticate(request) -> Principal``
    Called once per request (the :func:`current_principal` dependency), on the
    event loop, so it must not block (verify a token locally; cache any key
    fetches). It reads
    whatever credential it trusts (a bearer token, an mTLS client certificate,
    a header set by a gateway) and returns the principal, or raises
    :class:`~featurevault.errors.PermissionDeniedError` (answered with 403).

``authorize(principal, action, resource) -> None``
    Called by every route before it touches the store, once per resource the
    request reads or writes. ``action`` is one of :data:`ACTIONS`; ``resource``
    is a ``(kind, name)`` pair such as ``("feature_service", "driver_v1")`` or
    ``("feature_view", "driver_hourly_stats")``. Raise ``PermissionDeniedError``
    to refuse; return to allow. Audit records can be written here too, since it
    sees who did what to which object.

The principal is also kept on ``request.state.principal`` for handlers and logs
(the access log records its ``name``; any object with a ``name`` works, such as
the governance layer's own ``Principal``).

Checks inside the store: ``authenticate`` runs in the request's own task,
before the store is called and in the same context, so a ``ContextVar`` it
sets (the governance layer's ``request_principal``) is what the store's guard
sees for this request and no other; reads moved to the thread pool
(``--threaded-reads``) carry the context along.

Errors: ``PermissionDeniedError`` is answered 403; an error class named
``AuthenticationError`` (missing, expired or unknown credentials) is answered 401.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import Request

#: what a route may do to a resource
ACTIONS = ("read_online", "write_online", "write_offline", "describe")

Resource = tuple[str, str]


@dataclass(frozen=True)
class Principal:
    """Who makes a request: a name, the groups it belongs to, and whether it was authenticated."""

    name: str
    groups: frozenset[str] = field(default_factory=frozenset)
    authenticated: bool = False


ANONYMOUS = Principal("anonymous")

Authenticator = Callable[[Request], Principal]
Authorizer = Callable[[Principal, str, Resource], None]


def anonymous(request: Request) -> Principal:
    """The default authenticator: no credentials are read."""
    return ANONYMOUS


def allow_all(principal: Principal, action: str, resource: Resource) -> None:
    """The default authorizer: everything is allowed."""


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the principal making ``request``, from the app's authenticator."""
    principal = request.app.state.authenticate(request)
    request.state.principal = principal
    return principal


def authorize(request: Request, principal: Principal, action: str, resources: list[Resource]) -> None:
    """Ask the app's authorizer about each resource; the first refusal raises."""
    check = request.app.state.authorize
    for resource in resources:
        check(principal, action, resource)
