"""Feature logging: sampled served vectors of a FeatureService written as Parquet, as served."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from featurevault import FeatureService, FileLoggingDestination, LoggingConfig
from featurevault.errors import DefinitionError, MonitoringError
from featurevault._model.feature_service import FeatureService as ServiceModel
from featurevault._monitoring.feature_log import FeatureLogger
from featurevault._server import create_app
from tests.unit.monitoring.repo import USERS, definitions, frame, make_store, recent, write
from tests.unit.server.testclient import TestClient


def _store(tmp_path: Path, rate: float | None, destination: str | None = "logs") -> tuple:
    write(tmp_path / "data" / "users.parquet", frame(recent() - timedelta(hours=2), 2, seed=5))
    objects = definitions()
    view = objects[2]
    config = None
    if rate is not None:
        where = FileLoggingDestination(path=str(tmp_path / destination)) if destination else None
        config = LoggingConfig(destination=where, sample_rate=rate)
    service = FeatureService(name="scoring", features=[view], logging_config=config)
    store = make_store(tmp_path)
    store.apply([*objects, service])
    store.materialize(recent() - timedelta(hours=3), recent() + timedelta(hours=1))
    return store, service


def _logged(root: Path) -> list[dict]:
    files = str(root / "scoring" / "*" / "*.parquet")
    return (
        duckdb.sql(f"SELECT * FROM read_parquet('{files}', hive_partitioning=true, union_by_name=true)")
        .df()
        .to_dict("records")
    )


def test_logged_rows_are_what_was_served(tmp_path: Path) -> None:
    store, service = _store(tmp_path, 1.0)
    with store:
        served = [
            store.get_online_features(service, [{"user_id": u}, {"user_id": USERS + u}]).to_dict() for u in range(5)
        ]
        store._feature_log.flush()
        rows = _logged(tmp_path / "logs")
        audit_ids = {r["__request_id"] for r in rows}
    assert len(rows) == 10
    by_key = {r["user_id"]: r for r in rows}
    for answer in served:
        for i, user in enumerate(answer["user_id"]):
            assert by_key[user]["user_stats__amount"] == pytest.approx(answer["amount"][i], nan_ok=True) or (
                answer["amount"][i] is None and by_key[user]["user_stats__amount"] != by_key[user]["user_stats__amount"]
            )
    assert {by_key[0]["user_stats__amount__status"], by_key[USERS]["user_stats__amount__status"]} == {
        "PRESENT",
        "NOT_FOUND",
    }
    assert by_key[0]["__service"] == "scoring" and by_key[0]["log_date"] is not None
    assert len(audit_ids) == 5
    audit = (tmp_path / "audit.jsonl").read_text()
    assert all(request_id in audit for request_id in audit_ids)


def test_sampled_at_the_configured_rate(tmp_path: Path) -> None:
    store, service = _store(tmp_path, 0.2)
    with store:
        for i in range(5000):
            store.get_online_features(service, [{"user_id": i % USERS}])
        store.close()
        rows = _logged(tmp_path / "logs")
    assert 900 <= len(rows) <= 1100
    assert store._feature_log.counts["scoring"].logged == len(rows)
    assert store._feature_log.counts["scoring"].dropped == 0


def test_nothing_logged_without_a_logging_config(tmp_path: Path) -> None:
    store, service = _store(tmp_path, None)
    with store:
        for i in range(20):
            store.get_online_features(service, [{"user_id": i}])
            store.get_online_features(["user_stats:amount"], [{"user_id": i}])
        store._feature_log.flush()
        assert store._feature_log.counts == {}
    assert not list(tmp_path.rglob("*.parquet"))[1:]  # only the source file
    assert [p.name for p in tmp_path.rglob("*.parquet")] == ["users.parquet"]


def test_default_destination_is_under_the_repo(tmp_path: Path) -> None:
    store, service = _store(tmp_path, 1.0, destination=None)
    with store:
        store.get_online_features(service, [{"user_id": 1}])
    assert len(_logged(tmp_path / "data" / "feature_logs")) == 1


def test_the_log_keeps_what_was_served_when_the_caller_changes_its_copy(tmp_path: Path) -> None:
    store, service = _store(tmp_path, 1.0)
    with store:
        response = store.get_online_features(service, [{"user_id": 3}])
        response.transform_column("amount", lambda values: [None for _ in values])  # the caller's copy only
        store._feature_log.flush()
        (row,) = _logged(tmp_path / "logs")
    assert row["user_stats__amount"] is not None


def test_server_reads_are_logged(tmp_path: Path) -> None:
    store, _ = _store(tmp_path, 1.0)
    with store:
        with TestClient(create_app(store, access_log_stream=io.StringIO())) as client:
            body = {"feature_service": "scoring", "entities": {"user_id": [1, 2, 3]}}
            assert client.post("/get-online-features", json=body).status_code == 200
            store._feature_log.flush()
            exposition = client.get("/metrics").text
            drift = client.get("/monitoring/served-drift/scoring").json()
        rows = _logged(tmp_path / "logs")
    assert sorted(r["user_id"] for r in rows) == [1, 2, 3]
    assert drift["rows"] == 3 and drift["without_baseline"] == ["user_stats__amount", "user_stats__plan"]
    assert 'featurevault_feature_log_rows_total{project="monitored",service="scoring"} 3.0' in exposition


def test_a_full_queue_drops_and_counts(tmp_path: Path) -> None:
    store, service = _store(tmp_path, 1.0)
    with store:
        logger = FeatureLogger(store._resolve, max_queue=3, flush_seconds=3600)
        response = store.get_online_features(["user_stats:amount"], [{"user_id": 1}, {"user_id": 2}])
        for _ in range(5):
            logger.record(service, response, "r")
        logger.close()
    assert (logger.counts["scoring"].logged, logger.counts["scoring"].dropped) == (6, 4)


def test_logging_config_round_trips_and_checks_its_input() -> None:
    config = LoggingConfig(destination=FileLoggingDestination(path="logs"), sample_rate=0.5)
    assert LoggingConfig.from_dict(config.to_dict()) == config
    with pytest.raises(DefinitionError, match="between 0 and 1"):
        LoggingConfig(sample_rate=1.5)
    with pytest.raises(DefinitionError, match="not a FileLoggingDestination"):
        LoggingConfig(destination="bigquery://x")
    view = definitions()[2]
    service = FeatureService(name="s", features=[view], logging_config=config)
    assert ServiceModel.from_dict(service.to_dict()).logging_config == config


def _served_drift_store(tmp_path: Path, served_mean: float) -> tuple:
    start = recent() - timedelta(hours=4)
    old, new = frame(start, 2, seed=11), frame(start + timedelta(hours=2), 2, seed=12, mean=served_mean)
    write(tmp_path / "data" / "users.parquet", pd.concat([old, new]))
    objects = definitions()
    config = LoggingConfig(destination=FileLoggingDestination(path="logs"), sample_rate=1.0)
    service = FeatureService(name="scoring", features=[objects[2]], logging_config=config)
    store = make_store(tmp_path)
    store.apply([*objects, service])
    store.materialize(start - timedelta(hours=1), recent() + timedelta(hours=1))
    store.monitor_baseline("user_stats", start, start + timedelta(hours=2))
    return store, service


@pytest.mark.parametrize(("mean", "drifted"), [(50.0, False), (65.0, True)])
def test_drift_is_computed_on_what_was_served(tmp_path: Path, mean: float, drifted: bool) -> None:
    store, service = _served_drift_store(tmp_path, mean)
    with store:
        for user in range(0, USERS, 2):
            store.get_online_features(service, [{"user_id": user}, {"user_id": user + 1}])
        store._feature_log.flush()
        report = store.monitor_served_drift("scoring")
    assert report.rows == USERS
    (amount,) = [d for d in report.drift["user_stats"] if d.feature == "amount"]
    assert (amount.psi > 0.2) is drifted
    assert (amount.ks_pvalue < 0.01) is drifted


def test_served_drift_needs_a_logging_config(tmp_path: Path) -> None:
    store, _ = _store(tmp_path, None)
    with store, pytest.raises(MonitoringError, match="no logging_config"):
        store.monitor_served_drift("scoring")


def test_a_failed_write_counts_its_rows_as_dropped_and_spares_the_others(tmp_path: Path) -> None:
    store, service = _store(tmp_path, 1.0)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the log directory should be")
    other = FeatureService(
        name="other",
        features=[definitions()[2]],
        logging_config=LoggingConfig(destination=FileLoggingDestination(path=str(blocked))),
    )
    with store:
        logger = FeatureLogger(store._resolve, flush_seconds=3600)
        response = store.get_online_features(["user_stats:amount"], [{"user_id": 1}, {"user_id": 2}])
        logger.record(other, response, "r1")
        logger.record(service, response, "r2")
        assert logger.flush() == 2
        logger.close()
    assert (logger.counts["other"].logged, logger.counts["other"].dropped) == (0, 2)
    assert (logger.counts["scoring"].logged, logger.counts["scoring"].dropped) == (2, 0)
    assert not list(tmp_path.rglob("*.partial"))
