"""Alert rules: a condition over a view's metrics, a severity, a runbook and an owner."""

from __future__ import annotations

from typing import Any, ClassVar

from featurevault.errors import DefinitionError
from featurevault._model.alert_condition import Condition, parse_condition, parse_duration
from featurevault._model.base import FeatureObject

SEVERITIES = ("P1", "P2", "P3", "P4")


class Alert(FeatureObject):
    """``Alert(name=..., feature_view=..., condition="freshness > 2h", severity="P1", for_="10m")``.

    The condition must hold for ``for_`` before the alert fires (pending until then).
    ``runbook`` is a Markdown file in the repo (``runbooks/stale_features.md``).
    """

    kind: ClassVar[str] = "alert"

    def __init__(
        self,
        *,
        name: str,
        feature_view: str,
        condition: str,
        severity: str = "P2",
        for_: Any = 0,
        runbook: str = "",
        owner: str = "",
        description: str = "",
        tags: dict[str, str] | None = None,
    ) -> None:
        self._init_meta(name, description, tags, owner)
        where = f"alert {name!r}"
        if not isinstance(feature_view, str) or not feature_view:
            raise DefinitionError(f"{where}: feature_view must be the view's name, got {feature_view!r}")
        if severity not in SEVERITIES:
            raise DefinitionError(f"{where}: severity {severity!r} is not one of {', '.join(SEVERITIES)}")
        self.feature_view = feature_view
        self.condition_text = condition
        self.condition: Condition = parse_condition(condition, where)
        self.severity = severity
        self.for_seconds = parse_duration(for_, f"{where} for_")
        self.runbook = runbook or ""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self._meta_dict(),
            "feature_view": self.feature_view,
            "condition": self.condition_text,
            "severity": self.severity,
            "for_seconds": self.for_seconds,
            "runbook": self.runbook,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        return cls(
            name=data["name"],
            feature_view=data["feature_view"],
            condition=data["condition"],
            severity=data.get("severity", "P2"),
            for_=data.get("for_seconds", 0),
            runbook=data.get("runbook", ""),
            owner=data.get("owner", ""),
            description=data.get("description", ""),
            tags=data.get("tags"),
        )
