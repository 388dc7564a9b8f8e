"""Entities and fields."""

from __future__ import annotations

from typing import Any

from featurevault.errors import DefinitionError
from featurevault._model.base import FeatureObject, check_tags, validate_name
from featurevault._model.rules import NullPolicy
from featurevault._model.rules import null_policy as parse_null_policy
from featurevault._model.types import FeatureType, ValueType, coerce_dtype, parse_dtype


class Entity(FeatureObject):
    """A thing features describe, identified by one or more join keys."""

    kind = "entity"

    def __init__(
        self,
        *,
        name: str,
        join_keys: list[str] | None = None,
        value_type: ValueType | None = None,
        description: str = "",
        tags: dict[str, str] | None = None,
        owner: str = "",
        join_key: str | None = None,
    ) -> None:
        self._init_meta(name, description, tags, owner)
        if join_key is not None and join_keys is not None:
            raise DefinitionError(f"entity {name!r}: give join_keys or join_key, not both")
        keys = list(join_keys) if join_keys is not None else [join_key or name]
        if not keys:
            raise DefinitionError(f"entity {name!r}: join_keys must name at least one column")
        for key in keys:
            validate_name(f"entity {name!r} join key", key)
        if len(set(keys)) != len(keys):
            raise DefinitionError(f"entity {name!r}: join key listed twice in {keys}")
        self.join_keys = keys
        self.value_type = value_type if value_type is not None else ValueType.UNKNOWN

    @property
    def join_key(self) -> str:
        """The first join key (Feast's single-key attribute)."""
        return self.join_keys[0]

    def to_dict(self) -> dict[str, Any]:
        return {**self._meta_dict(), "join_keys": list(self.join_keys), "value_type": self.value_type.name}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entity:
        return cls(
            name=data["name"],
            join_keys=data["join_keys"],
            value_type=ValueType[data.get("value_type", "UNKNOWN")],
            description=data.get("description", ""),
            tags=data.get("tags"),
            owner=data.get("owner", ""),
        )


class Field:
    """A named, typed column of a feature view, request source or on-demand view."""

    def __init__(
        self,
        *,
        name: str,
        dtype: FeatureType | ValueType | str,
        description: str = "",
        tags: dict[str, str] | None = None,
        null_policy: Any = None,
    ) -> None:
        self.name = validate_name("field", name)
        self.dtype = coerce_dtype(dtype)
        self.description = description or ""
        self.tags = check_tags("field", name, tags)
        #: None: not declared (nulls allowed); see featurevault._model.rules.NullPolicy
        self.null_policy = parse_null_policy(null_policy)

    def to_dict(self) -> dict[str, Any]:
        data = {"name": self.name, "dtype": self.dtype.name, "description": self.description, "tags": dict(self.tags)}
        if self.null_policy is not None:
            data["null_policy"] = self.null_policy.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Field:
        return cls(
            name=data["name"],
            dtype=parse_dtype(data["dtype"]),
            description=data.get("description", ""),
            tags=data.get("tags"),
            null_policy=NullPolicy.from_dict(data["null_policy"]) if data.get("null_policy") else None,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Field) and other.to_dict() == self.to_dict()

    def __hash__(self) -> int:
        return hash((self.name, self.dtype.name))

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, dtype={self.dtype.name})"
