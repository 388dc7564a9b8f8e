"""Alert states over evaluations: inactive -> pending -> firing -> resolved, with ``for_`` and de-duplication.

The condition must hold for ``for_`` seconds before an alert fires. Receivers
hear of a state change once: when it fires, when it resolves, and (per its
route) once more when it has fired for the escalation delay. A delivery that
fails is kept in the alert's state and retried on the next evaluation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from featurevault._model import Alert
from featurevault._monitoring.routing import Route

logger = logging.getLogger(__name__)

NAMESPACE = "monitoring.alerts"
INACTIVE, PENDING, FIRING, RESOLVED = "inactive", "pending", "firing", "resolved"


@dataclass
class AlertState:
    """What is kept of an alert between evaluations."""

    state: str = INACTIVE
    since: str | None = None
    fired_at: str | None = None
    value: float | None = None
    escalated: bool = False
    undelivered: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> AlertState:
        return cls(**data) if data else cls()

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Delivery:
    """One notification to send: a receiver and the event."""

    receiver: str
    event: dict[str, Any]


@dataclass
class AlertStatus:
    alert: Alert
    state: AlertState
    changed: bool
    deliveries: list[Delivery]

    def to_dict(self) -> dict[str, Any]:
        return {
            "alert": self.alert.name,
            "feature_view": self.alert.feature_view,
            "severity": self.alert.severity,
            "condition": self.alert.condition_text,
            "runbook": self.alert.runbook,
            "owner": self.alert.owner,
            **self.state.to_dict(),
        }


def evaluate(
    alert: Alert,
    previous: AlertState,
    value: float | None,
    *,
    expected_interval: float | None,
    route: Route,
    now: datetime,
) -> AlertStatus:
    """The alert's next state given the metric's current ``value`` (None: no data, the condition does not hold)."""
    state = AlertState(**previous.to_dict())
    state.value = value
    holds = value is not None and alert.condition.holds(value, expected_interval)
    before = state.state
    deliveries: list[Delivery] = []
    if holds:
        deliveries = _holding(alert, state, route, now)
    elif state.state == FIRING:
        _move(state, RESOLVED, now)
        state.escalated = False
        deliveries = _notify(alert, state, route.receivers, now)
    elif state.state == PENDING:
        _move(state, INACTIVE, now)
    logger.info(
        "alert %s: %s is %s -> %s (%s)",
        alert.name,
        alert.condition_text,
        "no data" if value is None else f"{value:.6g}",
        state.state,
        "changed" if state.state != before else "same",
    )
    return AlertStatus(alert, state, state.state != before, deliveries)


def _holding(alert: Alert, state: AlertState, route: Route, now: datetime) -> list[Delivery]:
    if state.state in (INACTIVE, RESOLVED):
        _move(state, PENDING, now)
    if state.state == PENDING and _elapsed(state.since, now) >= alert.for_seconds:
        _move(state, FIRING, now)
        state.fired_at = state.since
        return _notify(alert, state, route.receivers, now)
    if state.state == FIRING and route.escalate_after_seconds is not None and not state.escalated:
        if _elapsed(state.fired_at, now) >= route.escalate_after_seconds:
            state.escalated = True
            return _notify(alert, state, route.escalate_to, now, escalation=True)
    return []


def _move(state: AlertState, new: str, now: datetime) -> None:
    state.state = new
    state.since = now.isoformat()


def _elapsed(since: str | None, now: datetime) -> float:
    return (now - datetime.fromisoformat(since)).total_seconds() if since else 0.0


def _notify(
    alert: Alert, state: AlertState, receivers: list[str], now: datetime, escalation: bool = False
) -> list[Delivery]:
    event = {
        "alert": alert.name,
        "state": state.state,
        "severity": alert.severity,
        "feature_view": alert.feature_view,
        "condition": alert.condition_text,
        "value": state.value,
        "runbook": alert.runbook,
        "owner": alert.owner,
        "escalation": escalation,
        "at": now.isoformat(),
    }
    return [Delivery(receiver, dict(event)) for receiver in receivers]
