"""The log receiver: one WARNING line per event on ``featurevault.alerts``."""

from __future__ import annotations

import logging
from typing import Any

from featurevault._monitoring.notifiers.base import Notifier, summary_line

alert_logger = logging.getLogger("featurevault.alerts")


class LogNotifier(Notifier):
    def send(self, event: dict[str, Any]) -> None:
        alert_logger.warning("%s", summary_line(event))
