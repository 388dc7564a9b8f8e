"""``monitor freshness``, ``monitor run`` and ``monitor served-drift`` from the shell."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from featurevault import FeatureService, FeatureStore, FileLoggingDestination, LoggingConfig
from featurevault._cli.main import app
from tests.support.repo_builder import RepoBuilder
from tests.unit.monitoring.repo import definitions, frame, recent

YAML = """project: monitored
registry: data/registry.db
online_store: {type: sqlite, path: data/online.db}
audit: {path: data/audit.jsonl}
"""


def _repo(tmp_path: Path, at: datetime) -> Path:
    """The repo, with one online row stamped ``at`` (the caller's one reading of :func:`recent`, so
    that an hour boundary passed while the test runs cannot make the setup and the assertions
    disagree)."""
    RepoBuilder(tmp_path).with_yaml(YAML).with_table(
        "data/users.parquet", frame(at - timedelta(hours=3), 2, seed=8)
    ).write()
    user, source, view = definitions()
    logged = FeatureService(
        name="logged",
        features=[view],
        logging_config=LoggingConfig(destination=FileLoggingDestination(path="data/logs"), sample_rate=1.0),
    )
    plain = FeatureService(name="plain", features=[view])
    with FeatureStore(repo_path=tmp_path) as store:
        store.apply([user, source, view, logged, plain])
        store.write_to_online_store(
            "user_stats",
            pd.DataFrame({"user_id": [1], "event_timestamp": [pd.Timestamp(at)], "amount": [3.0], "plan": ["pro"]}),
        )
        store.monitor_baseline("user_stats", at - timedelta(hours=3), at)
        store.get_online_features(store.get_feature_service("logged"), [{"user_id": 1}])
    return tmp_path


def _cli(repo: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["-c", str(repo), *args], env={"COLUMNS": "250", "NO_COLOR": "1"})
    return result.exit_code, result.output + (str(result.exception) if result.exception else "")


def test_monitor_freshness_shows_the_newest_online_event(tmp_path: Path) -> None:
    at = recent()
    repo = _repo(tmp_path, at)
    code, out = _cli(repo, "monitor", "freshness", "--format", "json")
    assert code == 0, out
    (view,) = json.loads(out)
    assert view["online_newest_event"] == at.isoformat() and view["online_sampled"] == 1
    code, out = _cli(repo, "monitor", "freshness")
    assert code == 0 and "newest online event" in out and at.isoformat(timespec="seconds") in out


def test_monitor_run_table_has_the_online_age(tmp_path: Path) -> None:
    code, out = _cli(_repo(tmp_path, recent()), "monitor", "run", "--once")
    assert code == 0, out
    assert "online freshness s" in out


def test_served_drift_from_the_shell(tmp_path: Path) -> None:
    repo = _repo(tmp_path, recent())
    code, out = _cli(repo, "monitor", "served-drift", "logged", "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    assert report["rows"] == 1 and [d["feature"] for d in report["drift"]["user_stats"]] == ["amount", "plan"]
    code, out = _cli(repo, "monitor", "served-drift", "plain")
    assert code == 1 and "'plain' has no logging_config" in out
