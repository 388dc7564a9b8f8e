"""Profiles against pandas on the same rows; validate's counts, exit code and backfill coverage;
saved datasets and validation references."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurevault.errors import DataQualityError
from featurevault._quality.saved_dataset import (
    DistributionProfiler,
    SavedDatasetFileStorage,
    ValidationFailed,
    ValidationReference,
)
from tests.unit.quality.rules_repo import T0, make_store, rows

N = 2_000


def random_rows(seed: int, shift: float = 0.0, start_day: int = 0, days: int = 10) -> pa.Table:
    rng = np.random.default_rng(seed)
    amount = rng.normal(100 + shift, 15, N)
    amount[rng.random(N) < 0.05] = np.nan
    total = pd.array(rng.integers(0, 50, N), dtype="Int64")
    total[rng.random(N) < 0.1] = pd.NA
    frame = pd.DataFrame(
        {
            "user_id": np.arange(N, dtype=np.int64),
            "event_timestamp": [T0 + timedelta(days=start_day + int(d)) for d in rng.integers(0, days, N)],
            "total": total,
            "avg_amount": amount,
            "max_amount": amount + 1,
            "tier": rng.choice(["free", "pro"], N, p=[0.7, 0.3]),
            "email": [f"u{i}@x.io" for i in range(N)],
        }
    )
    table = pa.Table.from_pandas(frame, preserve_index=False).cast(rows([(1, {})]).schema)
    # pandas -> Arrow turns NaN into null; keep the NaN (a value that breaks between) as NaN
    return table.set_column(3, "avg_amount", pa.array(amount)).set_column(4, "max_amount", pa.array(amount + 1))


def test_profile_matches_pandas(tmp_path: Path) -> None:
    table = random_rows(1)
    store = make_store(tmp_path, stats=table)
    profile = store.profile("user_stats")
    frame = table.to_pandas()
    for name in ("total", "avg_amount"):
        column = frame[name].astype("float64")
        p = profile.features[name]
        assert p.count == N and p.nulls == int(column.isna().sum())
        assert p.null_rate == pytest.approx(column.isna().mean())
        assert p.min == pytest.approx(column.min()) and p.max == pytest.approx(column.max())
        assert p.mean == pytest.approx(column.mean()) and p.std == pytest.approx(column.std())
        for q, value in p.quantiles.items():
            assert value == pytest.approx(column.quantile(float(q)), rel=1e-9), (name, q)
        edges, counts = p.histogram
        expected, _ = np.histogram(column.dropna(), bins=np.array(edges))
        assert counts == list(expected)
        assert abs(p.distinct - column.nunique()) <= max(2, 0.05 * column.nunique())  # approximate
    tier = profile.features["tier"]
    counts = frame["tier"].value_counts()
    assert tier.top_values[:2] == [(k, int(v)) for k, v in counts.items()][:2]
    assert profile.features["email"].top_values == []  # PII: counts only
    assert store.get_profile("user_stats").to_dict() == profile.to_dict()


def test_validate_counts_and_exit_code(tmp_path: Path) -> None:
    table = random_rows(2)
    store = make_store(tmp_path, stats=table, on_fail={"between_avg_amount": "block"})
    report = store.validate(["user_stats"])
    frame = table.to_pandas()
    counts = {r.rule: r.failed for r in report.views[0].rules}
    amount = frame["avg_amount"]
    assert counts["between_avg_amount"] == int(((amount < 0) | (amount > 10_000) | amount.isna()).sum())
    assert counts["not_null_total"] == int(frame["total"].isna().sum())
    assert counts["one_of_tier"] == 0 and counts["max_ge_avg"] == 0
    assert report.blocked  # NaN amounts break the block rule
    store.close()
    cli = [sys.executable, "-m", "featurevault._cli.main", "-c", str(tmp_path)]
    out = subprocess.run([*cli, "validate", "user_stats", "--format", "json"], capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    assert json.loads(out.stdout)["views"][0]["rules"][1]["failed"] == counts["between_avg_amount"]
    ok = subprocess.run([*cli, "validate", "user_live"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr


def test_backfill_gaps_against_backfill_start(tmp_path: Path) -> None:
    table = pa.concat_tables([rows([(1, {})], T0 + timedelta(days=d)) for d in (0, 1, 4)])
    store = make_store(tmp_path, stats=table)
    from featurevault import FeatureView

    stats = store.get_feature_view("user_stats")
    declared = FeatureView(
        name="user_stats",
        entities=stats.entities,
        schema=stats.schema,
        source=stats.source,
        ttl=timedelta(0),
        rules=stats.rules,
        backfill_start=T0 - timedelta(days=2),
    )
    store.apply([declared])
    (view,) = store.validate(["user_stats"]).views
    assert view.earliest == T0 and view.backfill_start == T0 - timedelta(days=2)
    assert [d.day for d in view.missing_days] == [30, 31, 3, 4]  # Dec 30-31 before the data, Jan 3-4 gaps
    assert not view.backfilled
    from featurevault._quality.readiness import ReadinessFacts, evaluate_readiness

    facts = ReadinessFacts(last_validation=store.last_validation())
    items = {i.title: i for i in evaluate_readiness(store.registry.contents(), store.config, facts).items}
    assert items["Historical data backfilled"].status == "fail"
    assert "user_stats (earliest" in items["Historical data backfilled"].evidence


def test_saved_dataset_round_trip_and_validation_reference(tmp_path: Path) -> None:
    store = make_store(tmp_path, stats=random_rows(3))
    entity = pd.DataFrame({"user_id": np.arange(N), "event_timestamp": [T0 + timedelta(days=30)] * N})
    features = ["user_stats:avg_amount", "user_stats:total"]
    job = store.get_historical_features(entity, features)
    dataset = store.create_saved_dataset(
        from_=job, name="training", storage=SavedDatasetFileStorage(path="data/training.parquet")
    )
    loaded = store.get_saved_dataset("training")
    pd.testing.assert_frame_equal(loaded.to_df(), job.to_df())  # NaN included
    assert loaded.rows == N and loaded.features == ["avg_amount", "total"]
    with pytest.raises(Exception, match="already exists"):
        store.create_saved_dataset(from_=job, name="training", storage=dataset.storage)
    reference = ValidationReference(name="ref", dataset=loaded, profiler=DistributionProfiler())
    same = store.get_historical_features(entity, features)
    assert len(same.to_df(validation_reference=reference)) == N  # the same data passes
    pq.write_table(random_rows(4), tmp_path / "data/stats.parquet")  # a new sample, same distribution
    assert len(store.get_historical_features(entity, features).to_df(validation_reference=reference)) == N
    pq.write_table(random_rows(5, shift=40.0), tmp_path / "data/stats.parquet")  # the mean moves 2.7 std
    with pytest.raises(ValidationFailed) as caught:
        store.get_historical_features(entity, features).to_df(validation_reference=reference)
    assert isinstance(caught.value, DataQualityError)
    failed = {(f["feature"], f["check"]) for f in caught.value.report.failures}
    assert ("avg_amount", "mean") in failed and ("total", "mean") not in failed
