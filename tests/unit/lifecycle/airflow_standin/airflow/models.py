"""``DAG`` and ``BaseOperator`` of the stand-in (see the package docstring)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

#: Airflow's trigger rules (a task's condition on its upstream tasks' states)
TRIGGER_RULES = frozenset(
    {
        "all_success",
        "all_failed",
        "all_done",
        "all_skipped",
        "one_success",
        "one_failed",
        "one_done",
        "none_failed",
        "none_failed_min_one_success",
        "none_skipped",
        "always",
    }
)
DEFAULT_ARGS = frozenset(
    {
        "owner",
        "retries",
        "retry_delay",
        "retry_exponential_backoff",
        "max_retry_delay",
        "email",
        "email_on_failure",
        "email_on_retry",
        "depends_on_past",
        "execution_timeout",
    }
)


class DAG:
    """A DAG: its settings, and its tasks by id. ``with DAG(...)`` makes it the DAG new tasks join."""

    _open: list[DAG] = []

    def __init__(
        self,
        dag_id: str,
        *,
        schedule: str | timedelta | None = None,
        start_date: datetime | None = None,
        catchup: bool = True,
        max_active_runs: int = 16,
        default_args: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        description: str | None = None,
    ) -> None:
        unknown = set(default_args or {}) - DEFAULT_ARGS
        if unknown:
            raise TypeError(f"DAG {dag_id!r}: unknown default_args {sorted(unknown)}")
        self.dag_id = dag_id
        self.schedule = schedule
        self.start_date = start_date
        self.catchup = catchup
        self.max_active_runs = max_active_runs
        self.default_args = dict(default_args or {})
        self.tags = list(tags or [])
        self.description = description
        self.task_dict: dict[str, BaseOperator] = {}

    def __enter__(self) -> DAG:
        DAG._open.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        DAG._open.pop()

    def topological_sort(self) -> list[BaseOperator]:
        """Every task after all of its upstream tasks (a cycle is an error, as in Airflow)."""
        done: list[BaseOperator] = []
        pending = dict(self.task_dict)
        while pending:
            ready = [t for t in pending.values() if t.upstream_task_ids <= {d.task_id for d in done}]
            if not ready:
                raise ValueError(f"DAG {self.dag_id!r} has a cycle among {sorted(pending)}")
            for task in sorted(ready, key=lambda t: t.task_id):
                done.append(pending.pop(task.task_id))
        return done


class BaseOperator:
    """A task: it joins the open DAG; ``a >> b`` (or lists on either side) makes b run after a."""

    def __init__(self, *, task_id: str, trigger_rule: str = "all_success", retries: int | None = None) -> None:
        if not DAG._open:
            raise RuntimeError(f"task {task_id!r} created outside a DAG")
        if trigger_rule not in TRIGGER_RULES:
            raise ValueError(f"task {task_id!r}: trigger_rule {trigger_rule!r} is not one of {sorted(TRIGGER_RULES)}")
        self.dag = DAG._open[-1]
        if task_id in self.dag.task_dict:
            raise ValueError(f"DAG {self.dag.dag_id!r} has two tasks with id {task_id!r}")
        self.task_id = task_id
        self.trigger_rule = trigger_rule
        self.retries = self.dag.default_args.get("retries", 0) if retries is None else retries
        self.upstream_task_ids: set[str] = set()
        self.downstream_task_ids: set[str] = set()
        self.dag.task_dict[task_id] = self

    def _before(self, other: BaseOperator | list[BaseOperator]) -> None:
        for task in other if isinstance(other, list) else [other]:
            if not isinstance(task, BaseOperator):
                raise TypeError(f"{self.task_id} >> {task!r}: not a task")
            self.downstream_task_ids.add(task.task_id)
            task.upstream_task_ids.add(self.task_id)

    def __rshift__(self, other: Any) -> Any:
        self._before(other)
        return other

    def __rrshift__(self, other: Any) -> BaseOperator:  # [a, b] >> self
        for task in other if isinstance(other, list) else [other]:
            task._before(self)
        return self
