"""Feature services: the feature set one model version reads."""

from __future__ import annotations

from typing import Any

from featurevault.errors import DefinitionError
from featurevault._model.base import FeatureObject
from featurevault._model.feature_view import Projection, _Projectable
from featurevault._model.logging_config import LoggingConfig


class FeatureService(FeatureObject):
    """A named list of feature views or projections, one per model version (``fraud_detection_v2``)."""

    kind = "feature_service"

    def __init__(
        self,
        *,
        name: str,
        features: list[Any],
        description: str = "",
        tags: dict[str, str] | None = None,
        owner: str = "",
        logging_config: Any = None,
    ) -> None:
        self._init_meta(name, description, tags, owner)
        if logging_config is not None and not isinstance(logging_config, LoggingConfig):
            raise DefinitionError(f"feature service {name!r}: logging_config {logging_config!r} is not a LoggingConfig")
        #: sampled served vectors are logged when set (see featurevault._monitoring.feature_log)
        self.logging_config: LoggingConfig | None = logging_config
        if not features:
            raise DefinitionError(f"feature service {name!r}: features must list at least one feature view")
        self.feature_view_projections: list[Projection] = []
        for item in features:
            if not isinstance(item, _Projectable):
                raise DefinitionError(
                    f"feature service {name!r}: {item!r} is not a feature view, on-demand view or projection"
                )
            self.feature_view_projections.append(
                Projection(item.name, list(item.projection.features), item.projection.name_alias)
            )
        self.view_kinds = {item.name: item.kind for item in features}

    def to_dict(self) -> dict[str, Any]:
        data = {
            **self._meta_dict(),
            "projections": [p.to_dict() for p in self.feature_view_projections],
            "view_kinds": dict(self.view_kinds),
        }
        if self.logging_config is not None:
            data["logging_config"] = self.logging_config.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureService:
        service = cls.__new__(cls)
        service._init_meta(data["name"], data.get("description", ""), data.get("tags"), data.get("owner", ""))
        service.feature_view_projections = [Projection.from_dict(p) for p in data["projections"]]
        service.view_kinds = dict(data.get("view_kinds", {}))
        logging = data.get("logging_config")
        service.logging_config = LoggingConfig.from_dict(logging) if logging else None
        return service

    def feature_refs(self) -> list[str]:
        """``view:feature`` for every feature the service reads."""
        return [f"{p.name}:{f}" for p in self.feature_view_projections for f in p.features]
