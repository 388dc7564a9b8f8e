"""Freshness of a view: age of its newest offline event, of its last materialization, and of the newest
event time seen in a sample of its online records.

Online records carry their event time (``[layout, event µs, values...]``, see ops/codec.py);
:func:`online_newest_event` reads the first ``ONLINE_SAMPLE`` records of the view's online
table (key order for SQLite, hash order for Redis, storage order for PostgreSQL), so it
is cheap on any table size and tells whether what is served is recent.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from featurevault._model import FeatureView

#: the seed's default stale rule: not updated for more than this many expected intervals
STALE_FACTOR = 2.0
#: online records read per view to find the newest event time served
ONLINE_SAMPLE = 100


@dataclass
class OnlineSample:
    """The newest event time among ``sampled`` online records of a view (None: no record, or not readable)."""

    newest_event: datetime | None = None
    sampled: int = 0


@dataclass
class ViewFreshness:
    view: str
    newest_event: datetime | None
    last_materialized: datetime | None
    expected_interval_seconds: float | None
    freshness_seconds: float | None
    materialization_age_seconds: float | None
    #: the view's last scheduled run as recorded by the scheduler (None: not scheduled, or never ran)
    last_scheduled_run: dict[str, Any] | None = None
    online_newest_event: datetime | None = None
    #: now minus ``online_newest_event`` (the ``online_freshness`` metric)
    online_freshness_seconds: float | None = None
    online_sampled: int = 0

    @property
    def stale(self) -> bool:
        """Older than twice the expected interval (False when the view declares none)."""
        limit = self.expected_interval_seconds
        ages = [a for a in (self.freshness_seconds, self.materialization_age_seconds) if a is not None]
        return bool(limit) and any(age > STALE_FACTOR * limit for age in ages)  # type: ignore[operator]

    def to_dict(self) -> dict[str, Any]:
        return {
            "view": self.view,
            "newest_event": _iso(self.newest_event),
            "last_materialized": _iso(self.last_materialized),
            "expected_interval_seconds": self.expected_interval_seconds,
            "freshness_seconds": self.freshness_seconds,
            "materialization_age_seconds": self.materialization_age_seconds,
            "online_newest_event": _iso(self.online_newest_event),
            "online_freshness_seconds": self.online_freshness_seconds,
            "online_sampled": self.online_sampled,
            "stale": self.stale,
            "last_scheduled_run": self.last_scheduled_run,
        }


def view_freshness(
    view: FeatureView,
    newest_event: datetime | None,
    watermark: dict[str, Any] | None,
    now: datetime,
    scheduled_run: dict[str, Any] | None = None,
    online: OnlineSample | None = None,
) -> ViewFreshness:
    """``watermark`` is the view's materialization state (its ``at`` is when the last run succeeded).

    ``scheduled_run`` is the scheduler's record of the view's last run; a view with a schedule
    and no declared freshness is expected to update at its schedule's interval. ``online`` is
    the newest event time of a sample of its online records.
    """
    materialized = datetime.fromisoformat(watermark["at"]) if watermark and watermark.get("at") else None
    online = online or OnlineSample()
    return ViewFreshness(
        view=view.name,
        newest_event=newest_event,
        last_materialized=materialized,
        expected_interval_seconds=view.expected_interval or _schedule_interval(view, now),
        freshness_seconds=_age(now, newest_event),
        materialization_age_seconds=_age(now, materialized),
        last_scheduled_run=_run_summary(scheduled_run),
        online_newest_event=online.newest_event,
        online_freshness_seconds=_age(now, online.newest_event),
        online_sampled=online.sampled,
    )


def online_newest_event(online_store: Any, table: str, sample: int = ONLINE_SAMPLE) -> OnlineSample:
    """The newest event time among the first ``sample`` records of ``table`` (stores that can scan)."""
    from featurevault._backends.online.base import Maintainable
    from featurevault._ops.codec import LAYOUT_PREFIX, unpack_record

    if not isinstance(online_store, Maintainable):
        return OnlineSample()
    batches = online_store.scan(table, batch_size=sample + 1)  # + 1: the layout record may come first
    try:
        keys, records = next(batches, ([], []))
    finally:
        if isinstance(batches, Generator):  # stop the store's scan (its cursor or transaction) early
            batches.close()
    stamps = [unpack_record(r)[1] for k, r in zip(keys, records, strict=True) if not k.startswith(LAYOUT_PREFIX)]
    stamps = stamps[:sample]
    if not stamps:
        return OnlineSample()
    return OnlineSample(datetime.fromtimestamp(max(stamps) / 1_000_000, UTC), len(stamps))


def _schedule_interval(view: FeatureView, now: datetime) -> float | None:
    schedule = getattr(view, "schedule", None)
    if not schedule:
        return None
    from featurevault.errors import FeatureVaultError
    from featurevault._lifecycle.schedule import schedule_interval

    try:
        return schedule_interval(schedule, view.name, now)
    except FeatureVaultError:  # croniter not installed, or an expression it refuses: no expected interval
        return None


RUN_KEYS = ("scheduled_for", "started_at", "ended_at", "rows", "outcome", "error", "last_success_at")


def _run_summary(run: dict[str, Any] | None) -> dict[str, Any] | None:
    return {k: run.get(k) for k in RUN_KEYS} if run else None


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else max((now - then).total_seconds(), 0.0)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
