"""Schedulers as processes: the lock on a SQLite file registry and on a PostgreSQL registry, each due
job run once by a concurrent pair, a long-running scheduler with its own /metrics, and the server's
/metrics over the recorded runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from featurevault import FeatureStore
from featurevault._ops.repo import load_repo
from featurevault._server import create_app
from tests.integration.server.harness import cli_command, free_port
from tests.unit.lifecycle.fraud_repo import CONFIG, NOW, write_repo
from tests.unit.lifecycle.test_schedule import SCHEDULED
from tests.unit.server.testclient import TestClient

pytestmark = pytest.mark.integration

POSTGRES = os.environ.get("FEATUREVAULT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
VIEWS = ["user_risk_daily", "user_txn_stats_daily"]


@pytest.fixture(params=["sqlite", "postgres"])
def repo(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("FEATUREVAULT_ENV", raising=False)
    schema = f"fvsched_{uuid.uuid4().hex[:10]}"
    config = CONFIG
    if request.param == "postgres":
        sql = '{registry_type: sql, path: "%s?schema=%s", cache_ttl_seconds: 0}' % (POSTGRES, schema)
        config = CONFIG.replace("registry: data/registry.db", f"registry: {sql}")
    repo = write_repo(tmp_path / "repo", SCHEDULED, config=config)
    with FeatureStore(repo) as store:
        assert store.registry.registry.type_name == ("sql" if request.param == "postgres" else "sqlite")
        store.apply(load_repo(repo))
    yield repo
    if request.param == "postgres":
        import psycopg

        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_a_concurrent_pair_of_schedulers_runs_each_due_job_once(repo: Path) -> None:
    results = []
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
    runs = [r for result in results for r in result.runs]
    assert sorted(r.view for r in runs if r.outcome == "ok") == VIEWS
    assert {r.outcome for r in runs} <= {"ok", "skipped_locked"}
    with FeatureStore(repo) as store:
        assert sorted(r.view for r in store.schedule_runs(limit=10)) == VIEWS  # one recorded run per view


def test_two_scheduler_processes_run_each_due_job_once(repo: Path) -> None:
    command = cli_command(repo, "schedule", "run", "--format", "json")
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    runs = [r for out, _ in outputs for r in json.loads(out)["runs"]]
    assert sorted(r["view"] for r in runs if r["outcome"] == "ok") == VIEWS
    with FeatureStore(repo) as store:
        assert sorted(r.view for r in store.schedule_runs(limit=10)) == VIEWS


def test_a_lock_held_by_another_process_keeps_the_scheduler_off_the_view(repo: Path) -> None:
    with FeatureStore(repo) as holder:
        release = holder.registry.registry.try_lock("fraud", "schedule:user_risk_daily")
        assert release is not None
        try:
            done = subprocess.run(
                cli_command(repo, "schedule", "run", "--format", "json"), capture_output=True, text=True, timeout=120
            )
        finally:
            release()
    assert done.returncode == 0, done.stderr
    outcomes = {r["view"]: r["outcome"] for r in json.loads(done.stdout)["runs"]}
    assert outcomes == {"user_risk_daily": "skipped_locked", "user_txn_stats_daily": "ok"}


def _scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(url, timeout=5).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _ok_runs(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], view: str) -> float:
    return samples.get(("featurevault_schedule_runs_total", (("feature_view", view), ("outcome", "ok"))), 0.0)


@pytest.mark.parametrize("repo", ["sqlite"], indirect=True)
def test_a_long_running_scheduler_serves_its_metrics_and_stops_on_sigterm(repo: Path) -> None:
    port = free_port()
    command = cli_command(repo, "schedule", "run", "--every", "0.5", "--metrics-port", str(port))
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline, samples = time.monotonic() + 60, {}
        while time.monotonic() < deadline and not all(_ok_runs(samples, v) for v in VIEWS):
            time.sleep(0.3)
            try:
                samples = _scrape(f"http://127.0.0.1:{port}/metrics")
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()
        assert all(_ok_runs(samples, v) == 1 for v in VIEWS), samples
        risk = (("feature_view", "user_risk_daily"),)
        assert samples[("featurevault_schedule_rows_total", risk)] == 10_000
        assert samples[("featurevault_schedule_run_duration_seconds_count", risk)] == 1
        assert samples[("featurevault_schedule_last_success_timestamp_seconds", risk)] > NOW.timestamp() - 3600
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "user_risk_daily: ok (10000 rows" in out and "Scheduler stopped." in out


@pytest.mark.parametrize("repo", ["sqlite"], indirect=True)
def test_the_servers_metrics_show_runs_recorded_by_another_process(repo: Path) -> None:
    with FeatureStore(repo, env=None) as served, TestClient(create_app(served)) as client:
        assert not _ok_runs(_scrape_client(client), "user_risk_daily")
        done = subprocess.run(cli_command(repo, "schedule", "run"), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        deadline = time.monotonic() + 30  # the server's registry cache refreshes in the background
        while not _ok_runs(_scrape_client(client), "user_risk_daily") and time.monotonic() < deadline:
            time.sleep(0.2)
        samples = _scrape_client(client)
    assert _ok_runs(samples, "user_risk_daily") == 1 and _ok_runs(samples, "user_txn_stats_daily") == 1
    assert samples[("featurevault_schedule_rows_total", (("feature_view", "user_txn_stats_daily"),))] == 10_000


def _scrape_client(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = client.get("/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
