"""The command receiver: runs a program with the event as JSON on stdin (a pager CLI, a script)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from featurevault._config import ReceiverConfig
from featurevault.errors import NotificationError
from featurevault._monitoring.notifiers.base import Notifier


class CommandNotifier(Notifier):
    def __init__(self, name: str, config: ReceiverConfig) -> None:
        super().__init__(name)
        self.config = config

    def send(self, event: dict[str, Any]) -> None:
        argv = list(self.config.command)
        try:
            done = subprocess.run(
                argv,
                input=json.dumps(event, default=str),
                text=True,
                capture_output=True,
                timeout=self.config.timeout_seconds,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NotificationError(f"command receiver {self.name}: {argv[0]} failed: {exc}") from None
        if done.returncode != 0:
            tail = (done.stderr or "").strip().splitlines()[-1:] or [""]
            raise NotificationError(
                f"command receiver {self.name}: {argv[0]} exited {done.returncode} {tail[0]}".rstrip()
            )
