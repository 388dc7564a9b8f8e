"""Alert states through the store: stale fires and resolves after a materialization; for_; one message per change."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from featurevault import Alert
from tests.unit.monitoring.repo import NOW, definitions, frame, make_store, write
from tests.unit.monitoring.webhook_server import webhook_receiver


def _stale_alert(for_: str = "0s") -> Alert:
    return Alert(
        name="user_stats_stale",
        feature_view="user_stats",
        condition="materialization_age > 2x",
        severity="P1",
        for_=for_,
        runbook="runbooks/stale_features.md",
        owner="data-platform",
    )


def _alerting(url: str, **route: Any) -> dict[str, Any]:
    return {
        "receivers": {"oncall": {"type": "webhook", "url": url, "retries": 2, "timeout_seconds": 2}},
        "routes": [{"severity": "P1", "receivers": ["oncall"], **route}],
    }


def _audit_notifications(tmp_path: Path) -> list[dict[str, Any]]:
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r.get("action") == "NOTIFY"]


def test_stale_view_fires_then_resolves_after_materialize(tmp_path: Path) -> None:
    write(tmp_path / "data" / "users.parquet", frame(NOW - timedelta(hours=6), 6, seed=3))
    with webhook_receiver() as hook, make_store(tmp_path, _alerting(hook.url)) as store:
        store.apply(definitions([_stale_alert()]))
        store.materialize(NOW - timedelta(hours=6), NOW)
        materialized = _last_materialization(store)
        first = store.monitor_run(now=materialized + timedelta(minutes=30))
        assert [s.state.state for s in first.alerts] == ["inactive"]
        stale = store.monitor_run(now=materialized + timedelta(hours=3))
        assert [s.state.state for s in stale.alerts] == ["firing"] and stale.p1_firing
        again = store.monitor_run(now=materialized + timedelta(hours=3, minutes=5))
        assert [s.state.state for s in again.alerts] == ["firing"] and again.notifications == []
        store.materialize(NOW - timedelta(hours=6), NOW)
        resolved = store.monitor_run(now=_last_materialization(store) + timedelta(minutes=1))
        assert [s.state.state for s in resolved.alerts] == ["resolved"]
        assert [b["state"] for b in hook.bodies] == ["firing", "resolved"]
        assert hook.bodies[0]["runbook"] == "runbooks/stale_features.md"
        assert store.list_alerts(state="resolved")[0]["alert"] == "user_stats_stale"
        store.guard.audit.flush()
    audited = _audit_notifications(tmp_path)
    assert [(r["resource"], r["details"]["state"], r["outcome"]) for r in audited] == [
        (["alert:user_stats_stale"], "firing", "ok"),
        (["alert:user_stats_stale"], "resolved", "ok"),
    ]


def _last_materialization(store: Any) -> Any:
    from datetime import datetime

    from featurevault._ops.materialize import watermarks

    return datetime.fromisoformat(watermarks(store)["user_stats"]["at"])


def test_pending_until_for_has_passed(tmp_path: Path) -> None:
    write(tmp_path / "data" / "users.parquet", frame(NOW - timedelta(hours=6), 6, seed=3))
    freshness = Alert(
        name="user_stats_old",
        feature_view="user_stats",
        condition="freshness > 2h",
        severity="P2",
        for_="10m",
        runbook="runbooks/stale_features.md",
    )
    with make_store(tmp_path) as store:
        store.apply(definitions([freshness]))
        states = [
            store.monitor_run(now=NOW + timedelta(hours=3, minutes=m)).alerts[0].state.state for m in (0, 5, 9, 10)
        ]
    assert states == ["pending", "pending", "pending", "firing"]


def test_condition_clearing_while_pending_sends_nothing(tmp_path: Path) -> None:
    write(tmp_path / "data" / "users.parquet", frame(NOW - timedelta(hours=6), 6, seed=3))
    freshness = Alert(
        name="user_stats_old",
        feature_view="user_stats",
        condition="freshness > 2h",
        severity="P1",
        for_="1h",
        runbook="runbooks/stale_features.md",
    )
    with webhook_receiver() as hook, make_store(tmp_path, _alerting(hook.url)) as store:
        store.apply(definitions([freshness]))
        assert store.monitor_run(now=NOW + timedelta(hours=3)).alerts[0].state.state == "pending"
        write(tmp_path / "data" / "users.parquet", frame(NOW + timedelta(hours=2), 2, seed=4))
        assert store.monitor_run(now=NOW + timedelta(hours=3, minutes=30)).alerts[0].state.state == "inactive"
    assert hook.attempts == 0


def test_webhook_retried_when_it_first_fails_and_one_message_per_change(tmp_path: Path) -> None:
    write(tmp_path / "data" / "users.parquet", frame(NOW - timedelta(hours=6), 6, seed=3))
    freshness = Alert(
        name="user_stats_old",
        feature_view="user_stats",
        condition="freshness > 2h",
        severity="P1",
        runbook="runbooks/stale_features.md",
    )
    with webhook_receiver(fail_first=1) as hook, make_store(tmp_path, _alerting(hook.url)) as store:
        store.apply(definitions([freshness]))
        for minutes in (0, 1, 2):
            store.monitor_run(now=NOW + timedelta(hours=3, minutes=minutes))
    assert hook.attempts == 2
    assert [b["state"] for b in hook.bodies] == ["firing"]


def test_receiver_down_does_not_block_and_is_retried_next_run(tmp_path: Path) -> None:
    write(tmp_path / "data" / "users.parquet", frame(NOW - timedelta(hours=6), 6, seed=3))
    freshness = Alert(
        name="user_stats_old",
        feature_view="user_stats",
        condition="freshness > 2h",
        severity="P1",
        runbook="runbooks/stale_features.md",
    )
    with webhook_receiver(fail_first=3) as hook, make_store(tmp_path, _alerting(hook.url)) as store:
        store.apply(definitions([freshness]))
        down = store.monitor_run(now=NOW + timedelta(hours=3))
        assert down.alerts[0].state.state == "firing"
        assert [n.delivered for n in down.notifications] == [False]
        assert hook.bodies == []
        later = store.monitor_run(now=NOW + timedelta(hours=3, minutes=1))
        assert [n.delivered for n in later.notifications] == [True]
    assert [b["state"] for b in hook.bodies] == ["firing"]


def test_escalation_after_delay_once(tmp_path: Path) -> None:
    write(tmp_path / "data" / "users.parquet", frame(NOW - timedelta(hours=6), 6, seed=3))
    freshness = Alert(
        name="user_stats_old",
        feature_view="user_stats",
        condition="freshness > 2h",
        severity="P1",
        runbook="runbooks/stale_features.md",
    )
    with webhook_receiver() as chat, webhook_receiver() as pager:
        alerting = {
            "receivers": {
                "chat": {"type": "webhook", "url": chat.url, "slack": True},
                "pager": {"type": "webhook", "url": pager.url},
            },
            "routes": [
                {"severity": "P1", "receivers": ["chat"], "escalate_after_minutes": 15, "escalate_to": ["pager"]}
            ],
        }
        with make_store(tmp_path, alerting) as store:
            store.apply(definitions([freshness]))
            for minutes in (0, 10, 16, 30):
                store.monitor_run(now=NOW + timedelta(hours=3, minutes=minutes))
    assert len(chat.bodies) == 1 and chat.bodies[0]["text"].startswith("[FIRING] P1 user_stats_old")
    assert [(b["state"], b["escalation"]) for b in pager.bodies] == [("firing", True)]
