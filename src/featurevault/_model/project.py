"""Feast's ``Project`` object: a repo may declare its project in Python as well as in feature_store.yaml.

The project a store works on is the one named in ``feature_store.yaml``; a
``Project`` object in the repo must carry that same name (``apply`` and
``plan`` refuse a repo whose ``Project`` names another one). Its description,
owner and tags are kept on the object and shown by ``FeatureStore.get_project``.
"""

from __future__ import annotations

import re
from typing import Any

from featurevault.errors import DefinitionError


class Project:
    """A project declaration: ``Project(name="driver_ranking", description="...")``."""

    kind = "project"

    def __init__(
        self, *, name: str, description: str = "", tags: dict[str, str] | None = None, owner: str = ""
    ) -> None:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise DefinitionError(f"Project(name={name!r}): a project name is letters, digits and '_'")
        self.name = name
        self.description = description
        self.tags = dict(tags or {})
        self.owner = owner

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "tags": self.tags, "owner": self.owner}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Project) and other.to_dict() == self.to_dict()

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"Project(name={self.name!r})"


__all__ = ["Project"]
