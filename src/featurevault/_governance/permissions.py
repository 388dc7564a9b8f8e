"""Deciding requests against Permissions: default deny once auth is on.

A principal may do ``action`` on a resource when some Permission that matches
the resource lists the action and its policy admits the principal. Reading
through a feature service needs a grant on the service, which then covers the
views it reads (through that service only); without one, every view read must
be granted on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from featurevault.errors import PermissionDeniedError, RequestError
from featurevault._governance.principal import Principal
from featurevault._model.contents import KINDS, RepoContents
from featurevault._model.permission import (
    ALL_ACTIONS,
    CRUD,
    READ,
    RESOURCE_KINDS,
    WRITE,
    AllowAll,
    AuthzedAction,
    GroupBasedPolicy,
    Permission,
    Policy,
    RoleBasedPolicy,
)


@dataclass(frozen=True)
class Resource:
    """Something an action is done to, named ``kind:name``."""

    kind: str
    name: str
    tags: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"

    @classmethod
    def of(cls, obj: Any) -> Resource:
        """The resource for a definition object."""
        return cls(obj.kind, obj.name, dict(getattr(obj, "tags", {}) or {}))

    @classmethod
    def parse(cls, text: str, contents: RepoContents | None = None) -> Resource:
        """``kind:name``, with the object's tags when ``contents`` holds it."""
        kind, sep, name = text.partition(":")
        if not sep or kind not in RESOURCE_KINDS or not name:
            raise RequestError(f"resource {text!r:.100} must be kind:name with kind one of {', '.join(RESOURCE_KINDS)}")
        tags: dict[str, str] = {}
        if contents is not None and kind in KINDS:
            obj = contents.by_kind(kind).get(name)
            tags = dict(getattr(obj, "tags", {}) or {})
        return cls(kind, name, tags)


def project_resource(project: str) -> Resource:
    return Resource("project", project)


class Enforcer:
    """Decides (principal, action, resource) against a fixed list of permissions.

    With ``enforce=False`` (``no_auth``) everything is allowed. Decisions are
    cached: an enforcer is rebuilt whenever the registry's permissions change.
    """

    def __init__(self, permissions: Iterable[Permission], *, enforce: bool = True) -> None:
        self.permissions = list(permissions)
        self.enforce = enforce
        self._cache: dict[tuple[Any, ...], bool] = {}

    def granting(self, principal: Principal, action: AuthzedAction, resource: Resource) -> list[Permission]:
        """The permissions that grant ``action`` on ``resource`` to ``principal``."""
        roles, groups = principal.role_set, principal.group_set
        return [
            p
            for p in self.permissions
            if action in p.actions
            and p.matches(resource.kind, resource.name, dict(resource.tags))
            and p.policy.admits(roles, groups, principal.authenticated)
        ]

    def allowed(self, principal: Principal, action: AuthzedAction, resource: Resource) -> bool:
        if not self.enforce:
            return True
        key = (principal, action, resource.kind, resource.name, tuple(sorted(resource.tags.items())))
        decision = self._cache.get(key)
        if decision is None:
            decision = bool(self.granting(principal, action, resource))
            if len(self._cache) > 100_000:  # bound memory under many distinct callers
                self._cache.clear()
            self._cache[key] = decision
        return decision

    def check(self, principal: Principal, action: AuthzedAction, resources: Iterable[Resource]) -> None:
        """Raise PermissionDeniedError naming the first resource ``principal`` may not ``action``."""
        for resource in resources:
            if not self.allowed(principal, action, resource):
                raise denied(principal, action, resource)

    def check_read(
        self,
        principal: Principal,
        action: AuthzedAction,
        service: Resource | None,
        views: Iterable[Resource],
    ) -> None:
        """Authorize a read of ``views``, through ``service`` when given (its grant covers them)."""
        if service is not None and self.allowed(principal, action, service):
            return
        for view in views:
            if not self.allowed(principal, action, view):
                raise denied(principal, action, service or view)


def denied(principal: Principal, action: AuthzedAction, resource: Resource) -> PermissionDeniedError:
    roles = ", ".join(principal.roles) or "none"
    return PermissionDeniedError(f"principal {principal.name!r} (roles: {roles}) may not {action.name} on {resource}")


def check(
    principal: Principal,
    action: AuthzedAction,
    resources: Iterable[Resource],
    permissions: Iterable[Permission],
) -> None:
    """One-shot check with default deny (for callers without an Enforcer)."""
    Enforcer(permissions).check(principal, action, resources)


def expand_actions(names: Iterable[str]) -> list[AuthzedAction]:
    """Action names, including the groups READ, WRITE, CRUD and ALL_ACTIONS."""
    groups = {"READ": READ, "WRITE": WRITE, "CRUD": CRUD, "ALL_ACTIONS": ALL_ACTIONS, "ALL": ALL_ACTIONS}
    result: list[AuthzedAction] = []
    for name in names:
        key = name.strip().upper()
        result.extend(groups[key] if key in groups else [AuthzedAction.parse(key)])
    return list(dict.fromkeys(result))


# The seed's ACCESS_POLICIES verbs, as action lists.
POLICY_VERBS = {
    "read": [*READ, AuthzedAction.DESCRIBE],
    "write": [*WRITE, AuthzedAction.MATERIALIZE, AuthzedAction.DESCRIBE],
    "admin": ALL_ACTIONS,
    "read_pii": [AuthzedAction.READ_PII],
}
_SECTION_KINDS = {
    "feature_views": ["feature_view", "on_demand_feature_view"],
    "feature_services": ["feature_service"],
    "entities": ["entity"],
    "data_sources": ["data_source"],
}


def permissions_from_access_policies(policies: Mapping[str, Mapping[str, Mapping[str, list[str]]]]) -> list[Permission]:
    """Translate an ``ACCESS_POLICIES`` mapping (section -> object -> verb -> roles) into Permissions.

    ``"*"`` in a role list means every authenticated principal.
    """
    result: list[Permission] = []
    for section, objects in policies.items():
        if section not in _SECTION_KINDS:
            raise RequestError(f"ACCESS_POLICIES: unknown section {section!r}; use {', '.join(_SECTION_KINDS)}")
        for obj_name, verbs in objects.items():
            for verb, roles in verbs.items():
                if verb not in POLICY_VERBS:
                    raise RequestError(f"ACCESS_POLICIES[{section!r}][{obj_name!r}]: unknown verb {verb!r}")
                policy: Policy = AllowAll if "*" in roles else RoleBasedPolicy(roles=list(roles))
                result.append(
                    Permission(
                        name=f"{obj_name}-{verb}",
                        types=_SECTION_KINDS[section],
                        name_patterns=[_literal(obj_name)],
                        actions=POLICY_VERBS[verb],
                        policy=policy,
                    )
                )
    return result


def _literal(name: str) -> str:
    import re

    return re.escape(name)


__all__ = [
    "ALL_ACTIONS",
    "CRUD",
    "READ",
    "WRITE",
    "AllowAll",
    "AuthzedAction",
    "Enforcer",
    "GroupBasedPolicy",
    "Permission",
    "Resource",
    "RoleBasedPolicy",
    "check",
    "denied",
    "expand_actions",
    "permissions_from_access_policies",
    "project_resource",
]
