"""Point-in-time semantics of historical retrieval, under both join plans."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from featurevault._backends.offline.base import OfflineStore as Store
from featurevault._model import Entity, Field, OnDemandFeatureView, RequestSource
from featurevault._ops.historical import get_historical_features
from featurevault.types import Float64, Int64, String

from .conftest import DRIVER, contents, make_view, ts, write_parquet


def entity_df(
    rows: list[tuple[object, ...]], columns: tuple[str, ...] = ("driver_id", "event_timestamp")
) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns))


def values(df: pd.DataFrame, column: str) -> list[object]:
    return [None if pd.isna(v) else v for v in df[column]]


def test_ttl_window_boundaries(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [0.5]})
    view = make_view("stats", "f.parquet", ["rate"], ttl=timedelta(hours=1))
    hour = 3600
    rows = [
        (1, ts(hour)),  # exactly t - ttl: included
        (1, ts(hour, 1)),  # one microsecond past the ttl: excluded
        (1, ts(0)),  # exactly t: included
        (1, ts(0, -1)),  # one microsecond before the row exists: excluded
        (1, ts(1800)),
    ]
    df = get_historical_features(engine, contents(view), entity_df(rows), ["stats:rate"]).to_df()
    assert values(df, "rate") == [0.5, None, 0.5, None, 0.5]


def test_zero_and_none_ttl_are_unbounded(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [0.5]})
    for ttl in (timedelta(0), None):
        view = make_view("stats", "f.parquet", ["rate"], ttl=ttl)
        df = get_historical_features(engine, contents(view), entity_df([(1, ts(10**8))]), ["stats:rate"]).to_df()
        assert values(df, "rate") == [0.5]


def test_latest_version_wins_and_never_a_future_row(engine: Store, tmp_path: Path) -> None:
    write_parquet(
        tmp_path / "f.parquet",
        {"driver_id": [1, 1, 1], "event_ts": [ts(0), ts(100), ts(200)], "rate": [1.0, 2.0, 3.0]},
    )
    view = make_view("stats", "f.parquet", ["rate"])
    rows = [(1, ts(-1)), (1, ts(50)), (1, ts(100)), (1, ts(199)), (1, ts(10_000))]
    df = get_historical_features(engine, contents(view), entity_df(rows), ["stats:rate"]).to_df()
    assert values(df, "rate") == [None, 1.0, 2.0, 2.0, 3.0]


def test_event_time_ties_go_to_latest_created(engine: Store, tmp_path: Path) -> None:
    write_parquet(
        tmp_path / "f.parquet",
        {
            "driver_id": [1, 1, 1, 2, 2],
            "event_ts": [ts(0), ts(0), ts(0), ts(0), ts(0)],
            "created": [ts(5), ts(9), ts(7), None, ts(1)],
            "rate": [5.0, 9.0, 7.0, 0.0, 1.0],
        },
    )
    view = make_view("stats", "f.parquet", ["rate"], created="created")
    df = get_historical_features(engine, contents(view), entity_df([(1, ts(1)), (2, ts(1))]), ["stats:rate"]).to_df()
    assert values(df, "rate") == [9.0, 1.0]


def test_null_feature_values_are_kept_not_skipped(engine: Store, tmp_path: Path) -> None:
    write_parquet(
        tmp_path / "f.parquet",
        {"driver_id": [1, 1], "event_ts": [ts(0), ts(10)], "rate": [1.0, None], "trips": [3.0, 4.0]},
    )
    view = make_view("stats", "f.parquet", ["rate", "trips"])
    refs = ["stats:rate", "stats:trips"]
    df = get_historical_features(engine, contents(view), entity_df([(1, ts(20))]), refs).to_df()
    assert values(df, "rate") == [None]
    assert values(df, "trips") == [4.0]


def test_composite_keys(engine: Store, tmp_path: Path) -> None:
    write_parquet(
        tmp_path / "f.parquet",
        {
            "driver_id": [1, 1, 2],
            "city": ["a", "b", "a"],
            "event_ts": [ts(0), ts(0), ts(0)],
            "rate": [1.0, 2.0, 3.0],
        },
    )
    ride = Entity(name="ride", join_keys=["driver_id", "city"])
    view = make_view("stats", "f.parquet", ["rate"], entities=[ride], key_types={"city": String})
    rows = [(1, "b", ts(1)), (2, "a", ts(1)), (2, "b", ts(1)), (1, "a", ts(1))]
    df = get_historical_features(
        engine, contents(view), entity_df(rows, ("driver_id", "city", "event_timestamp")), ["stats:rate"]
    ).to_df()
    assert values(df, "rate") == [2.0, 3.0, None, 1.0]


def test_duplicates_and_shuffled_order_are_preserved(engine: Store, tmp_path: Path) -> None:
    write_parquet(
        tmp_path / "f.parquet",
        {"driver_id": list(range(50)), "event_ts": [ts(i) for i in range(50)], "rate": [float(i) for i in range(50)]},
    )
    view = make_view("stats", "f.parquet", ["rate"])
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 60, 400)  # duplicates, and ids with no rows
    rows = [(int(i), ts(100)) for i in ids]
    df = get_historical_features(engine, contents(view), entity_df(rows), ["stats:rate"]).to_df()
    assert len(df) == 400
    assert df["driver_id"].tolist() == [int(i) for i in ids]
    assert values(df, "rate") == [float(i) if i < 50 else None for i in ids]


def test_output_columns_timezone_and_extra_entity_columns(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [0.5], "trips": [2.0]})
    view = make_view("stats", "f.parquet", ["rate", "trips"])
    entity = pd.DataFrame({"label": [True], "event_timestamp": [ts(1)], "driver_id": [1]})
    refs = ["stats:trips", "stats:rate"]
    job = get_historical_features(engine, contents(view), entity, refs, full_feature_names=True)
    df = job.to_df()
    assert list(df.columns) == ["label", "event_timestamp", "driver_id", "stats__trips", "stats__rate"]
    assert str(df["event_timestamp"].dt.tz) == "UTC"
    assert df["event_timestamp"][0] == pd.Timestamp(ts(1), tz="UTC")
    assert job.full_feature_names
    assert job.to_arrow().column_names == list(df.columns)


def test_timezone_aware_entity_timestamps_are_converted(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1, 1], "event_ts": [ts(0), ts(3600)], "rate": [1.0, 2.0]})
    view = make_view("stats", "f.parquet", ["rate"])
    # 14:30 in UTC+2 is 12:30 UTC: after the first row, before the second
    local = pd.Timestamp(ts(1800 + 7200)).tz_localize("Etc/GMT-2")
    df = get_historical_features(engine, contents(view), entity_df([(1, local)]), ["stats:rate"]).to_df()
    assert values(df, "rate") == [1.0]
    assert df["event_timestamp"][0] == pd.Timestamp(ts(1800), tz="UTC")


def test_several_views_and_an_on_demand_view(engine: Store, tmp_path: Path) -> None:
    write_parquet(
        tmp_path / "a.parquet", {"driver_id": [1, 2], "event_ts": [ts(0), ts(0)], "rate": [0.5, 0.25], "x": [1.0, 2.0]}
    )
    write_parquet(tmp_path / "b.parquet", {"driver_id": [1], "event_ts": [ts(5)], "trips": [10.0]})
    stats = make_view("stats", "a.parquet", ["rate", "x"])
    trips = make_view("trips", "b.parquet", ["trips"])
    request = RequestSource(name="req", schema=[Field(name="bonus", dtype=Float64)])

    def scaled(frame: pd.DataFrame) -> pd.DataFrame:
        # inputs under short and view__feature names, request columns alongside
        assert (frame["rate"].fillna(-1) == frame["stats__rate"].fillna(-1)).all()
        return pd.DataFrame({"score": frame["rate"] * 100 + frame["bonus"], "n": [3] * len(frame)})

    odfv = OnDemandFeatureView(
        name="scores",
        sources=[stats[["rate"]], request],
        schema=[Field(name="score", dtype=Float64), Field(name="n", dtype=Int64)],
        udf=scaled,
    )
    entity = pd.DataFrame({"driver_id": [2, 1, 3], "event_timestamp": [ts(10)] * 3, "bonus": [1.0, 2.0, 3.0]})
    repo = contents(stats, trips, odfv)
    df = get_historical_features(engine, repo, entity, ["trips:trips", "scores:score", "stats:x", "scores:n"]).to_df()
    assert list(df.columns) == ["driver_id", "event_timestamp", "bonus", "trips", "x", "score", "n"]  # on-demand last
    assert values(df, "score") == [26.0, 52.0, None]
    assert values(df, "trips") == [None, 10.0, None]
    assert values(df, "x") == [2.0, 1.0, None]
    assert df["n"].dtype == "int64"
    assert "rate" not in df.columns  # fetched only as an input of the on-demand view


def test_python_mode_on_demand_view(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "a.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [0.5]})
    stats = make_view("stats", "a.parquet", ["rate"])

    def doubled(inputs: dict[str, list[object]]) -> dict[str, list[object]]:
        return {"double_rate": [None if r is None or r != r else r * 2 for r in inputs["stats__rate"]]}

    odfv = OnDemandFeatureView(
        name="doubles", sources=[stats], schema=[Field(name="double_rate", dtype=Float64)], udf=doubled, mode="python"
    )
    entity = entity_df([(1, ts(1)), (9, ts(1))])
    refs = ["doubles:double_rate"]
    job = get_historical_features(engine, contents(stats, odfv), entity, refs, full_feature_names=True)
    df = job.to_df()
    assert list(df.columns) == ["driver_id", "event_timestamp", "doubles__double_rate"]
    assert values(df, "doubles__double_rate") == [1.0, None]


def test_entityless_view_joins_on_time_only(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "g.parquet", {"event_ts": [ts(0), ts(100)], "traffic": [1.0, 2.0]})
    view = make_view("globals", "g.parquet", ["traffic"], entities=[], ttl=timedelta(seconds=50))
    rows = [(7, ts(10)), (8, ts(120)), (9, ts(99)), (1, ts(-5))]
    df = get_historical_features(engine, contents(view), entity_df(rows), ["globals:traffic"]).to_df()
    assert values(df, "traffic") == [1.0, 2.0, None, None]


def test_sql_entity_query_can_read_files(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1, 1], "event_ts": [ts(0), ts(10)], "rate": [1.0, 2.0]})
    write_parquet(tmp_path / "orders.parquet", {"driver_id": [1, 1, 2], "order_ts": [ts(5), ts(11), ts(11)]})
    view = make_view("stats", "f.parquet", ["rate"])
    orders = tmp_path / "orders.parquet"
    reader = f"parquet.`{orders}`" if engine.type_name == "spark" else f"read_parquet('{orders}')"
    sql = f"SELECT driver_id, order_ts AS event_timestamp FROM {reader}"
    df = get_historical_features(engine, contents(view), sql, ["stats:rate"]).to_df()
    assert values(df, "rate") == [1.0, 2.0, None]
    assert str(df["event_timestamp"].dt.tz) == "UTC"


def test_single_timestamp_column_with_another_name(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [1.0]})
    view = make_view("stats", "f.parquet", ["rate"])
    entity = pd.DataFrame({"driver_id": [1, 1], "when": [ts(-1), ts(1)]})
    df = get_historical_features(engine, contents(view), entity, ["stats:rate"]).to_df()
    assert values(df, "rate") == [None, 1.0]


def test_null_entity_timestamps_and_keys_match_nothing(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [1.0]})
    view = make_view("stats", "f.parquet", ["rate"], ttl=timedelta(days=1))
    entity = pd.DataFrame({"driver_id": [1, None, 1], "event_timestamp": [None, ts(1), ts(1)]})
    entity["driver_id"] = entity["driver_id"].astype("Int64")
    df = get_historical_features(engine, contents(view), entity, ["stats:rate"]).to_df()
    assert values(df, "rate") == [None, None, 1.0]
    only_nulls = entity.iloc[:1]
    df = get_historical_features(engine, contents(view), only_nulls, ["stats:rate"]).to_df()
    assert values(df, "rate") == [None]


def test_huge_ttl(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [1.0]})
    view = make_view("stats", "f.parquet", ["rate"], ttl=timedelta(days=999_999))
    df = get_historical_features(engine, contents(view), entity_df([(1, ts(1))]), ["stats:rate"]).to_df()
    assert values(df, "rate") == [1.0]


def test_empty_entity_frame(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [1.0]})
    view = make_view("stats", "f.parquet", ["rate"])
    entity = pd.DataFrame(
        {"driver_id": pd.Series([], dtype="int64"), "event_timestamp": pd.Series([], dtype="datetime64[us]")}
    )
    df = get_historical_features(engine, contents(view), entity, ["stats:rate"]).to_df()
    assert list(df.columns) == ["driver_id", "event_timestamp", "rate"] and len(df) == 0


@pytest.mark.parametrize("key_values", [["a", "b"], [10, 20]])
def test_key_types_round_trip(engine: Store, tmp_path: Path, key_values: list[object]) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": key_values, "event_ts": [ts(0), ts(0)], "rate": [1.0, 2.0]})
    key_type = String if isinstance(key_values[0], str) else Int64
    view = make_view("stats", "f.parquet", ["rate"], entities=[DRIVER], key_types={"driver_id": key_type})
    df = get_historical_features(engine, contents(view), entity_df([(key_values[1], ts(1))]), ["stats:rate"]).to_df()
    assert values(df, "rate") == [2.0]
    assert df["driver_id"].tolist() == [key_values[1]]
