"""Delivering an evaluation's notifications: each logged and audited; failures kept for the next run."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from featurevault._config import AlertingConfig
from featurevault.errors import NotificationError
from featurevault._monitoring.evaluator import AlertState, Delivery
from featurevault._monitoring.notifiers import Notifier, build_notifier

logger = logging.getLogger(__name__)


@dataclass
class NotificationOutcome:
    alert: str
    receiver: str
    state: str
    delivered: bool
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Dispatcher:
    """Sends deliveries through the configured receivers; ``audit(outcome)`` is called for each attempt."""

    def __init__(self, config: AlertingConfig, audit: Any) -> None:
        self.config = config
        self.audit = audit
        self._notifiers: dict[str, Notifier] = {}

    def notifier(self, name: str) -> Notifier:
        if name not in self._notifiers:
            self._notifiers[name] = build_notifier(name, self.config.receivers.get(name))
        return self._notifiers[name]

    def deliver(self, alert: str, state: AlertState, deliveries: list[Delivery]) -> list[NotificationOutcome]:
        """Retry what an earlier run could not deliver, then send the new deliveries."""
        pending = [Delivery(d["receiver"], d["event"]) for d in state.undelivered] + deliveries
        state.undelivered = []
        outcomes = []
        for delivery in pending:
            outcome = self._send(alert, delivery)
            if not outcome.delivered:
                state.undelivered.append({"receiver": delivery.receiver, "event": delivery.event})
            outcomes.append(outcome)
        return outcomes

    def _send(self, alert: str, delivery: Delivery) -> NotificationOutcome:
        state = str(delivery.event.get("state"))
        try:
            self.notifier(delivery.receiver).send(delivery.event)
            outcome = NotificationOutcome(alert, delivery.receiver, state, True)
            logger.info("alert %s: %s notification sent to %s", alert, state, delivery.receiver)
        except NotificationError as exc:
            outcome = NotificationOutcome(alert, delivery.receiver, state, False, str(exc))
            logger.warning(
                "alert %s: %s notification to %s failed, kept for the next run: %s",
                alert,
                state,
                delivery.receiver,
                exc,
            )
        self.audit(outcome)
        return outcome
