"""Drift baselines, kept in the registry's operational state (namespace ``monitoring.baseline``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from featurevault.errors import MonitoringError
from featurevault._monitoring.drift.baseline import FeatureBaseline

NAMESPACE = "monitoring.baseline"


@dataclass
class ViewBaseline:
    view: str
    start: datetime
    end: datetime
    rows: int
    features: dict[str, FeatureBaseline]

    def to_dict(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "rows": self.rows,
            "features": {name: b.to_dict() for name, b in self.features.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ViewBaseline:
        return cls(
            view=data["view"],
            start=datetime.fromisoformat(data["start"]),
            end=datetime.fromisoformat(data["end"]),
            rows=int(data["rows"]),
            features={name: FeatureBaseline.from_dict(b) for name, b in data["features"].items()},
        )


def save_baseline(registry: Any, project: str, baseline: ViewBaseline) -> None:
    if baseline.rows == 0:
        raise MonitoringError(
            f"feature view {baseline.view!r}: no rows between {baseline.start.isoformat()} and "
            f"{baseline.end.isoformat()}; a baseline needs data (choose another --start/--end)"
        )
    registry.set_state(project, NAMESPACE, baseline.view, baseline.to_dict())


def load_baselines(registry: Any, project: str) -> dict[str, ViewBaseline]:
    return {name: ViewBaseline.from_dict(data) for name, data in registry.get_state(project, NAMESPACE).items()}
