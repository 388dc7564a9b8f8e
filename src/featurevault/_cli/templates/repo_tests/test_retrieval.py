"""Integration tests of retrieval against a local store: online values and point-in-time joins match the sources."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pandas as pd
import pytest
from conftest import REPO, latest_rows, source_rows

from featurevault._ops.repo import load_repo

VIEWS = list(load_repo(REPO).feature_views.values())


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_online_features_are_the_latest_rows(store, view) -> None:
    rows = latest_rows(store, view)
    refs = [f"{view.name}:{f.name}" for f in view.features]
    response = store.get_online_features(refs, {k: rows[k].tolist() for k in view.join_keys})
    served, statuses = response.to_dict(), response.statuses
    now = datetime.now(timezone.utc)
    fresh = [
        view.ttl is None or not view.ttl or (now - ts) <= view.ttl for ts in rows[view.batch_source.timestamp_field]
    ]
    # a row that broke a validation rule is in the quarantine, not online (`featurevault quarantine list`)
    held = [json.loads(e.row) for e in store.list_quarantined(view.name)]
    quarantined = {tuple(r[k] for k in view.join_keys) for r in held}
    for feature in view.features:
        for i, is_fresh in enumerate(fresh):
            status = statuses[feature.name][i].name
            if tuple(rows[k][i] for k in view.join_keys) in quarantined:
                continue
            if is_fresh:
                assert status in ("PRESENT", "NULL_VALUE"), f"{view.name}.{feature.name} row {i}: {status}"
                assert served[feature.name][i] == pytest.approx(rows[feature.name][i])
            else:
                assert status == "OUTSIDE_MAX_AGE", f"{view.name}.{feature.name} row {i}: stale value served"


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_historical_features_join_point_in_time(store, view) -> None:
    ts = view.batch_source.timestamp_field
    sample = source_rows(store, view).sort_values(ts).drop_duplicates([*view.join_keys, ts], keep="last").tail(100)
    entity_df = sample[[*view.join_keys, ts]].rename(columns={ts: "event_timestamp"}).reset_index(drop=True)
    refs = [f"{view.name}:{f.name}" for f in view.features]
    training = store.get_historical_features(entity_df, refs).to_df()
    assert len(training) == len(entity_df)
    expected = sample.reset_index(drop=True)
    for feature in view.features:
        assert training[feature.name].tolist() == pytest.approx(expected[feature.name].tolist()), feature.name
    future = entity_df.assign(event_timestamp=entity_df["event_timestamp"] - pd.Timedelta(days=3650))
    early = store.get_historical_features(future, refs).to_df()
    assert early[[f.name for f in view.features]].isna().all().all(), "a value from the future was joined"
