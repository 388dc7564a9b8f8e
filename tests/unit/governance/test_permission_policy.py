from __future__ import annotations

import pytest

from featurevault.errors import DefinitionError, PermissionDeniedError, RequestError
from featurevault._governance.permissions import (
    Enforcer,
    Resource,
    check,
    expand_actions,
    permissions_from_access_policies,
)
from featurevault._governance.principal import ANONYMOUS, Principal
from featurevault._model import (
    AllowAll,
    AuthzedAction,
    FeatureService,
    FeatureView,
    GroupBasedPolicy,
    Permission,
    RepoContents,
    RoleBasedPolicy,
)
from featurevault._model.permission import ALL_ACTIONS, CRUD, READ, WRITE

A = AuthzedAction

ACCESS_POLICIES = {
    "feature_views": {
        "user_pii_features": {
            "read": ["data-scientists", "ml-engineers", "compliance"],
            "write": ["data-platform"],
            "admin": ["data-platform-leads"],
            "read_pii": ["compliance"],
        },
        "user_public_features": {
            "read": ["*"],
            "write": ["data-platform", "ml-engineers"],
        },
    },
    "feature_services": {"fraud_model_v2": {"read": ["fraud-team", "ml-platform"]}},
}


def test_action_groups_match_feast() -> None:
    assert READ == [A.READ_ONLINE, A.READ_OFFLINE]
    assert WRITE == [A.WRITE_ONLINE, A.WRITE_OFFLINE]
    assert CRUD == [A.CREATE, A.DESCRIBE, A.UPDATE, A.DELETE]
    assert set(ALL_ACTIONS) == set(A)
    assert {a.name for a in A} >= {"READ_PII", "MATERIALIZE"}
    assert expand_actions(["read", "READ_PII"]) == [A.READ_ONLINE, A.READ_OFFLINE, A.READ_PII]


def test_permission_roundtrips_through_its_dict() -> None:
    perm = Permission(
        name="fraud-readers",
        types=[FeatureView, FeatureService],
        name_patterns=["fraud_.*"],
        required_tags={"team": "fraud"},
        actions=READ,
        policy=GroupBasedPolicy(groups=["fraud"]),
    )
    again = Permission.from_dict(perm.to_dict())
    assert again == perm
    assert again.types == ["feature_view", "feature_service"]
    assert RepoContents.from_dict(RepoContents(permissions={"fraud-readers": perm}).to_dict()).permissions == {
        "fraud-readers": perm
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"types": ["table"]},
        {"name_patterns": ["(unclosed"]},
        {"actions": ["FLY"]},
        {"actions": []},
        {"policy": "admins"},
    ],
)
def test_bad_permission_is_a_definition_error(kwargs: dict) -> None:
    with pytest.raises(DefinitionError):
        Permission(name="bad", **kwargs)


def test_matching_uses_kind_full_name_match_and_tags() -> None:
    perm = Permission(name="p", types=["feature_view"], name_patterns=["user_.*"], required_tags={"team": "risk"})
    assert perm.matches("feature_view", "user_a", {"team": "risk", "x": "y"})
    assert not perm.matches("feature_view", "user_a", {"team": "other"})
    assert not perm.matches("feature_service", "user_a", {"team": "risk"})
    assert not perm.matches("feature_view", "my_user_a", {"team": "risk"})  # full match, not search


def test_default_deny_and_error_names_principal_action_resource() -> None:
    enforcer = Enforcer([Permission(name="ro", actions=READ, policy=RoleBasedPolicy(roles=["reader"]))])
    alice = Principal("alice", roles=["writer"])
    with pytest.raises(PermissionDeniedError) as info:
        enforcer.check(alice, A.WRITE_ONLINE, [Resource("feature_view", "driver_stats")])
    message = str(info.value)
    assert "alice" in message and "WRITE_ONLINE" in message and "feature_view:driver_stats" in message
    assert enforcer.allowed(Principal("bob", roles=["reader"]), A.READ_ONLINE, Resource("feature_view", "x"))
    with pytest.raises(PermissionDeniedError):
        check(alice, A.READ_ONLINE, [Resource("feature_view", "x")], [])


def test_no_auth_enforcer_allows_everything() -> None:
    assert Enforcer([], enforce=False).allowed(ANONYMOUS, A.DELETE, Resource("project", "p"))


def test_unauthenticated_principal_is_not_admitted_by_allow_all() -> None:
    enforcer = Enforcer([Permission(name="all", policy=AllowAll)])
    assert not enforcer.allowed(ANONYMOUS, A.READ_ONLINE, Resource("feature_view", "x"))
    assert enforcer.allowed(Principal("x"), A.READ_ONLINE, Resource("feature_view", "x"))


def test_feature_service_grant_covers_its_views_only_through_the_service() -> None:
    perms = permissions_from_access_policies(ACCESS_POLICIES)
    enforcer = Enforcer(perms)
    fraud = Principal("f", roles=["fraud-team"])
    service = Resource("feature_service", "fraud_model_v2")
    views = [Resource("feature_view", "user_pii_features")]
    enforcer.check_read(fraud, A.READ_ONLINE, service, views)
    with pytest.raises(PermissionDeniedError, match="feature_view:user_pii_features"):
        enforcer.check_read(fraud, A.READ_ONLINE, None, views)
    # a view-level reader may use the service too
    enforcer.check_read(Principal("d", roles=["data-scientists"]), A.READ_ONLINE, service, views)
    with pytest.raises(PermissionDeniedError, match="feature_service:fraud_model_v2"):
        enforcer.check_read(Principal("n", roles=["nobody"]), A.READ_ONLINE, service, views)


