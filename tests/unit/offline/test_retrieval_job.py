"""The RetrievalJob users hold, on-demand view failures, and the engine's config section."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from featurevault._backends.offline.duckdb import Config, Store
from featurevault._config import RepoConfig, section_config
from featurevault.errors import ConfigError, RequestError, SchemaMismatchError
from featurevault._model import Field, OnDemandFeatureView
from featurevault._ops.historical import RetrievalJob, get_historical_features
from featurevault.types import Float64, Int64

from .conftest import contents, make_view, ts, write_parquet


def _stats(tmp_path: Path) -> object:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1, 2], "event_ts": [ts(0), ts(0)], "rate": [0.5, 1.5]})
    return make_view("stats", "f.parquet", ["rate"])


def test_job_is_lazy_and_reports_metadata(make_engine: Callable[..., Store], tmp_path: Path) -> None:
    view = _stats(tmp_path)
    engine = make_engine()
    entity = pd.DataFrame({"driver_id": [1, 2], "event_timestamp": [ts(5), ts(9)]})
    job = get_historical_features(engine, contents(view), entity, ["stats:rate"], full_feature_names=True)
    assert isinstance(job, RetrievalJob)
    (tmp_path / "f.parquet").unlink()  # nothing has been read yet; the join runs on to_arrow
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1, 2], "event_ts": [ts(0), ts(0)], "rate": [7.0, 8.0]})
    table = job.to_arrow()
    assert table.column("stats__rate").to_pylist() == [7.0, 8.0]
    assert job.to_arrow() is table  # run once
    meta = job.metadata
    assert meta.features == ["stats__rate"] and meta.keys == ["driver_id"]
    assert meta.min_event_timestamp == pd.Timestamp(ts(5), tz="UTC").to_pydatetime()
    assert meta.max_event_timestamp == pd.Timestamp(ts(9), tz="UTC").to_pydatetime()


def test_pyarrow_entity_input(make_engine: Callable[..., Store], tmp_path: Path) -> None:
    view = _stats(tmp_path)
    entity = pa.table({"driver_id": [2], "event_timestamp": pa.array([ts(1)], pa.timestamp("ns"))})
    table = get_historical_features(make_engine(), contents(view), entity, ["stats:rate"]).to_arrow()
    assert table.column("rate").to_pylist() == [1.5]
    assert table.schema.field("event_timestamp").type == pa.timestamp("ns", tz="UTC")


def test_hidden_input_does_not_collide_with_a_requested_feature(
    make_engine: Callable[..., Store], tmp_path: Path
) -> None:
    stats = _stats(tmp_path)
    write_parquet(tmp_path / "o.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [99.0]})
    other = make_view("other", "o.parquet", ["rate"])
    odfv = OnDemandFeatureView(
        name="plus",
        sources=[stats],
        schema=[Field(name="rate_plus", dtype=Float64)],
        udf=lambda df: pd.DataFrame({"rate_plus": df["stats__rate"] + 1}),
    )
    entity = pd.DataFrame({"driver_id": [1], "event_timestamp": [ts(1)]})
    df = get_historical_features(make_engine(), contents(stats, other, odfv), entity, ["other:rate", "plus:rate_plus"])
    out = df.to_df()
    assert list(out.columns) == ["driver_id", "event_timestamp", "rate", "rate_plus"]
    assert out["rate"].tolist() == [99.0] and out["rate_plus"].tolist() == [1.5]


@pytest.mark.parametrize(
    ("udf", "error", "match"),
    [
        (lambda df: 1 / 0, RequestError, "'broken'.*ZeroDivisionError"),
        (lambda df: pd.DataFrame({"other": df["rate"]}), SchemaMismatchError, "returned no 'out'"),
        (lambda df: pd.DataFrame({"out": ["x"] * len(df)}), SchemaMismatchError, "'out' cannot be read as Int64"),
    ],
)
def test_on_demand_failures_name_the_view(
    make_engine: Callable[..., Store], tmp_path: Path, udf: Callable[..., object], error: type, match: str
) -> None:
    stats = _stats(tmp_path)
    odfv = OnDemandFeatureView(name="broken", sources=[stats], schema=[Field(name="out", dtype=Int64)], udf=udf)
    entity = pd.DataFrame({"driver_id": [1], "event_timestamp": [ts(1)]})
    job = get_historical_features(make_engine(), contents(stats, odfv), entity, ["broken:out"])
    with pytest.raises(error, match=match):
        job.to_df()


def test_missing_request_column_is_named(make_engine: Callable[..., Store], tmp_path: Path) -> None:
    from featurevault._model import RequestSource

    stats = _stats(tmp_path)
    request = RequestSource(name="req", schema=[Field(name="amount", dtype=Float64)])
    odfv = OnDemandFeatureView(
        name="needs", sources=[stats, request], schema=[Field(name="o", dtype=Float64)], udf=lambda df: df
    )
    entity = pd.DataFrame({"driver_id": [1], "event_timestamp": [ts(1)]})
    with pytest.raises(RequestError, match="'needs'.*amount"):
        get_historical_features(make_engine(), contents(stats, odfv), entity, ["needs:o"])


def test_entity_frame_with_a_feature_name_is_refused(make_engine: Callable[..., Store], tmp_path: Path) -> None:
    view = _stats(tmp_path)
    entity = pd.DataFrame({"driver_id": [1], "event_timestamp": [ts(1)], "rate": [0.0]})
    with pytest.raises(RequestError, match="rate"):
        get_historical_features(make_engine(), contents(view), entity, ["stats:rate"]).to_df()


def test_bad_entity_input_type(make_engine: Callable[..., Store], tmp_path: Path) -> None:
    view = _stats(tmp_path)
    with pytest.raises(RequestError, match="DataFrame, a pyarrow Table or a SQL string"):
        get_historical_features(make_engine(), contents(view), [1, 2], ["stats:rate"])


def test_config_section() -> None:
    config = RepoConfig(project="p", offline_store={"type": "file", "memory_limit": "512MB", "threads": 1})
    section = section_config(config, "offline_store")
    assert isinstance(section, Config) and section.memory_limit == "512MB"
    wrong = RepoConfig(project="p", offline_store={"type": "duckdb", "memory": "1GB"})
    with pytest.raises(ConfigError, match="unknown key 'offline_store.memory'"):
        section_config(wrong, "offline_store")


def test_memory_knobs_reach_duckdb(tmp_path: Path) -> None:
    store = Store.from_config(
        {"type": "duckdb", "memory_limit": "300MB", "threads": 1, "temp_directory": "spill"},
        resolve=lambda p: tmp_path / p,
    )
    with store._cursor() as cur:
        limit, threads, temp = cur.sql(
            "SELECT current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory')"
        ).fetchall()[0]
    store.close()
    assert limit.startswith("286") and threads == 1 and temp == str(tmp_path / "spill")


@pytest.mark.parametrize("strategy", ["hash", "asof"])
def test_big_join_spills_under_a_small_memory_limit(tmp_path: Path, strategy: str) -> None:
    import numpy as np
    import pyarrow.parquet as pq

    # 400k source rows x 10 columns and 400k entity rows: ~75 MB of inputs and results, limit 50 MB
    n = 400_000
    rng = np.random.default_rng(1)
    times = pa.array(rng.integers(0, 10**12, n), pa.timestamp("us"))
    source = {"driver_id": rng.integers(0, n // 4, n), "event_ts": times}
    source.update({f"x{i}": rng.random(n) for i in range(8)})
    pq.write_table(pa.table(source), tmp_path / "big.parquet", row_group_size=100_000)
    view = make_view("big", "big.parquet", [f"x{i}" for i in range(8)])
    store = Store.from_config(
        Config(memory_limit="50MB", threads=1, temp_directory="spill", join_strategy=strategy),
        resolve=lambda p: tmp_path / p,
    )
    entity = pd.DataFrame(
        {
            "driver_id": rng.integers(0, n // 4, n),
            "event_timestamp": pd.to_datetime(rng.integers(0, 10**12, n), unit="us"),
        }
    )
    refs = [f"big:x{i}" for i in range(8)]
    df = get_historical_features(store, contents(view), entity, refs).to_df()
    store.close()
    assert len(df) == n and df["x0"].notna().sum() > n // 2


def test_concurrent_retrievals_share_one_engine(make_engine: Callable[..., Store], tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    view = _stats(tmp_path)
    engine = make_engine()

    def retrieve(key: int) -> list[object]:
        entity = pd.DataFrame({"driver_id": [key] * 50, "event_timestamp": [ts(1)] * 50})
        return get_historical_features(engine, contents(view), entity, ["stats:rate"]).to_df()["rate"].tolist()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(retrieve, [1, 2] * 4))
    assert results == [[0.5] * 50, [1.5] * 50] * 4
