"""What the scheduler records of each run, and the public readers of that record.

Per scheduled view, in the registry's operational state:

- ``schedule_runs[view]``: the last run (the scheduled time it ran for, wall-clock start and
  end, duration, rows, outcome, attempts, error), when the view last ran successfully, and
  running totals: runs by outcome, rows, and a histogram of run durations. Any process that
  reads this entry (the server's ``/metrics``, a long-running scheduler) derives the same
  Prometheus metrics from it, whichever host did the runs.
- ``schedule_log[view]``: the last :data:`LOG_LENGTH` runs, newest first, for
  ``featurevault schedule runs``, ``GET /schedule/runs`` and the dashboard.

Only the scheduler holding a view's lock writes that view's entries, so the read-modify-write
of the totals never races another scheduler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

RUNS = "schedule_runs"
LOG = "schedule_log"
LOG_LENGTH = 100
#: upper bounds (seconds) of the run-duration histogram; a last bucket (+Inf) holds the rest
DURATION_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
OUTCOMES = ("ok", "failed")


@dataclass(frozen=True)
class RecordedRun:
    """One scheduled run of one view, as recorded."""

    view: str
    #: the scheduled time the run was due at (the ``now`` it materialized up to)
    scheduled_for: datetime
    started_at: datetime
    ended_at: datetime
    rows: int
    outcome: str  # ok | failed
    attempts: int
    error: str | None = None

    @property
    def duration_seconds(self) -> float:
        return max((self.ended_at - self.started_at).total_seconds(), 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "scheduled_for": self.scheduled_for.isoformat(),
            "started_at": self.started_at.isoformat(),
            "ended_at": self.ended_at.isoformat(),
            "duration_seconds": round(self.duration_seconds, 6),
            "rows": self.rows,
            "outcome": self.outcome,
            "attempts": self.attempts,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RecordedRun:
        return cls(
            view=data["view"],
            scheduled_for=datetime.fromisoformat(data["scheduled_for"]),
            started_at=datetime.fromisoformat(data["started_at"]),
            ended_at=datetime.fromisoformat(data["ended_at"]),
            rows=int(data.get("rows", 0)),
            outcome=data["outcome"],
            attempts=int(data.get("attempts", 0)),
            error=data.get("error"),
        )


def record_run(registry: Any, project: str, run: RecordedRun) -> dict[str, Any]:
    """Store ``run`` as its view's last run, add it to the totals and the log; the new last-run entry."""
    previous = registry.get_state(project, RUNS).get(run.view) or {}
    last_success = run.ended_at.isoformat() if run.outcome == "ok" else previous.get("last_success_at")
    entry = {**run.to_dict(), "last_success_at": last_success, "totals": _add(previous.get("totals"), run)}
    registry.set_state(project, RUNS, run.view, entry)
    log = registry.get_state(project, LOG).get(run.view) or []
    registry.set_state(project, LOG, run.view, [run.to_dict(), *log][:LOG_LENGTH])
    return entry


def _add(totals: Mapping[str, Any] | None, run: RecordedRun) -> dict[str, Any]:
    totals = dict(totals or {})
    runs = {**dict.fromkeys(OUTCOMES, 0), **totals.get("runs", {})}
    runs[run.outcome] = runs.get(run.outcome, 0) + 1
    duration = totals.get("duration") or {"buckets": [0] * (len(DURATION_BUCKETS) + 1), "sum": 0.0, "count": 0}
    buckets = list(duration["buckets"])
    buckets[_bucket(run.duration_seconds)] += 1
    return {
        "runs": runs,
        "rows": int(totals.get("rows", 0)) + run.rows,
        "duration": {"buckets": buckets, "sum": duration["sum"] + run.duration_seconds, "count": duration["count"] + 1},
    }


def _bucket(seconds: float) -> int:
    return next((i for i, bound in enumerate(DURATION_BUCKETS) if seconds <= bound), len(DURATION_BUCKETS))


def last_runs(registry: Any, project: str) -> dict[str, dict[str, Any]]:
    """view -> its last-run entry (with ``last_success_at`` and ``totals``), for every view that ran."""
    return dict(registry.get_state(project, RUNS))


def recorded_runs(registry: Any, project: str, view: str | None = None, limit: int | None = None) -> list[RecordedRun]:
    """Recorded runs, newest first (of one view, or of all), at most ``limit``."""
    logs = registry.get_state(project, LOG)
    entries = (logs.get(view) or []) if view else [e for runs in logs.values() for e in runs]
    runs = sorted((RecordedRun.from_dict(e) for e in entries), key=lambda r: r.started_at, reverse=True)
    return runs[:limit] if limit is not None else runs
