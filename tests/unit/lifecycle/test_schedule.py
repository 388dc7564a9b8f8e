"""Scheduled materialization: due computation, runs recorded, retries, and two schedulers running each job once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from featurevault import FeatureStore
from featurevault.errors import DefinitionError, ScheduleError
from featurevault._lifecycle import schedule
from featurevault._ops.repo import load_repo
from tests.unit.lifecycle.fraud_repo import DEFINITIONS, NOW, write_repo

SCHEDULED = DEFINITIONS.replace(
    '    tags={"team": "risk"},\n)\n\nuser_risk_daily',
    '    tags={"team": "risk"},\n    schedule="@hourly",\n)\n\nuser_risk_daily',
)
SCHEDULED = SCHEDULED.replace(
    'owner="risk@example.com",\n    tags={"team": "risk"},\n)\n\nfraud',
    'owner="risk@example.com",\n    tags={"team": "risk"},\n    schedule="0 3 * * *",\n)\n\nfraud',
)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FEATUREVAULT_ENV", raising=False)
    repo = write_repo(tmp_path / "repo", SCHEDULED)
    with FeatureStore(repo) as store:
        store.apply(load_repo(repo))
    return repo


@pytest.fixture
def store(repo: Path) -> Iterator[FeatureStore]:
    with FeatureStore(repo) as fs:
        yield fs


def test_views_declare_schedules_and_never_run_views_are_due(store: FeatureStore) -> None:
    rows = {s.view: s for s in store.schedule_status(now=NOW)}
    assert {v: s.schedule for v, s in rows.items()} == {
        "user_txn_stats_daily": "@hourly",
        "user_risk_daily": "0 3 * * *",
    }
    assert all(s.due and s.last_run is None for s in rows.values())


def test_a_run_materializes_records_and_is_not_due_again_until_the_next_time(store: FeatureStore) -> None:
    result = store.run_schedules(now=NOW)
    assert {(r.view, r.outcome) for r in result.runs} == {("user_txn_stats_daily", "ok"), ("user_risk_daily", "ok")}
    assert {r.rows for r in result.runs} == {10_000}
    response = store.get_online_features(["user_risk_daily:user_device_risk_score"], {"user_id": [50]})
    assert response.to_dict()["user_device_risk_score"] == [0.5]
    assert store.run_schedules(now=NOW + timedelta(minutes=30)).runs == []
    later = store.run_schedules(now=NOW + timedelta(hours=1))
    assert [r.view for r in later.runs] == ["user_txn_stats_daily"]  # hourly is due again, daily at 03:00 is not
    status = {s.view: s for s in store.schedule_status(now=NOW + timedelta(hours=1))}
    last = status["user_txn_stats_daily"].last_run
    assert last is not None and last["outcome"] == "ok" and last["rows"] == 0 and last["attempts"] == 1
    assert status["user_txn_stats_daily"].next_run == NOW + timedelta(hours=2)


def test_failures_are_retried_with_backoff_and_recorded(store: FeatureStore, repo: Path) -> None:
    (repo / "data" / "risk.parquet").rename(repo / "data" / "risk.moved")
    pauses: list[float] = []
    result = schedule.run_due(
        store, now=NOW, views=["user_risk_daily"], retries=3, backoff_seconds=0.5, sleep=pauses.append
    )
    (run,) = result.runs
    assert run.outcome == "failed" and run.attempts == 3 and "risk.parquet" in (run.error or "")
    assert pauses == [0.5, 1.0]
    assert store.schedule_status(now=NOW)[0].last_run["outcome"] == "failed"


def test_two_schedulers_at_once_run_each_due_job_once(repo: Path) -> None:
    results: list[schedule.ScheduleRunResult] = []
    barrier = threading.Barrier(2)

    def scheduler() -> None:
        with FeatureStore(repo) as own:
            barrier.wait()
            results.append(own.run_schedules(now=NOW))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ran = sorted(r.view for result in results for r in result.runs if r.outcome == "ok")
    assert ran == ["user_risk_daily", "user_txn_stats_daily"]


def test_a_held_lock_skips_the_view(store: FeatureStore) -> None:
    release = store.registry.registry.try_lock("fraud", "schedule:user_risk_daily")
    assert release is not None
    try:
        assert store.registry.registry.try_lock("fraud", "schedule:user_risk_daily") is None
        result = store.run_schedules(now=NOW, views=["user_risk_daily"])
        assert [(r.view, r.outcome) for r in result.runs] == [("user_risk_daily", "skipped_locked")]
    finally:
        release()
    assert [r.outcome for r in store.run_schedules(now=NOW, views=["user_risk_daily"]).runs] == ["ok"]


def test_bad_schedules_are_refused() -> None:
    from featurevault import FeatureView, FileSource

    source = FileSource(name="s", path="x.parquet", timestamp_field="t")
    with pytest.raises(DefinitionError, match="schedule 'hourly' must be a cron expression"):
        FeatureView(name="v", source=source, schedule="hourly")
    with pytest.raises(ScheduleError, match="'v'.*'61 \\* \\* \\* \\*' is not a valid"):
        schedule.next_after("61 * * * *", "v", NOW)
