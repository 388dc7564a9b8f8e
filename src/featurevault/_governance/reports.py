"""Read-only views of governance for people: the permission matrix and the PII report."""

from __future__ import annotations

from dataclasses import dataclass

from featurevault._governance.permissions import Enforcer, Resource
from featurevault._governance.pii import build_catalog
from featurevault._governance.principal import Principal
from featurevault._model import RepoContents
from featurevault._model.permission import AuthzedAction, GroupBasedPolicy, RoleBasedPolicy, _AllowAll

ANY_AUTHENTICATED = "*"


def named_roles(contents: RepoContents) -> tuple[list[str], list[str], bool]:
    """Roles and groups named by the permissions, and whether some policy admits everyone."""
    roles: set[str] = set()
    groups: set[str] = set()
    anyone = False
    for perm in contents.permissions.values():
        if isinstance(perm.policy, RoleBasedPolicy):
            roles.update(r for r in perm.policy.roles if r != ANY_AUTHENTICATED)
            anyone |= ANY_AUTHENTICATED in perm.policy.roles
        elif isinstance(perm.policy, GroupBasedPolicy):
            groups.update(g for g in perm.policy.groups if g != ANY_AUTHENTICATED)
            anyone |= ANY_AUTHENTICATED in perm.policy.groups
        elif isinstance(perm.policy, _AllowAll):
            anyone = True
    return sorted(roles), sorted(groups), anyone


def resources_of(contents: RepoContents) -> list[Resource]:
    return [Resource.of(obj) for obj in contents.objects()]


def who_may(contents: RepoContents, enforcer: Enforcer, action: AuthzedAction, resource: Resource) -> list[str]:
    """Everyone admitted: ``*`` (any authenticated principal), ``role:x`` and ``group:y``."""
    roles, groups, _ = named_roles(contents)
    if enforcer.allowed(Principal("someone"), action, resource):
        return [ANY_AUTHENTICATED]
    found = [f"role:{r}" for r in roles if enforcer.allowed(Principal("r", roles=[r]), action, resource)]
    found += [f"group:{g}" for g in groups if enforcer.allowed(Principal("g", groups=[g]), action, resource)]
    return found


def permission_matrix(
    contents: RepoContents, actions: list[AuthzedAction] | None = None
) -> dict[str, dict[str, list[str]]]:
    """resource -> action -> who may, for every object in the registry."""
    enforcer = Enforcer(contents.permissions.values())
    chosen = actions or list(AuthzedAction)
    return {str(res): {a.name: who_may(contents, enforcer, a, res) for a in chosen} for res in resources_of(contents)}


@dataclass(frozen=True)
class PiiReportRow:
    feature: str
    masking: str
    reason: str
    clear_readers: list[str]
    derived_into: list[str]


def pii_report(contents: RepoContents) -> tuple[list[PiiReportRow], dict[str, list[str]]]:
    """Every PII field (masking, why, who reads it clear, where it flows) and every declassification."""
    catalog = build_catalog(contents)
    enforcer = Enforcer(contents.permissions.values())
    rows = []
    for (view, feature), item in sorted(catalog.fields.items()):
        obj = contents.feature_views.get(view) or contents.on_demand_feature_views.get(view)
        resource = Resource.of(obj) if obj is not None else Resource("feature_view", view)
        readers = who_may(contents, enforcer, AuthzedAction.READ_PII, resource)
        rows.append(PiiReportRow(f"{view}:{feature}", item.masking, item.reason, readers, list(item.derived_into)))
    declassified = {f"{v}:{f}": list(src) for (v, f), src in sorted(catalog.declassified.items())}
    return rows, declassified
