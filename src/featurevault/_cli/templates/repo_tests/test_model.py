"""End to end: train a tiny model on historical features, then score it with online features."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import REPO, latest_rows, source_rows
from sklearn.linear_model import LogisticRegression

from featurevault._ops.repo import load_repo

CONTENTS = load_repo(REPO)
NUMERIC = ("INT32", "INT64", "FLOAT32", "FLOAT64")


def _model_inputs():
    view = next(v for v in CONTENTS.feature_views.values() if any(f.dtype.name.upper() in NUMERIC for f in v.features))
    features = [f.name for f in view.features if f.dtype.name.upper() in NUMERIC]
    return view, features


def test_train_on_historical_and_score_on_online_features(store) -> None:
    view, features = _model_inputs()
    refs = [f"{view.name}:{f}" for f in features]
    ts = view.batch_source.timestamp_field
    rows = source_rows(store, view).sort_values(ts).drop_duplicates([*view.join_keys, ts], keep="last").tail(500)
    entity_df = rows[[*view.join_keys, ts]].rename(columns={ts: "event_timestamp"}).reset_index(drop=True)
    training = store.get_historical_features(entity_df, refs).to_df()
    x = training[features].fillna(0).to_numpy(dtype=float)
    label = (x[:, 0] > np.median(x[:, 0])).astype(int)  # a label the features can explain
    model = LogisticRegression(max_iter=1000).fit(x, label)
    assert model.score(x, label) > 0.7

    latest = latest_rows(store, view, limit=20)
    online = store.get_online_features(refs, {k: latest[k].tolist() for k in view.join_keys}).to_df()
    scores = model.predict_proba(online[features].fillna(0).to_numpy(dtype=float))[:, 1]
    assert scores.shape == (len(latest),) and ((scores >= 0) & (scores <= 1)).all()
    assert isinstance(pd.Series(scores).mean(), float)
