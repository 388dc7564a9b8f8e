"""``unique`` during materialization sees the whole source window, not the latest row per key of a batch."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from featurevault import FeatureView
from featurevault.errors import DataQualityError
from featurevault._quality import metrics, unique
from featurevault._store import FeatureStore
from tests.unit.quality.rules_repo import SCHEMA, T0, make_store, rows, user, views

WINDOW = (T0 - timedelta(days=2), T0 + timedelta(days=1))
RULE = "unique_user_id_event_timestamp"


def _store(tmp_path: Path, stats: pa.Table, rule: Any) -> FeatureStore:
    """The rules repo over ``stats``, with ``user_stats`` checked by ``rule`` alone."""
    store = make_store(tmp_path, stats=stats)
    _, stats_view, _ = views()
    store.apply(
        [
            FeatureView(
                name="user_stats",
                entities=[user],
                schema=SCHEMA,
                source=stats_view.source,
                ttl=timedelta(0),
                rules=[rule],
            )
        ]
    )
    return store


def _online(store: FeatureStore, users: list[int]) -> list[Any]:
    out = store.get_online_features(["user_stats:total"], [{"user_id": u} for u in users]).to_dict()
    return out["total"]


def _duplicated_latest() -> pa.Table:
    """User 1 has two source rows at its latest time (the latest-per-key batch holds only one); user 2 is clean."""
    return pa.concat_tables(
        [
            rows([(1, {"total": 5}), (1, {"total": 6}), (2, {"total": 7})]),
            rows([(1, {"total": 1})], T0 - timedelta(hours=1)),
        ]
    )


def _duplicated_history() -> pa.Table:
    """User 1's latest row is unique, but two of its older rows share a time."""
    return pa.concat_tables(
        [
            rows([(1, {"total": 5}), (2, {"total": 7})]),
            rows([(1, {"total": 1}), (1, {"total": 2})], T0 - timedelta(hours=1)),
        ]
    )


def test_quarantine_takes_out_the_written_row_of_a_duplicated_combination(tmp_path: Path) -> None:
    store = _store(tmp_path, _duplicated_latest(), unique(["user_id", "event_timestamp"]))
    result = store.materialize(*WINDOW, ["user_stats"])
    (view,) = result.views
    assert (view.rows, view.quarantined) == (1, 1)  # 2 keys in: 1 written + 1 quarantined
    (entry,) = store.list_quarantined("user_stats")
    assert entry.rule == RULE and entry.values["user_id"] == 1
    assert _online(store, [1, 2]) == [None, 7]


def test_block_refuses_the_run_and_writes_nothing(tmp_path: Path) -> None:
    store = _store(tmp_path, _duplicated_latest(), unique(["user_id", "event_timestamp"], on_fail="block"))
    with pytest.raises(DataQualityError, match=rf"rule '{RULE}' \(unique, on_fail=block\) failed on 2 source rows"):
        store.materialize(*WINDOW, ["user_stats"])
    assert _online(store, [1, 2]) == [None, None]
    assert store.list_quarantined("user_stats") == []


def test_block_sees_duplicates_among_rows_that_would_not_be_written(tmp_path: Path) -> None:
    store = _store(tmp_path, _duplicated_history(), unique(["user_id", "event_timestamp"], on_fail="block"))
    with pytest.raises(DataQualityError, match="failed on 2 source rows of the window"):
        store.materialize(*WINDOW, ["user_stats"])
    assert _online(store, [1, 2]) == [None, None]


def test_window_bounds_the_check(tmp_path: Path) -> None:
    """Duplicates before the window's start are not the run's business."""
    store = _store(tmp_path, _duplicated_history(), unique(["user_id", "event_timestamp"], on_fail="block"))
    store.materialize(T0 - timedelta(minutes=30), WINDOW[1], ["user_stats"])
    assert _online(store, [1, 2]) == [5, 7]


def test_warn_writes_and_counts_the_window_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = _store(tmp_path, _duplicated_history(), unique(["user_id", "event_timestamp"], on_fail="warn"))
    before = metrics.failure_counts().get(("user_stats", RULE, "warn"), 0)
    with caplog.at_level(logging.WARNING, logger="featurevault._quality.window"):
        store.materialize(*WINDOW, ["user_stats"])
    assert metrics.failure_counts()[("user_stats", RULE, "warn")] - before == 2
    assert any(RULE in r.getMessage() and "2 source rows" in r.getMessage() for r in caplog.records)
    assert _online(store, [1, 2]) == [5, 7]
    assert store.list_quarantined("user_stats") == []


def test_duplicates_across_batches_are_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two users sharing an email arrive in different batches (one row per batch here)."""
    monkeypatch.setattr("featurevault._ops.materialize.BATCH_ROWS", 1)
    stats = rows([(1, {"email": "same@x.io"}), (2, {"email": "same@x.io"}), (3, {"email": "own@x.io"})])
    store = _store(tmp_path, stats, unique("email"))
    (view,) = store.materialize(*WINDOW, ["user_stats"]).views
    assert (view.rows, view.quarantined) == (1, 2)
    assert sorted(e.values["user_id"] for e in store.list_quarantined("user_stats")) == [1, 2]
    assert _online(store, [1, 2, 3]) == [None, None, 3]


def test_block_across_batches_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("featurevault._ops.materialize.BATCH_ROWS", 1)
    stats = rows([(1, {"email": "same@x.io"}), (2, {"email": "same@x.io"})])
    store = _store(tmp_path, stats, unique("email", on_fail="block"))
    with pytest.raises(DataQualityError, match="'unique_email'") as caught:
        store.materialize(*WINDOW, ["user_stats"])
    assert "same@x.io" not in str(caught.value)  # email is PII: the example shows <pii>
    assert _online(store, [1, 2]) == [None, None]


def test_push_checks_the_pushed_rows_only(tmp_path: Path) -> None:
    """A push's scope is its own rows: a combination already in the offline data is not a duplicate."""
    store = make_store(tmp_path)
    pushed = rows([(1, {"total": 1}), (1, {"total": 2}), (4, {})], T0 + timedelta(hours=3))
    assert store.push("live_push", pushed.to_pandas(), to="online_and_offline") == 1
    assert sorted(e.values["user_id"] for e in store.list_quarantined("user_live")) == [1, 1]
    again = rows([(4, {"total": 9})], T0 + timedelta(hours=3))
    assert store.push("live_push", again.to_pandas(), to="online_and_offline") == 1


def test_nulls_never_make_a_duplicate(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    pushed = rows([(5, {"email": None}), (6, {"email": None})], T0 + timedelta(hours=3))
    _, _, live = views()
    store.apply(
        [
            FeatureView(
                name="user_live",
                entities=[user],
                schema=SCHEMA,
                source=live.source,
                ttl=timedelta(0),
                rules=[unique("email", on_fail="block")],
            )
        ]
    )
    assert store.push("live_push", pushed.to_pandas(), to="online") == 2
