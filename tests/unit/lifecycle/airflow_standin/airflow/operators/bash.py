"""``BashOperator`` of the stand-in: a task that runs one bash command (see the ``airflow`` package docstring)."""

from __future__ import annotations

from typing import Any

from airflow.models import BaseOperator


class BashOperator(BaseOperator):
    def __init__(self, *, task_id: str, bash_command: str, env: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(task_id=task_id, **kwargs)
        if not bash_command.strip():
            raise ValueError(f"task {task_id!r}: empty bash_command")
        self.bash_command = bash_command
        self.env = env
