"""The dashboard on the demo repo: ``init``, ``apply``, ``materialize``, ``monitor run``, then ``featurevault ui``.

Every page and every JSON endpoint answers 200 with the demo's own data; then a baseline, a profile,
a backup and a second monitor run fill the drift, distribution and backup sections too.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.integration.server.harness import RunningServer, cli_command, free_port, wait_until_up

pytestmark = pytest.mark.integration

VIEW = "driver_stats_hourly"
PAGES = [
    "/ui/",
    "/ui/list/entities",
    "/ui/list/feature-views",
    "/ui/list/on-demand-feature-views",
    "/ui/list/feature-services",
    "/ui/list/data-sources",
    f"/ui/list/feature-views/{VIEW}",
    "/ui/list/feature-services/driver_ranking_v2",
    "/ui/lineage",
    "/ui/history",
    "/ui/freshness",
    "/ui/alerts",
    "/ui/quality",
    f"/ui/quality/{VIEW}",
    f"/ui/quality/{VIEW}/quarantine",
    "/ui/audit",
    "/ui/lint",
    "/ui/readiness",
    "/ui/backups",
]


def _cli(repo: Path, *args: str) -> str:
    done = subprocess.run(cli_command(repo, *args), capture_output=True, text=True, timeout=300, env=os.environ.copy())
    assert done.returncode == 0, f"featurevault {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    root = tmp_path_factory.mktemp("ui-demo")
    done = subprocess.run(cli_command(root, "init", "demo"), cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    repo = root / "demo"
    _cli(repo, "apply")
    _cli(repo, "materialize-incremental", datetime.now(UTC).isoformat(timespec="seconds"))
    _cli(repo, "monitor", "run", "--once")
    port = free_port()
    log_path = root / "ui.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(cli_command(repo, "ui", "--port", str(port)), stdout=log, stderr=subprocess.STDOUT)
    running = RunningServer(f"http://127.0.0.1:{port}", process, log_path)  # type: ignore[arg-type]
    try:
        wait_until_up(running)
        yield repo, running.url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _json(url: str, path: str) -> Any:
    response = httpx.get(url + path, timeout=30)
    assert response.status_code == 200, (path, response.text)
    return response.json()


def test_every_page_shows_the_demo(demo: tuple[Path, str]) -> None:
    _, url = demo
    for path in PAGES:
        response = httpx.get(url + path, timeout=30)
        assert response.status_code == 200, (path, response.text[:500])
        assert "<h1>" in response.text and "<script>" not in response.text, path


def test_every_json_endpoint_holds_the_demo_data(demo: tuple[Path, str]) -> None:
    _, url = demo
    readiness = _json(url, "/ui/api/readiness")
    assert readiness["items"] and 0 < readiness["score"] < 100
    overview = _json(url, "/ui/api/overview")
    assert overview["counts"]["feature-views"] == 2 and overview["health"]["online_store"] == "ok"
    assert overview["readiness"]["score"] == readiness["score"]
    assert {o["name"] for o in _json(url, "/ui/api/objects/feature-views")["objects"]} == {
        VIEW,
        "driver_stats_realtime",
    }
    assert _json(url, f"/ui/api/objects/feature-views/{VIEW}")["services"] == ["driver_ranking_v1", "driver_ranking_v2"]
    assert _json(url, "/ui/api/lineage")["columns"]["feature_service"]
    assert _json(url, "/ui/api/history")["versions"]
    board = _json(url, "/ui/api/freshness")["views"]
    hourly = next(r for r in board if r["view"] == VIEW)
    assert hourly["expected_interval_seconds"] == 3600 and hourly["measured_at"] and hourly["last_materialized"]
    assert hourly["stale"] is False
    alerts = _json(url, "/ui/api/alerts")["alerts"]
    assert {a["alert"] for a in alerts} >= {"driver_stats_hourly_stale", "driver_conv_rate_drift"}
    assert all(a["runbook_html"].startswith("<h1>") for a in alerts)
    by_name = {a["alert"]: a for a in alerts}
    assert by_name["driver_stats_hourly_stale"]["state"] == "inactive"  # fresh data
    assert by_name["driver_conv_rate_drift"]["state"] == "inactive"  # no baseline to drift from yet
    quality = {v["view"]: v for v in _json(url, "/ui/api/quality")["views"]}
    assert quality[VIEW]["quarantined"] == 1 and quality[VIEW]["rules"] == 2  # the demo's one bad row
    detail = _json(url, f"/ui/api/quality/{VIEW}")
    assert list(detail["rule_failures"]) == ["between_driver_conv_rate"]
    rows = _json(url, f"/ui/api/quality/{VIEW}/quarantine")["rows"]
    assert rows[0]["values"]["driver_conv_rate"] == 1.5 and rows[0]["values"]["driver_id"] == 1005
    spark = _json(url, f"/ui/api/sparklines/{VIEW}")
    assert spark["freshness"] and spark["quarantined"]
    trail = _json(url, "/ui/api/audit?action=MATERIALIZE")
    assert trail["total"] >= 1 and trail["verify"]["ok"] is True
    assert _json(url, "/ui/api/lint")["objects_checked"] > 5
    assert _json(url, "/ui/api/backups")["target"].endswith("backups")


def test_baseline_profile_and_backup_fill_the_rest(demo: tuple[Path, str]) -> None:
    repo, url = demo
    now = datetime.now(UTC).isoformat(timespec="seconds")
    _cli(repo, "monitor", "baseline", VIEW, "--start", "2000-01-01T00:00:00", "--end", now)
    _cli(repo, "profile", VIEW)
    _cli(repo, "backup", "create")
    _cli(repo, "monitor", "run", "--once", "--start", "2000-01-01T00:00:00")
    detail = _json(url, f"/ui/api/quality/{VIEW}")
    assert set(detail["histograms"]) == {"driver_conv_rate", "driver_acc_rate", "driver_trips_avg_7d"}
    assert all(h["baseline"] and h["current"] for h in detail["histograms"].values())
    assert detail["drift"]["psi"]["driver_conv_rate"] and detail["drift"]["ks"]["driver_trips_avg_7d"]
    assert len(_json(url, "/ui/api/backups")["backups"]) == 1
    assert len(_json(url, f"/ui/api/sparklines/{VIEW}")["freshness"]) == 2
