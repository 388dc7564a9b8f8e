"""The webhook receiver: a JSON POST of the event (or Slack's ``{"text": ...}``), with a timeout and retries."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

from featurevault._config import ReceiverConfig
from featurevault.errors import NotificationError
from featurevault._monitoring.notifiers.base import Notifier, summary_line

logger = logging.getLogger(__name__)

#: seconds before the first retry; doubled for each further one
BACKOFF_SECONDS = 0.2


class WebhookNotifier(Notifier):
    def __init__(self, name: str, config: ReceiverConfig) -> None:
        super().__init__(name)
        self.config = config

    def payload(self, event: dict[str, Any]) -> bytes:
        body = {"text": summary_line(event)} if self.config.slack else event
        return json.dumps(body, default=str).encode()

    def send(self, event: dict[str, Any]) -> None:
        data = self.payload(event)
        attempts = self.config.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                self._post(data)
                return
            except NotificationError as exc:
                logger.warning("receiver %s: attempt %d/%d failed: %s", self.name, attempt, attempts, exc)
                if attempt == attempts:
                    raise
                time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))

    def _post(self, data: bytes) -> None:
        headers = {"Content-Type": "application/json", **self.config.headers}
        request = urllib.request.Request(str(self.config.url), data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_seconds) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise NotificationError(f"webhook {self.name}: HTTP {exc.code} from {_where(self.config.url)}") from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise NotificationError(f"webhook {self.name}: {_where(self.config.url)} unreachable ({reason})") from None
        if not 200 <= status < 300:
            raise NotificationError(f"webhook {self.name}: HTTP {status} from {_where(self.config.url)}")


def _where(url: str | None) -> str:
    """The URL without its path and query (Slack webhook paths are secrets)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.hostname}:{parts.port}" if parts.port else f"{parts.scheme}://{parts.hostname}"
