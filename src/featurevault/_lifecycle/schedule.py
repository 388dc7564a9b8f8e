"""Scheduled materialization: views that declare ``schedule=`` ("@hourly" or a cron expression).

``run_due`` looks at every scheduled view. A view is *due* when its most recent scheduled
time (at or before now) is later than the start of its last recorded run, or it never ran.
For each due view the scheduler takes the registry's lock for that view without waiting
(an ``flock`` file beside a SQLite registry, an advisory lock in PostgreSQL), reads the
recorded runs again (another scheduler may have just finished), and runs
``materialize_incremental`` up to now, retrying with exponential backoff. A view whose lock
is held elsewhere is skipped, so two schedulers never run the same view at once and each
due run happens once. Every run is recorded in the registry's operational state (start, end,
rows, outcome, attempts, error, and running totals: see
:mod:`~featurevault._lifecycle.schedule_record`) for ``schedule status``, the freshness
monitor, the dashboard and the Prometheus metrics.

``run_forever`` is the long-running scheduler: a pass every ``every`` seconds until stopped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from featurevault.errors import (
    FeatureVaultError,
    MissingDependencyError,
    PermissionDeniedError,
    ScheduleError,
    describe_error,
)
from featurevault._lifecycle.schedule_record import RUNS, RecordedRun, record_run

if TYPE_CHECKING:
    from featurevault._store import FeatureStore
    from croniter import croniter

logger = logging.getLogger(__name__)

NAMESPACE = RUNS
RETRIES = 3
BACKOFF_SECONDS = 1.0


@dataclass(frozen=True)
class ScheduleStatus:
    view: str
    schedule: str
    last_run: dict[str, Any] | None
    next_run: datetime
    due: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "schedule": self.schedule,
            "last_run": self.last_run,
            "next_run": self.next_run.isoformat(),
            "due": self.due,
        }


@dataclass(frozen=True)
class ViewRun:
    view: str
    outcome: str  # ok | failed | skipped_locked | skipped_not_due
    rows: int = 0
    attempts: int = 0
    error: str | None = None

    def line(self) -> str:
        extra = f", error: {self.error}" if self.error else ""
        return f"{self.view}: {self.outcome} ({self.rows} rows, {self.attempts} attempt(s){extra})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "outcome": self.outcome,
            "rows": self.rows,
            "attempts": self.attempts,
            "error": self.error,
        }


@dataclass
class ScheduleRunResult:
    runs: list[ViewRun] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(r.outcome == "failed" for r in self.runs)

    def to_dict(self) -> dict[str, Any]:
        return {"runs": [r.to_dict() for r in self.runs], "failed": self.failed}


def cron(expression: str, view: str) -> type[croniter[float]]:
    """A croniter over ``expression`` (ScheduleError naming the view when it is invalid)."""
    try:
        from croniter import croniter
    except ImportError:
        raise MissingDependencyError("schedules need croniter: pip install 'featurevault[schedule]'") from None
    if not croniter.is_valid(expression):
        raise ScheduleError(f"feature view {view!r}: schedule {expression!r} is not a valid cron expression")
    return croniter


def last_due(expression: str, view: str, now: datetime) -> datetime:
    """The most recent scheduled time at or before ``now``."""
    croniter = cron(expression, view)
    if croniter.match(expression, now):
        return now
    return croniter(expression, now).get_prev(datetime)


def next_after(expression: str, view: str, now: datetime) -> datetime:
    return cron(expression, view)(expression, now).get_next(datetime)


def schedule_interval(expression: str, view: str, now: datetime) -> float:
    """Seconds between the two scheduled times before ``now`` (the cadence a view is expected to keep)."""
    croniter = cron(expression, view)
    it = croniter(expression, now)
    later = it.get_prev(datetime)
    return (later - it.get_prev(datetime)).total_seconds()


def is_due(expression: str, view: str, last_run: dict[str, Any] | None, now: datetime) -> bool:
    if not last_run:
        return True
    scheduled_for = last_run.get("scheduled_for") or last_run["started_at"]  # older records kept only "started_at"
    return datetime.fromisoformat(scheduled_for) < last_due(expression, view, now)


def scheduled_views(store: FeatureStore, names: list[str] | None = None) -> dict[str, str]:
    """view name -> schedule, for the views that declare one (``names`` narrows, each must be scheduled)."""
    views = {v.name: v.schedule for v in store.registry.contents().feature_views.values() if v.schedule}
    if names:
        unknown = [n for n in names if n not in views]
        if unknown:
            raise ScheduleError(f"feature view {unknown[0]!r} declares no schedule (scheduled: {sorted(views)})")
        views = {n: views[n] for n in names}
    return views


def status(store: FeatureStore, now: datetime | None = None) -> list[ScheduleStatus]:
    now = now or datetime.now(timezone.utc)
    runs = store.registry.registry.get_state(store.project, NAMESPACE)
    result = []
    for view, expression in sorted(scheduled_views(store).items()):
        last = runs.get(view)
        due = is_due(expression, view, last, now)
        result.append(ScheduleStatus(view, expression, last, now if due else next_after(expression, view, now), due))
    return result


def run_due(
    store: FeatureStore,
    *,
    now: datetime | None = None,
    views: list[str] | None = None,
    retries: int = RETRIES,
    backoff_seconds: float = BACKOFF_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> ScheduleRunResult:
    """Run every due scheduled view once (see the module docstring)."""
    now = now or datetime.now(timezone.utc)
    registry = store.registry.registry
    result = ScheduleRunResult()
    for view, expression in sorted(scheduled_views(store, views).items()):
        if not is_due(expression, view, registry.get_state(store.project, NAMESPACE).get(view), now):
            continue
        release = registry.try_lock(store.project, f"schedule:{view}")
        if release is None:
            logger.info("schedule: %s is being run by another scheduler; skipped", view)
            result.runs.append(ViewRun(view, "skipped_locked"))
            continue
        try:
            if not is_due(expression, view, registry.get_state(store.project, NAMESPACE).get(view), now):
                continue  # another scheduler ran it between our check and our lock
            result.runs.append(_run_view(store, view, now, retries, backoff_seconds, sleep))
        finally:
            release()
    return result


def _run_view(
    store: FeatureStore, view: str, now: datetime, retries: int, backoff: float, sleep: Callable[[float], None]
) -> ViewRun:
    started = datetime.now(timezone.utc)
    error: str | None = None
    rows, attempt = 0, 0
    for attempt in range(1, retries + 1):
        try:
            outcome = store.materialize_incremental(now, [view])
            rows = outcome.rows
            error = None
            break
        except PermissionDeniedError:
            raise  # not a failure to retry: the caller may not materialize this view
        except FeatureVaultError as exc:
            error = describe_error(exc)
            logger.warning("schedule: %s attempt %d/%d failed: %s", view, attempt, retries, error)
            if attempt < retries:
                sleep(backoff * 2 ** (attempt - 1))
    run = ViewRun(view, "failed" if error else "ok", rows, attempt, error)
    ended = datetime.now(timezone.utc)
    record_run(
        store.registry.registry,
        store.project,
        RecordedRun(view, now, started, ended, rows, run.outcome, attempt, error),
    )
    return run


def run_forever(
    store: FeatureStore,
    *,
    every: float,
    stop: threading.Event,
    on_pass: Callable[[ScheduleRunResult], None] = lambda result: None,
    views: list[str] | None = None,
) -> int:
    """Run the due views every ``every`` seconds until ``stop`` is set; the number of passes made.

    A pass that fails as a whole (the registry unreachable) is logged and the next pass tries
    again; a refused permission ends the loop (retrying cannot mend it).
    """
    passes = 0
    while not stop.is_set():
        try:
            result = store.run_schedules(views=views)
        except PermissionDeniedError:
            raise
        except FeatureVaultError as exc:
            logger.error("schedule: pass failed: %s", exc)
        else:
            on_pass(result)
        passes += 1
        stop.wait(every)
    return passes
