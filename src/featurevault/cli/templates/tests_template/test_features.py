"""Tests of the demo's feature logic and retrieval: run with `pytest tests/` after `featurevault apply`."""

import time
from datetime import datetime, timedelta, timezone

import pandas as pd

from featurevault import FeatureStore
from features import driver_conv_rate_adjusted


def test_driver_conv_rate_adjusted_adds_the_bonuses() -> None:
    inputs = pd.DataFrame({"driver_conv_rate": [0.5], "driver_rate_bonus": [1], "driver_rate_bonus_2": [10]})
    out = driver_conv_rate_adjusted.transform(inputs)
    assert out["driver_bonus_conv_rate"].tolist() == [1.5]
    assert out["driver_bonus_two_conv_rate"].tolist() == [10.5]


def test_training_frame_has_one_row_per_entity_row() -> None:
    store = FeatureStore(repo_path=".")
    now = datetime.now(timezone.utc)
    entity_df = pd.DataFrame({"driver_id": [1001, 1001], "event_timestamp": [now, now - timedelta(hours=2)]})
    frame = store.get_historical_features(entity_df, ["driver_stats_hourly:driver_conv_rate"]).to_df()
    assert len(frame) == 2 and frame["driver_conv_rate"].notna().all()


def test_online_read_latency_is_in_milliseconds() -> None:
    store = FeatureStore(repo_path=".")
    store.materialize_incremental(datetime.now(timezone.utc))
    start = time.perf_counter()
    store.get_online_features(["driver_stats_hourly:driver_conv_rate"], [{"driver_id": 1001}]).to_dict()
    assert time.perf_counter() - start < 0.5
