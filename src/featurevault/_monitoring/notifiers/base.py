"""The notifier interface: one method, ``send``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class Notifier(ABC):
    """Delivers alert events to one receiver."""

    def __init__(self, name: str) -> None:
        self.name = name

    @abstractmethod
    def send(self, event: dict[str, Any]) -> None:
        """Deliver ``event``; NotificationError when the receiver did not take it."""


def summary_line(event: dict[str, Any]) -> str:
    """One human line: ``[FIRING] P1 user_stats_stale (user_stats): freshness > 2h, value 9000``."""
    value = event.get("value")
    shown = "no data" if value is None else f"{value:.6g}"
    escalated = " (escalated)" if event.get("escalation") else ""
    runbook = f"; runbook {event['runbook']}" if event.get("runbook") else ""
    return (
        f"[{event['state'].upper()}]{escalated} {event['severity']} {event['alert']} ({event['feature_view']}): "
        f"{event['condition']}, value {shown}{runbook}"
    )
