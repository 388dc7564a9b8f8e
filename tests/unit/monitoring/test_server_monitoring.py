"""The server's monitoring routes and gauges, and the ``serve --monitor`` loop."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.unit.server.testclient import TestClient

from featurevault import Alert
from featurevault._server import create_app
from featurevault._server.app import ServerSettings
from tests.unit.monitoring.repo import definitions, frame, make_store, write


def _repo(tmp_path: Path) -> datetime:
    now = datetime.now(UTC).replace(microsecond=0)
    write(tmp_path / "data" / "users.parquet", frame(now - timedelta(hours=6), 6, seed=3))
    return now


def test_routes_and_gauges_show_recorded_metrics(tmp_path: Path) -> None:
    now = _repo(tmp_path)
    old = Alert(
        name="old", feature_view="user_stats", condition="freshness > 10h", runbook="runbooks/stale_features.md"
    )
    with make_store(tmp_path) as store:
        store.apply(definitions([old]))
        store.monitor_baseline("user_stats", now - timedelta(hours=6), now - timedelta(hours=3))
        store.monitor_run(now - timedelta(hours=3), now)
        with TestClient(create_app(store, access_log_stream=io.StringIO())) as client:
            alerts = client.get("/monitoring/alerts").json()["alerts"]
            fresh = client.get("/monitoring/freshness").json()["feature_views"]
            psi = client.get("/monitoring/metrics", params={"feature_view": "user_stats", "metric": "psi"}).json()
            exposition = client.get("/metrics").text
    assert [(a["alert"], a["state"], a["runbook"]) for a in alerts] == [
        ("old", "inactive", "runbooks/stale_features.md")
    ]
    assert fresh[0]["view"] == "user_stats" and fresh[0]["freshness_seconds"] < 3600 and not fresh[0]["stale"]
    assert sorted(p["feature"] for p in psi["points"]) == ["amount", "plan"]
    assert (
        'featurevault_monitor_value{feature="amount",metric="psi",project="monitored",view="user_stats"}' in exposition
    )


def test_serve_monitor_loop_evaluates_alerts(tmp_path: Path) -> None:
    _repo(tmp_path)
    fresh_enough = Alert(
        name="recent", feature_view="user_stats", condition="freshness < 10h", runbook="runbooks/stale_features.md"
    )
    with make_store(tmp_path) as store:
        store.apply(definitions([fresh_enough]))
        settings = ServerSettings(monitor_interval_seconds=0.2)
        with TestClient(create_app(store, settings, access_log_stream=io.StringIO())):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and store.list_alerts("firing") == []:
                time.sleep(0.1)
        assert [a["alert"] for a in store.list_alerts("firing")] == ["recent"]
