"""Source layouts the DuckDB engine reads: CSV, directories, hive partitions, field mapping, errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from featurevault._backends.offline.duckdb import Store
from featurevault.errors import DataSourceError, EntityKeyError, SchemaMismatchError
from featurevault._ops.historical import get_historical_features
from featurevault._ops.offline_specs import source_spec, view_spec

from .conftest import contents, make_view, ts, write_parquet


def entity(rows: list[tuple[int, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["driver_id", "event_timestamp"])


def rates(df: pd.DataFrame, column: str = "rate") -> list[object]:
    return [None if pd.isna(v) else v for v in df[column]]


def test_csv_source(engine: Store, tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text(
        "driver_id,event_ts,rate\n1,2024-01-15 12:00:00,0.5\n1,2024-01-15 13:00:00,0.75\n2,2024-01-15 12:00:00,1.5\n"
    )
    view = make_view("stats", "f.csv", ["rate"])
    rows = entity([(1, ts(1800)), (2, ts(0)), (1, ts(-1))])
    df = get_historical_features(engine, contents(view), rows, ["stats:rate"]).to_df()
    assert rates(df) == [0.5, 1.5, None]


def test_directory_of_parquet_files(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "data" / "part-0.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [1.0]})
    write_parquet(tmp_path / "data" / "part-1.parquet", {"driver_id": [1], "event_ts": [ts(10)], "rate": [2.0]})
    view = make_view("stats", "data", ["rate"])
    df = get_historical_features(engine, contents(view), entity([(1, ts(5)), (1, ts(20))]), ["stats:rate"]).to_df()
    assert rates(df) == [1.0, 2.0]


def test_glob_path(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "data" / "a.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [1.0]})
    write_parquet(tmp_path / "data" / "b.parquet", {"driver_id": [2], "event_ts": [ts(0)], "rate": [2.0]})
    write_parquet(tmp_path / "data" / "skip.pq", {"driver_id": [2], "event_ts": [ts(1)], "rate": [9.0]})
    view = make_view("stats", "data/*.parquet", ["rate"])
    df = get_historical_features(engine, contents(view), entity([(1, ts(5)), (2, ts(5))]), ["stats:rate"]).to_df()
    assert rates(df) == [1.0, 2.0]


def test_field_mapping_renames_source_columns(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"id": [1], "ts_raw": [ts(0)], "r": [0.5]})
    view = make_view(
        "stats", "f.parquet", ["rate"], timestamp_field="ts_raw", field_mapping={"id": "driver_id", "r": "rate"}
    )
    df = get_historical_features(engine, contents(view), entity([(1, ts(1))]), ["stats:rate"]).to_df()
    assert rates(df) == [0.5]
    assert engine.schema(source_spec(view.source)).names == ["driver_id", "ts_raw", "rate"]


def _hive_dataset(root: Path) -> None:
    for day, rate in (("2024-01-13", 1.0), ("2024-01-14", 2.0), ("2024-01-15", 3.0)):
        hour = ts(0).replace(day=int(day[-2:]))
        write_parquet(root / f"date={day}" / "part-0.parquet", {"driver_id": [1], "event_ts": [hour], "rate": [rate]})


def test_hive_partitioned_source(engine: Store, tmp_path: Path) -> None:
    _hive_dataset(tmp_path / "hive")
    view = make_view("stats", "hive", ["rate"], ttl=timedelta(days=30))
    df = get_historical_features(engine, contents(view), entity([(1, ts(0)), (1, ts(-86400))]), ["stats:rate"]).to_df()
    assert rates(df) == [3.0, 2.0]


def test_hive_partitions_outside_the_range_are_not_read(engine: Store, tmp_path: Path) -> None:
    _hive_dataset(tmp_path / "hive")
    # a corrupt file in a partition far before the query window (t - ttl) and one after it
    for day in ("2023-06-01", "2024-03-01"):
        bad = tmp_path / "hive" / f"date={day}" / "part-0.parquet"
        bad.parent.mkdir(parents=True)
        bad.write_bytes(b"not a parquet file")
    view = make_view("stats", "hive", ["rate"], ttl=timedelta(hours=30))
    df = get_historical_features(engine, contents(view), entity([(1, ts(0)), (1, ts(60))]), ["stats:rate"]).to_df()
    assert rates(df) == [3.0, 3.0]
    # unbounded ttl must read the early partition, and so meets the corrupt file
    unbounded = make_view("stats", "hive", ["rate"], ttl=None)
    with pytest.raises(DataSourceError, match="stats_source"):
        get_historical_features(engine, contents(unbounded), entity([(1, ts(0))]), ["stats:rate"]).to_df()


def test_hive_partition_named_by_date_partition_column(engine: Store, tmp_path: Path) -> None:
    for day, rate in (("20240114", 2.0), ("20240115", 3.0)):
        hour = ts(0).replace(day=int(day[-2:]))
        part = tmp_path / "h" / f"day_key={day}" / "p.parquet"
        write_parquet(part, {"driver_id": [1], "event_ts": [hour], "rate": [rate]})
    corrupt = tmp_path / "h" / "day_key=20230101" / "p.parquet"
    corrupt.parent.mkdir()
    corrupt.write_bytes(b"garbage")
    view = make_view("stats", "h", ["rate"], ttl=timedelta(days=1), date_partition_column="day_key")
    df = get_historical_features(engine, contents(view), entity([(1, ts(0))]), ["stats:rate"]).to_df()
    assert rates(df) == [3.0]


def test_missing_path_names_source_and_path(engine: Store, tmp_path: Path) -> None:
    view = make_view("stats", "nowhere/f.parquet", ["rate"])
    with pytest.raises(DataSourceError, match=r"stats_source.*nowhere/f\.parquet"):
        get_historical_features(engine, contents(view), entity([(1, ts(0))]), ["stats:rate"]).to_df()


def test_delta_without_deltalake_is_a_clear_error(engine: Store, tmp_path: Path) -> None:
    (tmp_path / "delta_table" / "_delta_log").mkdir(parents=True)
    view = make_view("stats", "delta_table", ["rate"], file_format="delta")
    with pytest.raises(DataSourceError, match="deltalake"):
        get_historical_features(engine, contents(view), entity([(1, ts(0))]), ["stats:rate"]).to_df()


def test_missing_feature_column_in_source(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [0.5]})
    view = make_view("stats", "f.parquet", ["rate", "speed"])
    with pytest.raises(DataSourceError, match="'speed'"):
        get_historical_features(engine, contents(view), entity([(1, ts(0))]), ["stats:speed"]).to_df()


def test_missing_join_key_names_key_and_view(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [0.5]})
    view = make_view("stats", "f.parquet", ["rate"])
    frame = pd.DataFrame({"rider_id": [1], "event_timestamp": [ts(0)]})
    with pytest.raises(EntityKeyError, match=r"'driver_id'.*'stats'"):
        get_historical_features(engine, contents(view), frame, ["stats:rate"])
    sql = "SELECT 1 AS rider_id, TIMESTAMP '2024-01-15 12:00:00' AS event_timestamp"
    with pytest.raises(EntityKeyError, match=r"'driver_id'.*'stats'"):
        get_historical_features(engine, contents(view), sql, ["stats:rate"]).to_df()


def test_join_key_type_mismatch_is_named(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [0.5]})
    view = make_view("stats", "f.parquet", ["rate"])
    frame = pd.DataFrame({"driver_id": ["one"], "event_timestamp": [ts(0)]})
    with pytest.raises(SchemaMismatchError, match=r"join key 'driver_id': value 'one' .*Int64"):
        get_historical_features(engine, contents(view), frame, ["stats:rate"]).to_df()
    lossless = pd.DataFrame({"driver_id": ["1"], "event_timestamp": [ts(0)]})
    assert get_historical_features(engine, contents(view), lossless, ["stats:rate"]).to_df()["rate"].tolist() == [0.5]


def test_no_timestamp_column_names_columns_found(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [0.5]})
    view = make_view("stats", "f.parquet", ["rate"])
    with pytest.raises(EntityKeyError, match=r"no timestamp column.*driver_id \(int64\), note"):
        get_historical_features(engine, contents(view), pd.DataFrame({"driver_id": [1], "note": ["x"]}), ["stats:rate"])
    two = pd.DataFrame({"driver_id": [1], "a": [ts(0)], "b": [ts(0)]})
    with pytest.raises(EntityKeyError, match="several timestamp columns"):
        get_historical_features(engine, contents(view), two, ["stats:rate"])


def test_bad_entity_sql_is_a_data_source_error(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [0.5]})
    view = make_view("stats", "f.parquet", ["rate"])
    with pytest.raises(DataSourceError, match="entity query"):
        get_historical_features(engine, contents(view), "SELEC nonsense", ["stats:rate"]).to_df()


def test_time_range_and_schema(engine: Store, tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1, 2], "event_ts": [ts(5), ts(-5)], "rate": [0.5, 1.0]})
    view = make_view("stats", "f.parquet", ["rate"])
    low, high = engine.time_range(view_spec(view))
    assert low == pd.Timestamp(ts(-5), tz="UTC").to_pydatetime()
    assert high == pd.Timestamp(ts(5), tz="UTC").to_pydatetime()
    assert engine.schema(source_spec(view.source)).names == ["driver_id", "event_ts", "rate"]
