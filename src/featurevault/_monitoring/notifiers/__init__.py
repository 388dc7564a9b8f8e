"""Receivers of alert notifications, one module each: log, webhook (JSON or Slack), command.

A notifier's ``send(event)`` raises :class:`~featurevault.errors.NotificationError`
when the receiver did not take the event; the evaluator keeps it and retries on the
next evaluation, so a receiver that is down never blocks the others.
"""

from __future__ import annotations

from typing import Any

from featurevault._config import ReceiverConfig
from featurevault._monitoring.notifiers.base import Notifier


def build_notifier(name: str, config: ReceiverConfig | None) -> Notifier:
    """The notifier of receiver ``name`` (``log`` needs no configuration)."""
    kind = config.type if config is not None else "log"
    if kind == "webhook":
        from featurevault._monitoring.notifiers.webhook import WebhookNotifier

        return WebhookNotifier(name, config)  # type: ignore[arg-type]
    if kind == "command":
        from featurevault._monitoring.notifiers.command import CommandNotifier

        return CommandNotifier(name, config)  # type: ignore[arg-type]
    from featurevault._monitoring.notifiers.log import LogNotifier

    return LogNotifier(name)


__all__: list[Any] = ["Notifier", "build_notifier"]
