"""What only the Spark engine has: Spark DataFrames in and out, laziness, partition pruning in the plan,
and every feature dtype surviving the trip through Spark (Arrow conversion, pandas 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurevault._backends.offline import duckdb as duckdb_engine
from featurevault._backends.offline.base import OfflineStore
from featurevault.errors import RequestError
from featurevault._model import Entity, FeatureView, Field, FileSource, SparkSource
from featurevault._ops.historical import get_historical_features
from featurevault._model.types import PRIMITIVES, Array, Int64

from .conftest import DRIVER, contents, make_view, spark_engine, ts, write_parquet

pytestmark = pytest.mark.xdist_group("spark")

T = datetime(2024, 1, 1, 12, tzinfo=UTC)
#: one non-null and one null value of every feature type (Json is text; arrays of every scalar type)
SAMPLES: dict[str, list[Any]] = {
    "Int32": [7, None],
    "Int64": [2**53 + 1, None],
    "Float32": [0.5, None],
    "Float64": [0.1, None],
    "String": ["é", None],
    "Bool": [False, None],
    "Bytes": [b"\x00\xff", None],
    "UnixTimestamp": [T, None],
    "Map": [[("k", "v")], None],
    "Json": ['{"a": 1}', None],
}


@pytest.fixture
def spark_store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    store = spark_engine(request, tmp_path)
    yield store
    store.close()


def _typed_view(tmp_path: Path) -> tuple[FeatureView, list[str]]:
    columns: dict[str, pa.Array] = {}
    for name, values in SAMPLES.items():
        dtype = PRIMITIVES[name]
        columns[f"f_{name}"] = pa.array(values, dtype.to_arrow())
        if name not in ("Map", "Json"):
            columns[f"a_{name}"] = pa.array([[values[0], None], None], Array(dtype).to_arrow())
    keys = {"driver_id": pa.array([1, 2]), "event_ts": pa.array([ts(0), ts(0)], pa.timestamp("us"))}
    pq.write_table(pa.table({**keys, **columns}), tmp_path / "typed.parquet")
    schema = [Field(name="driver_id", dtype=Int64)]
    for column in columns:
        kind = column[2:]
        schema.append(Field(name=column, dtype=PRIMITIVES[kind] if column[0] == "f" else Array(PRIMITIVES[kind])))
    source = FileSource(name="typed_source", path="typed.parquet", timestamp_field="event_ts")
    view = FeatureView(name="typed", source=source, entities=[DRIVER], schema=schema)
    return view, list(columns)


def test_every_feature_dtype_round_trips_like_duckdb(spark_store: OfflineStore, tmp_path: Path) -> None:
    view, features = _typed_view(tmp_path)
    refs = [f"typed:{f}" for f in features]
    entity = pd.DataFrame({"driver_id": [2, 1, 3], "event_timestamp": [ts(1)] * 3})
    duck = duckdb_engine.Store(duckdb_engine.Config(), resolve=lambda p: tmp_path / p)
    expected = get_historical_features(duck, contents(view), entity, refs).to_arrow()
    got = get_historical_features(spark_store, contents(view), entity, refs).to_arrow()
    assert got.schema == expected.schema
    assert got.equals(expected)
    source = pq.read_table(tmp_path / "typed.parquet")
    for name in features:  # row order 2, 1, 3: the null row, the full row, no match
        assert got.column(name).to_pylist() == [source.column(name)[1].as_py(), source.column(name)[0].as_py(), None]
    pd.testing.assert_frame_equal(
        get_historical_features(spark_store, contents(view), entity, refs).to_df(), expected.to_pandas()
    )
    duck.close()


def test_spark_dataframe_in_and_out_without_collecting(spark_store: Any, tmp_path: Path) -> None:
    write_parquet(
        tmp_path / "f.parquet", {"driver_id": [1, 1, 2], "event_ts": [ts(0), ts(10), ts(0)], "rate": [1.0, 2.0, 3.0]}
    )
    view = make_view("stats", "f.parquet", ["rate"], ttl=timedelta(seconds=5))
    spark = spark_store.spark
    context = spark.sparkContext
    context.setJobGroup("fv-lazy", "no job may run before the caller collects")
    entity = pd.DataFrame({"driver_id": [2, 1, 1, 9], "event_timestamp": [ts(3), ts(3), ts(12), ts(12)]})
    frame = get_historical_features(spark_store, contents(view), entity, ["stats:rate"]).to_spark_df()
    assert type(frame).__module__.startswith("pyspark.sql")
    tracker = context.statusTracker()
    stages = [
        tracker.getStageInfo(stage).name
        for job in tracker.getJobIdsForGroup("fv-lazy")
        for stage in tracker.getJobInfo(job).stageIds
    ]
    assert all(name.startswith("load at") for name in stages), stages  # reading Parquet footers only
    assert [r["rate"] for r in frame.collect()] == [3.0, 1.0, 2.0, None]
    context.setJobGroup("fv-other", "")
    # text timestamps, built from Arrow (pyspark's pandas path is the one it warns about under pandas 3)
    spark_entity = spark.createDataFrame(
        pa.Table.from_pandas(entity.assign(event_timestamp=entity["event_timestamp"].astype(str)))
    )
    from_spark = get_historical_features(spark_store, contents(view), spark_entity, ["stats:rate"]).to_df()
    assert from_spark["rate"].tolist()[:3] == [3.0, 1.0, 2.0] and pd.isna(from_spark["rate"].tolist()[3])
    assert str(from_spark["event_timestamp"].dt.tz) == "UTC"


def test_date_partitions_outside_the_window_are_pruned_in_the_plan(spark_store: Any, tmp_path: Path) -> None:
    for day in range(14, 21):
        when = datetime(2024, 1, day, 12)
        write_parquet(
            tmp_path / "h" / f"date=2024-01-{day}" / "p.parquet",
            {"driver_id": [1], "event_ts": [when], "rate": [float(day)]},
        )
    source = SparkSource(name="h_source", path=str(tmp_path / "h"), file_format="parquet", timestamp_field="event_ts")
    view = FeatureView(
        name="h",
        source=source,
        entities=[DRIVER],
        ttl=timedelta(hours=1),
        schema=[Field(name="driver_id", dtype=Int64), Field(name="rate", dtype=PRIMITIVES["Float64"])],
    )
    entity = pd.DataFrame({"driver_id": [1], "event_timestamp": [datetime(2024, 1, 17, 12, 30)]})
    frame = get_historical_features(spark_store, contents(view), entity, ["h:rate"]).to_spark_df()
    plan = frame._jdf.queryExecution().executedPlan().toString()
    assert "PartitionFilters: [isnotnull(date" in plan
    assert "2024-01-16" in plan and "2024-01-18" in plan  # one day of slack each side of the window
    assert [r["rate"] for r in frame.collect()] == [17.0]
    assert [files_read(node) for node in file_scans(frame._jdf.queryExecution().executedPlan())] == [3]


def file_scans(node: Any) -> list[Any]:
    """The file scan nodes of an executed Spark plan (through adaptive query stages)."""
    name = node.nodeName()
    if name == "AdaptiveSparkPlan":
        return file_scans(node.executedPlan())
    if name.endswith("QueryStage"):
        return file_scans(node.plan())
    found = [node] if node.metrics().contains("numFiles") else []
    children = node.children()
    return found + [scan for i in range(children.size()) for scan in file_scans(children.apply(i))]


def files_read(scan: Any) -> int:
    return int(scan.metrics().apply("numFiles").value())


def test_to_spark_df_needs_the_spark_engine(tmp_path: Path) -> None:
    write_parquet(tmp_path / "f.parquet", {"driver_id": [1], "event_ts": [ts(0)], "rate": [1.0]})
    view = make_view("stats", "f.parquet", ["rate"])
    duck = duckdb_engine.Store(duckdb_engine.Config(), resolve=lambda p: tmp_path / p)
    entity = pd.DataFrame({"driver_id": [1], "event_timestamp": [ts(1)]})
    with pytest.raises(RequestError, match="to_spark_df needs the spark offline store"):
        get_historical_features(duck, contents(view), entity, ["stats:rate"]).to_spark_df()
    duck.close()


def test_spark_source_table_and_query(spark_store: Any, tmp_path: Path) -> None:
    rows = pa.table({"driver_id": [1, 2], "ts": pa.array([T, T], pa.timestamp("us", tz="UTC")), "rate": [0.5, 0.7]})
    spark_store.spark.createDataFrame(rows.to_pylist()).createOrReplaceTempView("driver_rates")
    entity = pd.DataFrame({"driver_id": [2, 1], "event_timestamp": [T + timedelta(1), T - timedelta(1)]})
    for source in (
        SparkSource(table="driver_rates", timestamp_field="ts"),
        SparkSource(name="q", query="SELECT driver_id, ts, rate * 2 AS rate FROM driver_rates", timestamp_field="ts"),
    ):
        view = FeatureView(
            name="rates",
            source=source,
            entities=[Entity(name="driver", join_keys=["driver_id"])],
            schema=[Field(name="rate", dtype=PRIMITIVES["Float64"])],
        )
        df = get_historical_features(spark_store, contents(view), entity, ["rates:rate"]).to_df()
        factor = 2 if source.query else 1
        assert df["rate"].tolist()[0] == 0.7 * factor and pd.isna(df["rate"].tolist()[1])
