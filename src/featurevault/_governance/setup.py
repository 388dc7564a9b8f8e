"""Building the guard from the repo's ``auth``, ``audit`` and ``pii`` sections."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from featurevault._config import AuditConfig, NoAuthConfig, OidcAuthConfig, PiiConfig, TokenAuthConfig
from featurevault._governance.audit import AuditLog
from featurevault._governance.audit_anchor import TrailAnchor
from featurevault._governance.audit_sinks import build_sink
from featurevault._governance.auth import build_authenticator
from featurevault._governance.crypto import build_keyring
from featurevault._governance.guard import Guard
from featurevault._governance.keys import load_audit_key, load_hash_key
from featurevault._governance.principal import ANONYMOUS, Principal

TOKEN_ENV = "FEATUREVAULT_TOKEN"


def build_guard(
    *,
    project: str,
    auth: NoAuthConfig | TokenAuthConfig | OidcAuthConfig,
    audit: AuditConfig,
    pii: PiiConfig,
    registry: Any,
    contents: Callable[[], tuple[Any, Any]],
    resolve: Callable[[str], Path],
    resolve_features: Callable[..., Any],
    principal: Principal | None = None,
    token_state: Callable[[], Any] | None = None,
) -> Guard:
    """The guard for a store. Without an explicit principal, ``FEATUREVAULT_TOKEN`` is authenticated.

    With auth on and neither, the caller is the unauthenticated anonymous
    principal, whom no permission admits. ``token_state`` returns the registry's
    tokens from a cache (see ops/registry_cache.py), so token checks do not read the registry.
    """
    authenticator = build_authenticator(
        auth, registry=registry, project=project, resolve=resolve, token_state=token_state
    )
    if principal is None:
        token = os.environ.get(TOKEN_ENV)
        principal = authenticator.authenticate(token) if token and authenticator.enforce else ANONYMOUS
    anchor = None if registry is None else TrailAnchor(registry, project, audit.checkpoint_every)
    sink = build_sink(
        audit, resolve, key=load_audit_key(audit, resolve), on_discard=anchor.pruned if anchor is not None else None
    )
    log = AuditLog(
        sink,
        buffer_size=audit.buffer_size,
        flush_interval_ms=audit.flush_interval_ms,
        fail_closed=audit.fail_closed,
        anchor=anchor,
    )
    guard = Guard(
        project=project,
        principal=principal,
        enforce=authenticator.enforce,
        audit=log,
        contents=contents,
        hash_key=lambda: load_hash_key(pii, resolve, registry, project),
        resolve_features=resolve_features,
        authenticator=authenticator,
        keyring=(lambda: build_keyring(pii, resolve, registry, project)) if pii.encrypt_at_rest else None,
    )
    return guard
