"""The set of definitions a repo declares and a registry version stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from featurevault._model.alert import Alert
from featurevault._model.base import FeatureObject
from featurevault._model.entity import Entity
from featurevault._model.feature_service import FeatureService
from featurevault._model.feature_view import FeatureView
from featurevault._model.on_demand import OnDemandFeatureView
from featurevault._model.permission import Permission
from featurevault._model.sources import DataSource, source_from_dict

# kind -> (attribute on RepoContents, loader)
KINDS: dict[str, tuple[str, Any]] = {
    "entity": ("entities", Entity.from_dict),
    "data_source": ("data_sources", source_from_dict),
    "feature_view": ("feature_views", FeatureView.from_dict),
    "on_demand_feature_view": ("on_demand_feature_views", OnDemandFeatureView.from_dict),
    "feature_service": ("feature_services", FeatureService.from_dict),
    "permission": ("permissions", Permission.from_dict),
    "alert": ("alerts", Alert.from_dict),
}


@dataclass
class RepoContents:
    """Definitions by kind, each a name -> object mapping."""

    entities: dict[str, Entity] = field(default_factory=dict)
    data_sources: dict[str, DataSource] = field(default_factory=dict)
    feature_views: dict[str, FeatureView] = field(default_factory=dict)
    on_demand_feature_views: dict[str, OnDemandFeatureView] = field(default_factory=dict)
    feature_services: dict[str, FeatureService] = field(default_factory=dict)
    permissions: dict[str, Permission] = field(default_factory=dict)
    alerts: dict[str, Alert] = field(default_factory=dict)
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ``Project`` objects a repo declares (checked against the configured project, not stored)
    declared_projects: list[Any] = field(default_factory=list, compare=False, repr=False)

    def objects(self) -> list[FeatureObject]:
        """Every object, kinds in dependency order."""
        result: list[FeatureObject] = []
        for attr, _ in KINDS.values():
            result.extend(getattr(self, attr).values())
        return result

    def by_kind(self, kind: str) -> dict[str, Any]:
        if kind in KINDS:
            objects: dict[str, Any] = getattr(self, KINDS[kind][0])
            return objects
        return self.extra.setdefault(kind, {})

    def to_dict(self) -> dict[str, Any]:
        data = {
            kind: {name: obj.to_dict() for name, obj in sorted(getattr(self, attr).items())}
            for kind, (attr, _) in KINDS.items()
        }
        for kind, objs in self.extra.items():
            data[kind] = {name: obj.to_dict() for name, obj in sorted(objs.items())}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], extra_loaders: dict[str, Any] | None = None) -> RepoContents:
        contents = cls()
        for kind, (attr, loader) in KINDS.items():
            setattr(contents, attr, {name: loader(d) for name, d in data.get(kind, {}).items()})
        for kind, loader in (extra_loaders or {}).items():
            contents.extra[kind] = {name: loader(d) for name, d in data.get(kind, {}).items()}
        return contents
