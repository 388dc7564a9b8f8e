"""On-call routing: which receivers get an alert, and to whom it escalates while it keeps firing."""

from __future__ import annotations

from dataclasses import dataclass, field

from featurevault._config import AlertingConfig, RouteConfig
from featurevault._model import Alert


@dataclass(frozen=True)
class Route:
    receivers: list[str]
    escalate_after_seconds: float | None = None
    escalate_to: list[str] = field(default_factory=list)


def route_for(alert: Alert, config: AlertingConfig) -> Route:
    """The first route matching the alert's severity and owner; the default receivers when none does."""
    for route in config.routes:
        if _matches(route, alert):
            after = route.escalate_after_minutes * 60 if route.escalate_after_minutes else None
            return Route(list(route.receivers), after, list(route.escalate_to))
    return Route(list(config.default_receivers))


def _matches(route: RouteConfig, alert: Alert) -> bool:
    if route.severity is not None and route.severity != alert.severity:
        return False
    return route.owner is None or route.owner == alert.owner
