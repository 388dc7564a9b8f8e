"""Historical retrieval checks the entity frame's join keys against their declared types."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from featurevault._backends.offline.duckdb import Store
from featurevault.errors import RequestError, SchemaMismatchError
from featurevault._ops.historical import get_historical_features

from .conftest import contents, make_view, ts, write_parquet


def _stats(tmp_path: Path) -> object:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1, 2], "event_ts": [ts(0), ts(0)], "rate": [0.5, 1.5]})
    return make_view("stats", "f.parquet", ["rate"])


@pytest.mark.parametrize(
    "keys",
    [["1", "2"], [1.0, 2.0], pa.array([1, 2], pa.int32()), pa.array([1, 2], pa.uint8()), pa.array(["1", "2"])],
    ids=["strings", "floats", "int32", "uint8", "arrow-strings"],
)
def test_lossless_keys_are_converted(make_engine: Callable[..., Store], tmp_path: Path, keys: object) -> None:
    view = _stats(tmp_path)
    entity = pa.table({"driver_id": keys, "event_timestamp": pa.array([ts(5), ts(5)], pa.timestamp("us"))})
    table = get_historical_features(make_engine(), contents(view), entity, ["stats:rate"]).to_arrow()
    assert table.column("driver_id").type == pa.int64()
    assert table.column("driver_id").to_pylist() == [1, 2]
    assert table.column("rate").to_pylist() == [0.5, 1.5]


@pytest.mark.parametrize(
    ("keys", "shown"),
    [(["1", "not-an-int"], "'not-an-int'"), ([1.0, 2.5], "2.5"), ([1, 2**64 - 1], str(2**64 - 1))],
)
def test_keys_that_do_not_fit_name_key_value_and_type(
    make_engine: Callable[..., Store], tmp_path: Path, keys: list[object], shown: str
) -> None:
    view = _stats(tmp_path)
    entity = pd.DataFrame({"driver_id": keys, "event_timestamp": [ts(5), ts(5)]})
    with pytest.raises(SchemaMismatchError) as info:
        get_historical_features(make_engine(), contents(view), entity, ["stats:rate"])
    assert "join key 'driver_id'" in str(info.value) and shown in str(info.value) and "Int64" in str(info.value)


def test_sql_entity_frame_keys_are_checked_too(make_engine: Callable[..., Store], tmp_path: Path) -> None:
    view = _stats(tmp_path)
    engine = make_engine()
    sql = "SELECT * FROM (VALUES ('2', TIMESTAMP '2024-01-15 12:00:05')) AS t(driver_id, event_timestamp)"
    assert get_historical_features(engine, contents(view), sql, ["stats:rate"]).to_arrow().column(
        "rate"
    ).to_pylist() == [1.5]
    bad = "SELECT * FROM (VALUES ('two', TIMESTAMP '2024-01-15 12:00:05')) AS t(driver_id, event_timestamp)"
    with pytest.raises(SchemaMismatchError, match="join key 'driver_id': value 'two'"):
        get_historical_features(engine, contents(view), bad, ["stats:rate"]).to_arrow()


def test_duplicated_column_names_are_a_clear_error(make_engine: Callable[..., Store], tmp_path: Path) -> None:
    view = _stats(tmp_path)
    frame = pd.DataFrame([[1, ts(5), 2]], columns=["driver_id", "event_timestamp", "driver_id"])
    with pytest.raises(RequestError, match="more than one column named 'driver_id'"):
        get_historical_features(make_engine(), contents(view), frame, ["stats:rate"])
    table = pa.Table.from_arrays(
        [pa.array([1]), pa.array([ts(5)], pa.timestamp("us")), pa.array([1])],
        names=["driver_id", "event_timestamp", "driver_id"],
    )
    with pytest.raises(RequestError, match="more than one column named 'driver_id'"):
        get_historical_features(make_engine(), contents(view), table, ["stats:rate"])
    sql = "SELECT 1 AS driver_id, TIMESTAMP '2024-01-15 12:00:05' AS event_timestamp, 2 AS driver_id"
    with pytest.raises(RequestError, match="more than one column named"):
        get_historical_features(make_engine(), contents(view), sql, ["stats:rate"]).to_arrow()
