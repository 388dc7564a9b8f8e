"""What a scheduled run leaves behind: its record, the freshness monitor's view of it, its Prometheus metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from featurevault import FeatureStore
from featurevault._cli.main import app
from featurevault._lifecycle import schedule
from featurevault._lifecycle.schedule_metrics import ScheduleCollector
from featurevault._lifecycle.schedule_record import last_runs
from featurevault._ops.repo import load_repo
from tests.unit.lifecycle.fraud_repo import NOW, write_repo
from tests.unit.lifecycle.test_schedule import SCHEDULED

runner = CliRunner()


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


def _samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text.decode())
        for s in family.samples
    }


def _fail_risk_runs(store: FeatureStore, repo: Path, now: object) -> None:
    (repo / "data" / "risk.parquet").rename(repo / "data" / "risk.moved")
    try:
        schedule.run_due(store, now=now, views=["user_risk_daily"], retries=2, backoff_seconds=0, sleep=lambda s: None)
    finally:
        (repo / "data" / "risk.moved").rename(repo / "data" / "risk.parquet")


def test_each_run_is_recorded_with_start_end_rows_and_outcome(store: FeatureStore, repo: Path) -> None:
    store.run_schedules(now=NOW)
    _fail_risk_runs(store, repo, NOW + timedelta(days=1))
    ok, failed = store.schedule_runs("user_risk_daily")[::-1]
    assert (ok.outcome, ok.rows, ok.attempts, ok.scheduled_for) == ("ok", 10_000, 1, NOW)
    assert (failed.outcome, failed.rows, failed.attempts) == ("failed", 0, 2) and "risk.parquet" in (failed.error or "")
    for run in (ok, failed):
        assert (
            run.started_at <= run.ended_at and run.duration_seconds == (run.ended_at - run.started_at).total_seconds()
        )
    assert ok.ended_at <= failed.started_at
    assert [r.view for r in store.schedule_runs(limit=10)] == [
        "user_risk_daily",
        "user_txn_stats_daily",
        "user_risk_daily",
    ]
    last = last_runs(store.registry.registry, "fraud")["user_risk_daily"]
    assert last["outcome"] == "failed" and last["last_success_at"] == ok.ended_at.isoformat()
    assert last["totals"]["runs"] == {"ok": 1, "failed": 1} and last["totals"]["rows"] == 10_000
    assert last["totals"]["duration"]["count"] == 2 and sum(last["totals"]["duration"]["buckets"]) == 2


def test_the_freshness_monitor_shows_the_last_run_and_expects_the_schedules_interval(store: FeatureStore) -> None:
    before = {f.view: f for f in store.view_freshness()}
    assert before["user_txn_stats_daily"].last_scheduled_run is None
    assert before["user_txn_stats_daily"].expected_interval_seconds == 3600  # @hourly, no freshness= declared
    assert before["user_risk_daily"].expected_interval_seconds == 86_400  # 0 3 * * *
    store.run_schedules(now=NOW)
    after = {f.view: f.to_dict() for f in store.view_freshness()}
    run = after["user_txn_stats_daily"]["last_scheduled_run"]
    assert run["outcome"] == "ok" and run["rows"] == 10_000 and run["scheduled_for"] == NOW.isoformat()
    assert run["last_success_at"] == run["ended_at"]


def test_metrics_are_derived_from_the_recorded_totals(store: FeatureStore, repo: Path) -> None:
    store.run_schedules(now=NOW)
    _fail_risk_runs(store, repo, NOW + timedelta(days=1))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ScheduleCollector(lambda: last_runs(store.registry.registry, "fraud")))  # type: ignore[arg-type]
    samples = _samples(generate_latest(registry))
    risk = (("feature_view", "user_risk_daily"),)
    assert samples[("featurevault_schedule_runs_total", (*risk, ("outcome", "ok")))] == 1
    assert samples[("featurevault_schedule_runs_total", (*risk, ("outcome", "failed")))] == 1
    assert samples[("featurevault_schedule_rows_total", risk)] == 10_000
    assert samples[("featurevault_schedule_run_duration_seconds_count", risk)] == 2
    assert samples[("featurevault_schedule_run_duration_seconds_bucket", (*risk, ("le", "+Inf")))] == 2
    entry = last_runs(store.registry.registry, "fraud")["user_risk_daily"]
    from datetime import datetime

    success = datetime.fromisoformat(entry["last_success_at"]).timestamp()
    assert samples[("featurevault_schedule_last_success_timestamp_seconds", risk)] == success
    assert samples[("featurevault_schedule_last_run_timestamp_seconds", risk)] > success


def test_a_collector_whose_source_fails_answers_with_no_samples() -> None:
    def broken() -> dict[str, object]:
        raise RuntimeError("registry down")

    registry = CollectorRegistry(auto_describe=False)
    registry.register(ScheduleCollector(broken))  # type: ignore[arg-type]
    assert not [k for k in _samples(generate_latest(registry)) if k[0].startswith("featurevault_schedule")]


def test_cli_schedule_runs_and_the_metrics_port_needs_every(repo: Path) -> None:
    base = ["--chdir", str(repo)]
    assert runner.invoke(app, [*base, "schedule", "run"]).exit_code == 0
    result = runner.invoke(app, [*base, "schedule", "runs", "user_risk_daily", "--format", "json"])
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.output)
    assert run["view"] == "user_risk_daily" and run["outcome"] == "ok" and run["rows"] == 10_000
    result = runner.invoke(app, [*base, "schedule", "runs", "no_such_view"])
    assert result.exit_code == 1 and "declares no schedule" in str(result.exception)
    result = runner.invoke(app, [*base, "schedule", "run", "--metrics-port", "9999"])
    assert result.exit_code == 2 and "--metrics-port needs --every" in result.output


def test_the_long_running_loop_survives_a_failed_pass_and_stops_when_told() -> None:
    import threading

    from featurevault.errors import PermissionDeniedError, RegistryUnavailableError

    stop = threading.Event()
    passes: list[object] = []

    class Store:
        calls = 0

        def run_schedules(self, views: list[str] | None = None) -> schedule.ScheduleRunResult:
            Store.calls += 1
            if Store.calls == 1:
                raise RegistryUnavailableError("registry down")
            return schedule.ScheduleRunResult()

    def on_pass(result: schedule.ScheduleRunResult) -> None:
        passes.append(result)
        if len(passes) == 2:
            stop.set()

    assert schedule.run_forever(Store(), every=0, stop=stop, on_pass=on_pass) == 3  # type: ignore[arg-type]
    assert len(passes) == 2  # the failed first pass reached no one, the loop went on

    class Refused:
        def run_schedules(self, views: list[str] | None = None) -> schedule.ScheduleRunResult:
            raise PermissionDeniedError("may not materialize")

    with pytest.raises(PermissionDeniedError):
        schedule.run_forever(Refused(), every=0, stop=threading.Event())  # type: ignore[arg-type]


def test_a_run_recorded_before_scheduled_for_was_kept_still_decides_what_is_due() -> None:
    old = {"started_at": NOW.isoformat(), "outcome": "ok"}
    assert not schedule.is_due("@hourly", "v", old, NOW + timedelta(minutes=30))
    assert schedule.is_due("@hourly", "v", old, NOW + timedelta(hours=1))
