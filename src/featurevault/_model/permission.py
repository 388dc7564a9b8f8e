"""Access policies as definition objects (Feast's ``Permission``), applied like any other object.

A :class:`Permission` grants ``actions`` on the resources it matches (by kind,
name pattern and required tags) to the principals its policy admits. This is
plain data: deciding a request is :mod:`featurevault._governance.permissions`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from typing import Any, ClassVar

from featurevault.errors import DefinitionError
from featurevault._model.base import FeatureObject


class AuthzedAction(enum.Enum):
    """What a principal may do to a resource (Feast's members plus READ_PII, MATERIALIZE, QUERY_SQL, PROMOTE, READ_AUDIT).

    PROMOTE, granted on the project of the target environment, allows ``featurevault promote``
    to apply another environment's definitions there (without UPDATE on each object).

    READ_AUDIT, granted on the project, allows reading the audit trail on the web dashboard
    (DESCRIBE alone does not show who did what).

    QUERY_SQL, granted on the project, allows an ``entity_df`` given as SQL in historical
    retrieval while auth is on (the query itself runs where it can read no file or table).
    """

    CREATE = "create"
    DESCRIBE = "describe"
    UPDATE = "update"
    DELETE = "delete"
    READ_ONLINE = "read_online"
    READ_OFFLINE = "read_offline"
    WRITE_ONLINE = "write_online"
    WRITE_OFFLINE = "write_offline"
    READ_PII = "read_pii"
    MATERIALIZE = "materialize"
    QUERY_SQL = "query_sql"
    PROMOTE = "promote"
    READ_AUDIT = "read_audit"

    @classmethod
    def parse(cls, value: object) -> AuthzedAction:
        if isinstance(value, AuthzedAction):
            return value
        try:
            return cls[str(value).upper()]
        except KeyError:
            raise DefinitionError(f"unknown action {value!r}: use one of {', '.join(a.name for a in cls)}") from None


READ = [AuthzedAction.READ_ONLINE, AuthzedAction.READ_OFFLINE]
WRITE = [AuthzedAction.WRITE_ONLINE, AuthzedAction.WRITE_OFFLINE]
CRUD = [AuthzedAction.CREATE, AuthzedAction.DESCRIBE, AuthzedAction.UPDATE, AuthzedAction.DELETE]
ALL_ACTIONS = list(AuthzedAction)

# kind names a Permission may list; classes are accepted and turned into these
RESOURCE_KINDS = (
    "entity",
    "data_source",
    "feature_view",
    "on_demand_feature_view",
    "feature_service",
    "permission",
    "alert",
    "project",
)


class Policy:
    """Who a permission admits. Subclasses: RoleBasedPolicy, GroupBasedPolicy, AllowAll."""

    policy_type: ClassVar[str] = ""

    def admits(self, roles: frozenset[str], groups: frozenset[str], authenticated: bool) -> bool:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Policy) and other.to_dict() == self.to_dict()

    def __hash__(self) -> int:
        return hash(str(self.to_dict()))

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Policy:
        kind = data.get("type")
        if kind == "role":
            return RoleBasedPolicy(roles=data["roles"])
        if kind == "group":
            return GroupBasedPolicy(groups=data["groups"])
        if kind == "allow_all":
            return AllowAll
        raise DefinitionError(f"unknown policy type {kind!r}")


def _names(label: str, values: Any) -> list[str]:
    if isinstance(values, str) or not all(isinstance(v, str) and v for v in values or []):
        raise DefinitionError(f"{label} must be a list of non-empty strings, got {values!r}")
    return list(values)


class RoleBasedPolicy(Policy):
    """Admits a principal holding any of ``roles``; ``"*"`` admits every authenticated principal."""

    policy_type = "role"

    def __init__(self, roles: list[str]) -> None:
        self.roles = _names("RoleBasedPolicy roles", roles)

    def admits(self, roles: frozenset[str], groups: frozenset[str], authenticated: bool) -> bool:
        return authenticated and ("*" in self.roles or not roles.isdisjoint(self.roles))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "role", "roles": list(self.roles)}

    def __repr__(self) -> str:
        return f"RoleBasedPolicy(roles={self.roles!r})"


class GroupBasedPolicy(Policy):
    """Admits a principal in any of ``groups``; ``"*"`` admits every authenticated principal."""

    policy_type = "group"

    def __init__(self, groups: list[str]) -> None:
        self.groups = _names("GroupBasedPolicy groups", groups)

    def admits(self, roles: frozenset[str], groups: frozenset[str], authenticated: bool) -> bool:
        return authenticated and ("*" in self.groups or not groups.isdisjoint(self.groups))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "group", "groups": list(self.groups)}

    def __repr__(self) -> str:
        return f"GroupBasedPolicy(groups={self.groups!r})"


class _AllowAll(Policy):
    """Admits every authenticated principal."""

    policy_type = "allow_all"

    def admits(self, roles: frozenset[str], groups: frozenset[str], authenticated: bool) -> bool:
        return authenticated

    def to_dict(self) -> dict[str, Any]:
        return {"type": "allow_all"}

    def __repr__(self) -> str:
        return "AllowAll"


AllowAll = _AllowAll()


def _kind_of(item: Any) -> str:
    kind = item if isinstance(item, str) else getattr(item, "kind", None)
    if kind not in RESOURCE_KINDS:
        raise DefinitionError(f"permission types: {item!r} is not a resource kind ({', '.join(RESOURCE_KINDS)})")
    return str(kind)


class Permission(FeatureObject):
    """Grants ``actions`` on matching resources to the principals ``policy`` admits.

    A resource matches when its kind is in ``types`` (all kinds when empty), its
    name matches one of ``name_patterns`` (any name when empty; full match) and
    its tags include every ``required_tags`` item.
    """

    kind = "permission"

    def __init__(
        self,
        *,
        name: str,
        types: list[Any] | Any = None,
        name_patterns: list[str] | str | None = None,
        required_tags: dict[str, str] | None = None,
        actions: Sequence[AuthzedAction | str] | AuthzedAction | str = ALL_ACTIONS,
        policy: Policy = AllowAll,
        description: str = "",
        tags: dict[str, str] | None = None,
        owner: str = "",
    ) -> None:
        self._init_meta(name, description, tags, owner)
        types_list = types if isinstance(types, (list, tuple)) else ([] if types is None else [types])
        self.types = [_kind_of(t) for t in types_list]
        patterns = [name_patterns] if isinstance(name_patterns, str) else list(name_patterns or [])
        self.name_patterns = [self._check_pattern(p) for p in patterns]
        self._compiled = [re.compile(p) for p in self.name_patterns]
        self.required_tags = dict(required_tags or {})
        action_list = actions if isinstance(actions, (list, tuple)) else [actions]
        self.actions = list(dict.fromkeys(AuthzedAction.parse(a) for a in action_list))
        if not self.actions:
            raise DefinitionError(f"permission {name!r}: actions must list at least one action")
        if not isinstance(policy, Policy):
            raise DefinitionError(f"permission {name!r}: policy must be RoleBasedPolicy, GroupBasedPolicy or AllowAll")
        self.policy = policy

    def _check_pattern(self, pattern: Any) -> str:
        if not isinstance(pattern, str):
            raise DefinitionError(f"permission {self.name!r}: name pattern {pattern!r} must be a string")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise DefinitionError(f"permission {self.name!r}: name pattern {pattern!r} is not a regex: {exc}") from None
        return pattern

    def matches(self, kind: str, name: str, tags: dict[str, str]) -> bool:
        """Whether this permission speaks about the resource ``kind:name`` with ``tags``."""
        if self.types and kind not in self.types:
            return False
        if self._compiled and not any(p.fullmatch(name) for p in self._compiled):
            return False
        return all(tags.get(k) == v for k, v in self.required_tags.items())

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._meta_dict(),
            "types": list(self.types),
            "name_patterns": list(self.name_patterns),
            "required_tags": dict(self.required_tags),
            "actions": [a.name for a in self.actions],
            "policy": self.policy.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Permission:
        return cls(
            name=data["name"],
            types=data.get("types") or [],
            name_patterns=data.get("name_patterns") or [],
            required_tags=data.get("required_tags"),
            actions=data["actions"],
            policy=Policy.from_dict(data["policy"]),
            description=data.get("description", ""),
            tags=data.get("tags"),
            owner=data.get("owner", ""),
        )
