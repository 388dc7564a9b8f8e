"""The principal of the request being served, for stores shared by many callers (the HTTP server).

The server sets it in the request's own context before it calls the store, so
the store's guard decides, audits and masks as that caller. Each request runs
in its own copy of the context, so it never leaks into another request.
"""

from __future__ import annotations

from contextvars import ContextVar

from featurevault._governance.principal import Principal

request_principal: ContextVar[Principal | None] = ContextVar("featurevault_request_principal", default=None)

#: (method, path) of the request being served: denial records name it as "METHOD /path"
request_route: ContextVar[tuple[str, str] | None] = ContextVar("featurevault_request_route", default=None)
