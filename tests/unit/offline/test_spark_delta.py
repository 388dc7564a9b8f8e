"""Delta tables on the Spark engine without Delta Lake's Spark package: the snapshot resolved by deltalake,
exactly its Parquet files read by Spark, the same rows as DuckDB at every version, tables needing reader
features that reading the files cannot honour refused by name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from featurevault._backends.offline import duckdb as duckdb_engine
from featurevault._backends.offline import spark_files
from featurevault.errors import DataSourceError
from featurevault._model import DeltaSource, FeatureView, Field, FileSource
from featurevault._ops.historical import get_historical_features
from featurevault._ops.offline_specs import source_spec
from featurevault.types import Float64, Int64, String

from .conftest import DRIVER, contents, spark_engine

pytestmark = pytest.mark.xdist_group("spark")

DAY = datetime(2024, 3, 1, tzinfo=UTC)
SCHEMA = [
    Field(name="driver_id", dtype=Int64),
    Field(name="rate", dtype=Float64),
    Field(name="trips", dtype=Int64),
    Field(name="city", dtype=String),
    Field(name="bonus", dtype=Float64),
]
REFS = ["d:rate", "d:trips", "d:city", "d:bonus"]


def day_rows(day: int, *, bonus: bool = False) -> pa.Table:
    """Drivers 1-3 at 06:00 and 18:00 of day ``day`` (partition event_date), values from the day."""
    times = [DAY + timedelta(days=day, hours=h) for h in (6, 18) for _ in (1, 2, 3)]
    columns: dict[str, Any] = {
        "driver_id": pa.array([1, 2, 3, 1, 2, 3], pa.int64()),
        "event_ts": pa.array(times, pa.timestamp("us", tz="UTC")),
        "rate": pa.array([day + i / 10 for i in range(6)], pa.float64()),
        "trips": pa.array([day * 10 + i for i in range(6)], pa.int64()),
        "city": pa.array([f"c{day}", None, "x", f"c{day}", "y", None]),
        "event_date": pa.array([t.date() for t in times], pa.date32()),
    }
    if bonus:  # a column added by a later version (schema evolution): older files have none
        columns["bonus"] = pa.array([0.5] * 6)
    return pa.table(columns)


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """A Delta table partitioned by event_date: version 0 = days 0-2, 1 = day 3, 2 = day 4 and a new column."""
    from deltalake import write_deltalake

    path = tmp_path / "drivers"
    write_deltalake(str(path), pa.concat_tables([day_rows(d) for d in range(3)]), partition_by=["event_date"])
    write_deltalake(str(path), day_rows(3), mode="append")
    write_deltalake(str(path), day_rows(4, bonus=True), mode="append", schema_mode="merge")
    return path


def view(source: FileSource) -> FeatureView:
    return FeatureView(name="d", source=source, entities=[DRIVER], schema=SCHEMA, ttl=timedelta(days=2))


def entity() -> pd.DataFrame:
    times = [DAY + timedelta(days=d, hours=h) for d in (0, 2, 3, 4, 5, 9) for h in (7, 20)]
    return pd.DataFrame({"driver_id": [1, 2, 3, 4] * 3, "event_timestamp": times})


@pytest.fixture
def engines(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    spark = spark_engine(request, tmp_path)
    duck = duckdb_engine.Store(duckdb_engine.Config(), resolve=lambda p: tmp_path / p)
    yield spark, duck
    spark.close()
    duck.close()


@pytest.mark.parametrize("as_of", [None, 0, 1, 2])
def test_spark_reads_the_same_rows_as_duckdb_at_every_version(engines: Any, table: Path, as_of: int | None) -> None:
    spark, duck = engines
    assert not spark_files.has_delta(spark.spark)  # pyspark's wheel ships no Delta: the deltalake path
    source = DeltaSource(name="drivers", path="drivers", timestamp_field="event_ts", as_of=as_of)
    repo = contents(view(source))
    refs = REFS if as_of in (None, 2) else REFS[:-1]  # bonus came with version 2
    expected = get_historical_features(duck, repo, entity(), refs).to_df()
    got = get_historical_features(spark, repo, entity(), refs).to_df()
    pd.testing.assert_frame_equal(got, expected)
    newest = 4 if as_of in (None, 2) else 3 if as_of == 1 else 2
    assert got["rate"].notna().any()
    assert got.loc[got["event_timestamp"] > DAY + timedelta(days=newest + 3), "rate"].isna().all()
    assert got.loc[got["event_timestamp"] < DAY + timedelta(days=newest + 1), "rate"].notna().any()


def test_a_file_source_in_delta_format_and_a_spark_source_read_the_table_too(engines: Any, table: Path) -> None:
    from featurevault._model import SparkSource

    spark, duck = engines
    expected = get_historical_features(
        duck,
        contents(view(FileSource(name="f", path="drivers", file_format="delta", timestamp_field="event_ts"))),
        entity(),
        REFS,
    ).to_df()
    for source in (
        FileSource(name="f", path="drivers", file_format="delta", timestamp_field="event_ts"),
        SparkSource(name="s", path="drivers", file_format="delta", timestamp_field="event_ts"),
    ):
        got = get_historical_features(spark, contents(view(source)), entity(), REFS).to_df()
        pd.testing.assert_frame_equal(got, expected)


def test_only_the_files_of_the_window_are_read(engines: Any, table: Path) -> None:
    spark, _ = engines
    source = DeltaSource(name="drivers", path="drivers", timestamp_field="event_ts")
    snapshot = spark_files.delta_snapshot(source_spec(source), lambda p: table.parent / p)
    assert len(snapshot.files) == 5 and snapshot.partition_schema.field("event_date").type == pa.date32()
    kept = snapshot.pruned(datetime(2024, 3, 4, 7), datetime(2024, 3, 4, 8))
    # the date partitions with a day of slack are 03-03 to 03-05; the log's min/max event times keep one file
    assert [Path(f).parent.name for f in kept.files] == ["event_date=2024-03-04"]
    # a retrieval at day 4 07:00 with a ttl of 2 days needs days 1-5 (a day of slack): day 0 is never opened
    for file in snapshot.files:
        if Path(file).parent.name == "event_date=2024-03-01":
            Path(file).write_bytes(b"not parquet")
    late = pd.DataFrame({"driver_id": [1], "event_timestamp": [DAY + timedelta(days=4, hours=7)]})
    got = get_historical_features(spark, contents(view(source)), late, REFS).to_df()
    assert got["rate"].tolist() == [4.0] and got["bonus"].tolist() == [0.5]


def test_deletion_vectors_are_refused_naming_the_table_and_the_feature(engines: Any, tmp_path: Path) -> None:
    from deltalake import DeltaTable, write_deltalake

    path = tmp_path / "dv"
    write_deltalake(str(path), day_rows(0), configuration={"delta.enableDeletionVectors": "true"})
    assert "deletionVectors" in (DeltaTable(str(path)).protocol().reader_features or [])
    spark, _ = engines
    source = DeltaSource(name="dv_source", path="dv", timestamp_field="event_ts", date_partition_column="")
    with pytest.raises(DataSourceError, match=rf"'dv_source'.*{path}.*deletionVectors.*delta-spark"):
        get_historical_features(spark, contents(view(source)), entity(), REFS).to_df()


def test_column_mapping_is_refused_naming_the_feature(tmp_path: Path) -> None:
    from deltalake import write_deltalake

    write_deltalake(str(tmp_path / "cm"), day_rows(0), configuration={"delta.columnMapping.mode": "name"})
    source = DeltaSource(name="cm_source", path="cm", timestamp_field="event_ts")
    with pytest.raises(DataSourceError, match=r"'cm_source'.*reader feature\(s\) columnMapping"):
        spark_files.delta_snapshot(source_spec(source), lambda p: tmp_path / p)


def test_spark_own_readers_are_used_when_the_session_has_the_jars(
    engines: Any, table: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With delta-spark or hadoop-aws in spark.jars.packages, Spark's readers read the table and the objects
    (here they are not really there, so Spark's own errors show which reader was asked)."""
    spark, _ = engines
    monkeypatch.setattr(spark_files, "has_delta", lambda session: True)
    monkeypatch.setattr(spark_files, "has_s3a", lambda session: True)
    source = DeltaSource(name="drivers", path="drivers", timestamp_field="event_ts")
    with pytest.raises(DataSourceError, match=r"'drivers'.*delta-spark.*spark.jars.packages"):
        get_historical_features(spark, contents(view(source)), entity(), REFS).to_df()
    objects = FileSource(name="objects", path="s3://lake/drivers", timestamp_field="event_ts")
    with pytest.raises(DataSourceError, match=r"'objects'.*Spark cannot read it") as raised:
        get_historical_features(spark, contents(view(objects)), entity(), REFS).to_df()
    assert "S3AFileSystem" in str(raised.value.__cause__)  # Spark asked Hadoop for s3a://
