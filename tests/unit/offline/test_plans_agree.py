"""Every engine (DuckDB with each join plan, Spark) gives the answer of a brute-force reference on random data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from featurevault._backends.offline.duckdb import Store
from featurevault._ops.historical import get_historical_features

from .conftest import SPARK, contents, make_view, spark_engine, ts, write_parquet


def reference(features: pd.DataFrame, entity: pd.DataFrame, ttl: timedelta | None) -> list[object]:
    """Row by row: the latest (event, created) row of the key in [t - ttl, t]."""
    result: list[object] = []
    for key, t in zip(entity["driver_id"], entity["event_timestamp"], strict=True):
        rows = features[(features["driver_id"] == key) & (features["event_ts"] <= t)]
        if ttl:
            rows = rows[rows["event_ts"] >= t - ttl]
        if rows.empty:
            result.append(None)
            continue
        best = rows.sort_values(["event_ts", "created"]).iloc[-1]["rate"]
        result.append(None if pd.isna(best) else float(best))
    return result


@pytest.mark.parametrize("engine_kind", ["duckdb", SPARK])
@pytest.mark.parametrize("seed", range(6))
def test_engines_match_reference(
    seed: int, engine_kind: str, tmp_path: Path, make_engine: Callable[..., Store], request: pytest.FixtureRequest
) -> None:
    rng = np.random.default_rng(seed)
    n_keys = int(rng.integers(1, 12))
    n_rows = int(rng.integers(1, 300))
    # few distinct event times, so keys share times and event-time ties are common
    times = [ts(int(s)) for s in rng.integers(0, 40, n_rows)]
    rate = rng.random(n_rows).round(3)
    rate[rng.random(n_rows) < 0.1] = np.nan
    features = pd.DataFrame(
        {
            "driver_id": rng.integers(0, n_keys, n_rows),
            "event_ts": times,
            # distinct created times: a tie on both event and created time has no single right answer
            "created": [ts(1000 + int(s)) for s in rng.permutation(n_rows)],
            "rate": [None if np.isnan(r) else float(r) for r in rate],
        }
    )
    write_parquet(tmp_path / "f.parquet", {c: features[c].tolist() for c in features.columns})
    ttl = [None, timedelta(0), timedelta(seconds=5), timedelta(seconds=int(rng.integers(1, 30)))][seed % 4]
    view = make_view("stats", "f.parquet", ["rate"], ttl=ttl, created="created")
    n_entity = int(rng.integers(1, 200))
    entity = pd.DataFrame(
        {
            "driver_id": rng.integers(0, n_keys + 2, n_entity),
            "event_timestamp": [ts(int(s)) for s in rng.integers(-5, 50, n_entity)],
        }
    )
    expected = reference(features, entity, ttl)
    if engine_kind == "spark":
        engines = {"spark": spark_engine(request, tmp_path)}
    else:
        engines = {strategy: make_engine(join_strategy=strategy) for strategy in ("hash", "asof", "auto")}
    for name, engine in engines.items():
        df = get_historical_features(engine, contents(view), entity, ["stats:rate"]).to_df()
        got = [None if pd.isna(v) else float(v) for v in df["rate"]]
        assert got == expected, name
        assert df["driver_id"].tolist() == entity["driver_id"].tolist()


def test_auto_strategy_picks_by_versions_per_key(
    tmp_path: Path, make_engine: Callable[..., Store], caplog: pytest.LogCaptureFixture
) -> None:
    times = [ts(i) for i in range(300)]
    ones = [1.0] * 300
    few = {"driver_id": list(range(100)), "event_ts": times[:100], "rate": ones[:100]}
    write_parquet(tmp_path / "few.parquet", few)
    many = {"driver_id": [i % 3 for i in range(300)], "event_ts": times, "rate": ones}
    write_parquet(tmp_path / "many.parquet", many)
    engine = make_engine()
    entity = pd.DataFrame({"driver_id": [1], "event_timestamp": [ts(500)]})
    caplog.set_level("DEBUG", logger="featurevault._backends.offline.duckdb")
    for name, plan in (("few", "hash"), ("many", "asof")):
        caplog.clear()
        view = make_view(name, f"{name}.parquet", ["rate"])
        get_historical_features(engine, contents(view), entity, [f"{name}:rate"]).to_df()
        assert f"-> {plan} plan" in caplog.text
