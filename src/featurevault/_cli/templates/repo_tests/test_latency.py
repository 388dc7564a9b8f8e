"""A small latency test of online reads on the embedded store (budget: FEATUREVAULT_TEST_P99_MS, default 50 ms)."""

from __future__ import annotations

import os
import time

from conftest import REPO, latest_rows

from featurevault._ops.repo import load_repo

VIEWS = list(load_repo(REPO).feature_views.values())
BUDGET_MS = float(os.environ.get("FEATUREVAULT_TEST_P99_MS", "50"))


def test_single_entity_online_read_p99(store) -> None:
    view = VIEWS[0]
    row = latest_rows(store, view, limit=1)
    refs = [f"{view.name}:{f.name}" for f in view.features]
    entity = [{k: row[k].iloc[0].item() for k in view.join_keys}]
    samples = []
    for _ in range(300):
        start = time.perf_counter()
        store.get_online_features(refs, entity).to_dict()
        samples.append((time.perf_counter() - start) * 1000)
    p99 = sorted(samples)[int(len(samples) * 0.99) - 1]
    assert p99 < BUDGET_MS, f"p99 {p99:.2f} ms over the {BUDGET_MS} ms budget"
