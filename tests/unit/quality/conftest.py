"""Builders for repos of definition objects (no files, no registry)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from featurevault._quality import not_null
from featurevault._model import Entity, FeatureService, FeatureView, Field, FileSource, RepoContents
from featurevault.types import Float32, Int64

GOOD_ENTITY: dict[str, Any] = {"description": "Registered user identified by UUID"}
GOOD_VIEW: dict[str, Any] = {
    "ttl": timedelta(days=30),
    "description": "User transaction aggregates",
    "owner": "fraud-team@example.com",
    "tags": {"team": "fraud", "domain": "user", "env": "prod", "pii": "false", "freshness": "daily"},
}


def entity(name: str, keys: list[str] | None = None, **kwargs: Any) -> Entity:
    return Entity(name=name, join_keys=keys or [f"{name}_id"], **{**GOOD_ENTITY, **kwargs})


def view(name: str, entities: list[Entity], features: list[str], **kwargs: Any) -> FeatureView:
    schema = [Field(name=k, dtype=Int64) for e in entities for k in e.join_keys]
    schema += [Field(name=f, dtype=Float32) for f in features]
    source = FileSource(name=f"{name}_source", path="data/x.parquet", timestamp_field="event_timestamp")
    if features and "rules" not in kwargs:  # a view that passes lint declares a rule (FV307)
        kwargs["rules"] = [not_null(features[0])]
    return FeatureView(name=name, source=source, entities=entities, schema=schema, **{**GOOD_VIEW, **kwargs})


def repo(*objects: Any) -> RepoContents:
    contents = RepoContents()
    for obj in objects:
        contents.by_kind(obj.kind)[obj.name] = obj
        for ent in getattr(obj, "entities", []):
            contents.entities.setdefault(ent.name, ent)
    return contents


@pytest.fixture
def build() -> SimpleNamespace:
    """``build.entity``, ``build.view``, ``build.repo``, ``build.service``."""
    return SimpleNamespace(entity=entity, view=view, repo=repo, service=FeatureService)
