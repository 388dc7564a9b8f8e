"""Metrics measured from real state: the newest online event (sampled), serving p99, rule failure rates."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from featurevault import Alert, FeatureView
from featurevault._model.rules import between
from featurevault._monitoring.freshness import online_newest_event
from featurevault._monitoring.serving_latency import LatencyWindow, histogram_quantile
from featurevault._server import create_app
from featurevault._server.app import ServerSettings
from tests.unit.monitoring.repo import definitions, frame, make_store, recent, write
from tests.unit.server.testclient import TestClient

RUNBOOK = "runbooks/serving_latency.md"


def _rows(users: list[int], at: pd.Timestamp, amount: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": users,
            "event_timestamp": [at] * len(users),
            "amount": [amount] * len(users),
            "plan": ["pro"] * len(users),
        }
    )


def test_newest_online_event_is_sampled_and_recorded(tmp_path: Path) -> None:
    write(tmp_path / "data" / "users.parquet", frame(recent() - timedelta(hours=30), 1, seed=1))
    newest = pd.Timestamp(recent() - timedelta(minutes=30))
    with make_store(tmp_path) as store:
        store.apply(definitions())
        assert online_newest_event(store.online_store, "user_stats").sampled == 0  # nothing online yet
        store.write_to_online_store("user_stats", _rows([1, 2], newest - pd.Timedelta(hours=5)))
        store.write_to_online_store("user_stats", _rows([3], newest))
        run = store.monitor_run()
        (views,) = run.views
        fresh = store.view_freshness()[0]
        points = store.metric_history("user_stats", "online_freshness")
    assert views.freshness.online_newest_event == newest.to_pydatetime()
    assert views.freshness.online_sampled == 3
    assert 1700 < views.freshness.online_freshness_seconds < 1900 + 3600
    assert views.freshness.freshness_seconds > 24 * 3600  # the offline source is a day older
    assert fresh.online_newest_event == newest.to_pydatetime() and fresh.to_dict()["online_sampled"] == 3
    assert [p.value for p in points] == [views.freshness.online_freshness_seconds]


def test_the_online_sample_is_bounded(tmp_path: Path) -> None:
    at = recent()  # read once: an hour boundary passed mid-test must not change it
    write(tmp_path / "data" / "users.parquet", frame(at - timedelta(hours=2), 1, seed=1))
    with make_store(tmp_path) as store:
        store.apply(definitions())
        store.write_to_online_store("user_stats", _rows(list(range(500)), pd.Timestamp(at)))
        sample = online_newest_event(store.online_store, "user_stats", sample=50)
    assert sample.sampled == 50 and sample.newest_event == at


def test_histogram_quantile_interpolates_within_the_bucket() -> None:
    buckets = [(0.001, 50.0), (0.01, 90.0), (0.1, 100.0), (float("inf"), 100.0)]
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.001)
    assert histogram_quantile(0.99, buckets) == pytest.approx(0.01 + 0.09 * 0.9)
    assert histogram_quantile(0.99, [(0.1, 0.0), (float("inf"), 0.0)]) is None
    assert histogram_quantile(0.99, [(0.1, 0.0), (float("inf"), 5.0)]) == 0.1


def test_latency_window_measures_only_what_came_since_the_last_run() -> None:
    counts = {0.001: 100.0, 0.1: 100.0, float("inf"): 100.0}
    window = LatencyWindow(lambda: dict(counts))
    assert window.quantile_ms() == pytest.approx(0.99)
    counts.update({0.1: 110.0, float("inf"): 110.0})  # ten slow reads since
    assert window.quantile_ms() == pytest.approx(1 + 99 * 0.99)
    assert window.quantile_ms() is None  # no read since


def test_serving_p99_alert_fires_from_the_servers_histogram(tmp_path: Path) -> None:
    write(tmp_path / "data" / "users.parquet", frame(recent() - timedelta(hours=2), 2, seed=2))
    slow = Alert(name="slow_serving", feature_view="user_stats", condition="serving_p99_ms > 50", runbook=RUNBOOK)
    with make_store(tmp_path) as store:
        store.apply(definitions([slow]))
        app = create_app(store, ServerSettings(monitor_interval_seconds=0.2), access_log_stream=io.StringIO())
        for _ in range(20):  # planted: reads of 100-250 ms, as a stalled online store answers
            app.state.metrics.online_read_latency.labels("").observe(0.2)
        with TestClient(app):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not store.list_alerts("firing"):
                time.sleep(0.1)
        (firing,) = store.list_alerts("firing")
        points = store.metric_history("", "serving_p99_ms")
    assert firing["alert"] == "slow_serving" and 100 <= firing["value"] <= 250
    assert 100 <= points[0].value <= 250


def test_serving_p99_alert_stays_quiet_on_fast_reads(tmp_path: Path) -> None:
    write(tmp_path / "data" / "users.parquet", frame(recent() - timedelta(hours=2), 2, seed=2))
    slow = Alert(name="slow_serving", feature_view="user_stats", condition="serving_p99_ms > 50", runbook=RUNBOOK)
    with make_store(tmp_path) as store:
        store.apply(definitions([slow]))
        fast = store.monitor_run(serving_p99_ms=2.0)
        slow_run = store.monitor_run(serving_p99_ms=80.0)
    assert [a.state.state for a in fast.alerts] == ["inactive"]
    assert [a.state.state for a in slow_run.alerts] == ["firing"]


def _view_with_rule() -> list:
    user, source, view = definitions()
    ruled = FeatureView(
        name=view.name,
        entities=[user],
        source=source,
        ttl=view.ttl,
        schema=view.schema,
        freshness=timedelta(hours=1),
        rules=[between("amount", 0, 100, name="amount_range")],
    )
    return [user, source, ruled]


def test_rule_failures_alert_fires_on_failing_rows(tmp_path: Path) -> None:
    good = frame(recent() - timedelta(hours=3), 2, seed=4)
    bad = good.head(400).assign(amount=-5.0, event_timestamp=good["event_timestamp"].head(400) + pd.Timedelta(hours=1))
    write(tmp_path / "data" / "users.parquet", pd.concat([good, bad]))
    failing = Alert(
        name="amount_out_of_range",
        feature_view="user_stats",
        condition="rule_failures(amount_range) > 0.05",
        runbook="runbooks/quality_failures.md",
    )
    with make_store(tmp_path) as store:
        store.apply([*_view_with_rule(), failing], skip_lint=True)
        run = store.monitor_run()
        rows = store.metric_history("user_stats", "rule_failed_rows")
    (rule,) = run.views[0].rules
    assert (rule.rule, rule.failed, rule.checked) == ("amount_range", 400 + int((good["amount"] < 0).sum()), 4400)
    assert [a.state.state for a in run.alerts] == ["firing"]
    assert run.alerts[0].state.value == pytest.approx(rule.failed / 4400)
    assert [p.value for p in rows] == [rule.failed]


def test_rule_failures_count_quarantined_rows(tmp_path: Path) -> None:
    write(tmp_path / "data" / "users.parquet", frame(recent() - timedelta(hours=3), 1, seed=4))
    failing = Alert(
        name="amount_out_of_range",
        feature_view="user_stats",
        condition="rule_failures(amount_range) > 0",
        runbook="runbooks/quality_failures.md",
    )
    with make_store(tmp_path) as store:
        store.apply([*_view_with_rule(), failing], skip_lint=True)
        quiet = store.monitor_run()
        store.write_to_online_store("user_stats", _rows([1, 2, 3], pd.Timestamp(recent()), amount=500.0))
        assert len(store.list_quarantined("user_stats")) == 3
        loud = store.monitor_run()
    assert [a.state.state for a in quiet.alerts] == ["inactive"]
    assert loud.views[0].rules[0].failed == 3 and [a.state.state for a in loud.alerts] == ["firing"]


def test_exported_serving_rule_reads_the_project_wide_series(tmp_path: Path) -> None:
    from featurevault._monitoring.rules_export import alert_rules

    write(tmp_path / "data" / "users.parquet", frame(recent() - timedelta(hours=2), 1, seed=2))
    slow = Alert(name="slow_serving", feature_view="user_stats", condition="serving_p99_ms > 50", runbook=RUNBOOK)
    with make_store(tmp_path) as store:
        store.apply(definitions([slow]))
        store.monitor_run(serving_p99_ms=80.0)
        (rule,) = alert_rules("monitored", store.registry.contents())["groups"][0]["rules"]
        (point,) = store.metric_history("", "serving_p99_ms")
    assert rule["expr"] == (
        'featurevault_monitor_value{project="monitored", view="", feature="", metric="serving_p99_ms"} > 50'
    )
    assert (point.view, point.feature, point.value) == ("", "", 80.0)