# The ACCESS_POLICIES example, cell by cell: (roles, resource, action) -> allowed
def _expected(roles: set[str], resource: str, action: AuthzedAction) -> bool:
    kind, name = resource.split(":")
    section = {"feature_view": "feature_views", "feature_service": "feature_services"}[kind]
    verbs = ACCESS_POLICIES[section].get(name, {})
    verbs_for_action = {
        "read": {A.READ_ONLINE, A.READ_OFFLINE, A.DESCRIBE},
        "write": {A.WRITE_ONLINE, A.WRITE_OFFLINE, A.MATERIALIZE, A.DESCRIBE},
        "admin": set(A),
        "read_pii": {A.READ_PII},
    }
    return any(
        action in verbs_for_action[verb] and ("*" in allowed or roles & set(allowed)) for verb, allowed in verbs.items()
    )


ROLES = [
    "data-scientists",
    "ml-engineers",
    "compliance",
    "data-platform",
    "data-platform-leads",
    "fraud-team",
    "intern",
]
RESOURCES = ["feature_view:user_pii_features", "feature_view:user_public_features", "feature_service:fraud_model_v2"]


@pytest.mark.parametrize("role", ROLES)
def test_access_policies_matrix(role: str) -> None:
    enforcer = Enforcer(permissions_from_access_policies(ACCESS_POLICIES))
    principal = Principal(role, roles=[role])
    for resource in RESOURCES:
        for action in A:
            expected = _expected({role}, resource, action)
            assert enforcer.allowed(principal, action, Resource.parse(resource)) == expected, (role, resource, action)


def test_access_policies_reject_unknown_verbs_and_sections() -> None:
    with pytest.raises(RequestError):
        permissions_from_access_policies({"tables": {}})
    with pytest.raises(RequestError):
        permissions_from_access_policies({"feature_views": {"x": {"delete": ["a"]}}})


@pytest.mark.parametrize("text", ["feature_view", "table:x", "feature_view:", "", "'; DROP TABLE x; --"])
def test_resource_parse_rejects_garbage(text: str) -> None:
    with pytest.raises(RequestError):
        Resource.parse(text)


def test_resource_parse_reads_tags_from_contents(contents: RepoContents) -> None:
    res = Resource.parse("entity:user", contents)
    assert res.tags == {"pii": "true"}


def _explicit_access_policies() -> list[Permission]:
    """The ACCESS_POLICIES example written out as Permission objects (as in docs/security.md)."""
    read = [A.READ_ONLINE, A.READ_OFFLINE, A.DESCRIBE]
    write = [A.WRITE_ONLINE, A.WRITE_OFFLINE, A.MATERIALIZE, A.DESCRIBE]
    views = [FeatureView, "on_demand_feature_view"]
    return [
        Permission(
            name="pii-read",
            types=views,
            name_patterns=["user_pii_features"],
            actions=read,
            policy=RoleBasedPolicy(roles=["data-scientists", "ml-engineers", "compliance"]),
        ),
        Permission(
            name="pii-write",
            types=views,
            name_patterns=["user_pii_features"],
            actions=write,
            policy=RoleBasedPolicy(roles=["data-platform"]),
        ),
        Permission(
            name="pii-admin",
            types=views,
            name_patterns=["user_pii_features"],
            actions=ALL_ACTIONS,
            policy=RoleBasedPolicy(roles=["data-platform-leads"]),
        ),
        Permission(
            name="public-read", types=views, name_patterns=["user_public_features"], actions=read, policy=AllowAll
        ),
        Permission(
            name="public-write",
            types=views,
            name_patterns=["user_public_features"],
            actions=write,
            policy=RoleBasedPolicy(roles=["data-platform", "ml-engineers"]),
        ),
        Permission(
            name="fraud-model-read",
            types=[FeatureService],
            name_patterns=["fraud_model_v2"],
            actions=read,
            policy=RoleBasedPolicy(roles=["fraud-team", "ml-platform"]),
        ),
        Permission(
            name="compliance-reads-pii",
            types=views,
            name_patterns=["user_pii_features"],
            actions=[A.READ_PII],
            policy=RoleBasedPolicy(roles=["compliance"]),
        ),
    ]


def test_access_policies_keep_the_read_pii_grant() -> None:
    """The mapping form grants READ_PII exactly like the hand-written compliance permission."""
    enforcer = Enforcer(permissions_from_access_policies(ACCESS_POLICIES))
    pii_view = Resource.parse("feature_view:user_pii_features")
    assert enforcer.allowed(Principal("c", roles=["compliance"]), A.READ_PII, pii_view)
    assert not enforcer.allowed(Principal("d", roles=["data-scientists"]), A.READ_PII, pii_view)


@pytest.mark.parametrize("role", ROLES)
def test_explicit_permissions_decide_like_the_access_policies(role: str) -> None:
    explicit = Enforcer(_explicit_access_policies())
    principal = Principal(role, roles=[role])
    for resource in RESOURCES:
        for action in A:
            assert explicit.allowed(principal, action, Resource.parse(resource)) == _expected({role}, resource, action)
