"""Online/offline consistency: a wrong value written online is found; unmaterialized rows are explained."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd

from tests.unit.monitoring.repo import definitions, frame, make_store, recent, write


def test_injected_online_skew_is_found(tmp_path: Path) -> None:
    NOW = recent()  # noqa: N806 (the online ttl is checked against the clock)
    write(tmp_path / "data" / "users.parquet", frame(NOW - timedelta(hours=3), 3, seed=5))
    with make_store(tmp_path) as store:
        store.apply(definitions())
        store.materialize(NOW - timedelta(days=1), NOW)
        clean = store.monitor_consistency("user_stats", sample=3000, seed=1)
        assert {f.feature: f.mismatches for f in clean.features} == {"amount": 0, "plan": 0}
        latest = store.get_online_features(["user_stats:amount", "user_stats:plan"], {"user_id": [7]}).to_dict()
        wrong = pd.DataFrame(
            {
                "user_id": [7],
                "event_timestamp": [NOW - timedelta(hours=1)],
                "amount": [latest["amount"][0] + 1000.0],
                "plan": latest["plan"],
            }
        )
        store.write_to_online_store("user_stats", wrong)
        skewed = store.monitor_consistency("user_stats", sample=3000, seed=1)
        by_feature = {f.feature: f for f in skewed.features}
        assert by_feature["amount"].mismatches == 1 and by_feature["plan"].mismatches == 0
        assert by_feature["amount"].examples[0]["entity"] == {"user_id": 7}
        assert store.metric_history("user_stats", "skew_rate")[-2].value == 1 / 2000


def test_rows_newer_than_the_last_materialization_are_explained(tmp_path: Path) -> None:
    NOW = recent()  # noqa: N806 (the online ttl is checked against the clock)
    write(tmp_path / "data" / "users.parquet", frame(NOW - timedelta(hours=3), 3, seed=5))
    with make_store(tmp_path) as store:
        store.apply(definitions())
        store.materialize(NOW - timedelta(days=1), NOW - timedelta(hours=1, minutes=30))
        report = store.monitor_consistency("user_stats", sample=500, seed=2)
    amount = {f.feature: f for f in report.features}["amount"]
    assert amount.mismatches == 0 and amount.not_materialized > 0
    assert amount.compared + amount.not_materialized == 500
