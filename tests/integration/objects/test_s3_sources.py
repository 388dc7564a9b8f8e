"""Parquet and Delta sources and offline writes in S3-compatible object storage, against moto's standalone
server on loopback, on each engine (Spark without Hadoop's S3A connector: objects listed on the driver,
read by the executors): the same training rows as from local disk, only the needed partitions' objects
read, appends visible to the next read, and errors that name the source, the path and the cause."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from featurevault._backends.offline.base import OfflineStore
from featurevault._backends.offline.duckdb import Config, Store
from featurevault.errors import DataSourceError
from featurevault._model import DeltaSource, FeatureView, Field
from featurevault._ops.historical import get_historical_features
from featurevault._ops.offline_specs import source_spec
from featurevault.types import Float64, Int64
from tests.unit.offline.conftest import DRIVER, SPARK, contents, make_view, spark_engine, write_parquet

from .moto_server import MotoServer

pytestmark = pytest.mark.integration

BUCKET = "features"
DAYS = range(14, 21)


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    with MotoServer(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


@pytest.fixture
def bucket(moto: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A bucket holding a hive-partitioned dataset, also written to ``tmp_path / "h"``; its s3:// prefix."""
    import boto3
    from pyarrow import fs

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3", endpoint_url=moto.endpoint)
    name = f"{BUCKET}-{tmp_path.name[-8:].lower().replace('_', '-')}"
    client.create_bucket(Bucket=name)
    for day in DAYS:
        local = write_parquet(
            tmp_path / "h" / f"date=2024-01-{day}" / "p.parquet",
            {
                "driver_id": [1, 2],
                "event_ts": [datetime(2024, 1, day, 12), datetime(2024, 1, day, 18)],
                "rate": [float(day), day + 0.5],
            },
        )
        client.upload_file(str(local), name, f"h/date=2024-01-{day}/p.parquet")
    assert fs  # pyarrow's S3 support is what the engine uses
    return name


@pytest.fixture(params=["duckdb", SPARK])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OfflineStore]:
    """Each engine in turn; Spark's session has no S3A connector, so it reads the objects itself."""
    if request.param == "spark":
        from featurevault._backends.offline import spark_files

        store: OfflineStore = spark_engine(request, tmp_path)
        assert not spark_files.has_s3a(store.spark)  # type: ignore[attr-defined]
    else:
        store = Store.from_config(Config(), resolve=lambda p: tmp_path / p)
    yield store
    store.close()


def entity() -> pd.DataFrame:
    times = [datetime(2024, 1, 17, 12, 30), datetime(2024, 1, 17, 19), datetime(2024, 1, 17, 10)]
    return pd.DataFrame({"driver_id": [1, 2, 1], "event_timestamp": times})


def test_retrieval_from_s3_equals_local_disk_and_reads_only_needed_partitions(
    moto: MotoServer, bucket: str, engine: OfflineStore
) -> None:
    local_view = make_view("h", "h", ["rate"], ttl=timedelta(hours=2))
    s3_view = make_view("h", f"s3://{bucket}/h", ["rate"], ttl=timedelta(hours=2), s3_endpoint_override=moto.endpoint)
    store = engine
    expected = get_historical_features(store, contents(local_view), entity(), ["h:rate"]).to_df()
    before = len(moto.objects_read(bucket))
    got = get_historical_features(store, contents(s3_view), entity(), ["h:rate"]).to_df()
    pd.testing.assert_frame_equal(got, expected)
    assert got["rate"].tolist()[:2] == [17.0, 17.5] and pd.isna(got["rate"].tolist()[2])
    read = {key.split("/")[1] for key in moto.objects_read(bucket)[before:]}
    assert read and read <= {"date=2024-01-16", "date=2024-01-17", "date=2024-01-18"}  # of 7 partitions


def test_append_writes_new_objects_that_the_next_read_sees(moto: MotoServer, bucket: str, engine: OfflineStore) -> None:
    view = make_view("h", f"s3://{bucket}/h", ["rate"], s3_endpoint_override=moto.endpoint)
    store = engine
    rows = pa.table(
        {
            "driver_id": [3],
            "event_ts": pa.array([datetime(2024, 1, 21, 9)], pa.timestamp("us")),
            "rate": [9.0],
            "date": ["2024-01-21"],
        }
    )
    store.append(source_spec(view.batch_source), rows)
    frame = pd.DataFrame({"driver_id": [3], "event_timestamp": [datetime(2024, 1, 21, 10)]})
    assert get_historical_features(store, contents(view), frame, ["h:rate"]).to_df()["rate"].tolist() == [9.0]


def test_missing_objects_and_bad_endpoints_are_named(moto: MotoServer, bucket: str, engine: OfflineStore) -> None:
    store = engine
    missing = make_view("h", f"s3://{bucket}/nothing", ["rate"], s3_endpoint_override=moto.endpoint)
    with pytest.raises(DataSourceError, match=rf"h_source.*s3://{bucket}/nothing.*does not exist"):
        get_historical_features(store, contents(missing), entity(), ["h:rate"]).to_df()
    unreachable = make_view("h", f"s3://{bucket}/h", ["rate"], s3_endpoint_override="http://127.0.0.1:9")
    with pytest.raises(DataSourceError, match=r"h_source.*cannot list.*127\.0\.0\.1:9"):
        get_historical_features(store, contents(unreachable), entity(), ["h:rate"]).to_df()


def test_bad_credentials_are_reported_as_such(
    engine: OfflineStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a server that checks credentials (moto enforces IAM once its unauthenticated allowance is spent)
    with MotoServer(tmp_path / "auth.log", env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"}) as server:
        for key, value in {
            "AWS_ACCESS_KEY_ID": "AKIAWRONG",
            "AWS_SECRET_ACCESS_KEY": "wrong",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
        }.items():
            monkeypatch.setenv(key, value)
        view = make_view("h", "s3://locked/h", ["rate"], s3_endpoint_override=server.endpoint)
        with pytest.raises(DataSourceError, match=r"h_source.*s3://locked/h.*access denied: check the credentials"):
            get_historical_features(engine, contents(view), entity(), ["h:rate"]).to_df()
        table = FeatureView(
            name="h", source=delta_source("s3://locked/d", server.endpoint), entities=[DRIVER], schema=SCHEMA
        )
        with pytest.raises(DataSourceError, match=r"'hd'.*s3://locked/d.*access denied: check the credentials"):
            get_historical_features(engine, contents(table), entity(), ["h:rate"]).to_df()


# -- Delta tables in object storage (the log read by deltalake; the objects by DuckDB through pyarrow's
# S3FileSystem, or by Spark's executors) --

SCHEMA = [Field(name="driver_id", dtype=Int64), Field(name="rate", dtype=Float64)]


def delta_source(path: str, endpoint: str | None = None, as_of: int | None = None) -> DeltaSource:
    return DeltaSource(
        name="hd",
        path=path,
        timestamp_field="event_ts",
        date_partition_column="date",
        s3_endpoint_override=endpoint,
        as_of=as_of,
    )


@pytest.fixture
def delta_bucket(moto: MotoServer, bucket: str, tmp_path: Path) -> str:
    """A Delta table partitioned by date (one version per day of DAYS, day 20 rewriting driver 1's rate),
    also kept at ``tmp_path / "hd"``, uploaded under ``s3://bucket/hd``."""
    import boto3
    from deltalake import write_deltalake

    for day in DAYS:
        rows = pa.table(
            {
                "driver_id": [1, 2],
                "event_ts": pa.array([datetime(2024, 1, day, 12), datetime(2024, 1, day, 18)], pa.timestamp("us")),
                "rate": [float(day), day + 0.5],
                "date": pa.array([datetime(2024, 1, day).date()] * 2, pa.date32()),
            }
        )
        write_deltalake(str(tmp_path / "hd"), rows, mode="append", partition_by=["date"])
    client = boto3.client("s3", endpoint_url=moto.endpoint)
    for file in (tmp_path / "hd").rglob("*"):
        if file.is_file():
            client.upload_file(str(file), bucket, f"hd/{file.relative_to(tmp_path / 'hd')}")
    return bucket


@pytest.mark.parametrize("as_of", [None, 2])
def test_a_delta_table_in_s3_equals_the_local_table_on_duckdb(
    moto: MotoServer, delta_bucket: str, tmp_path: Path, engine: OfflineStore, as_of: int | None
) -> None:
    duck = Store.from_config(Config(), resolve=lambda p: tmp_path / p)
    ttl = timedelta(hours=2)
    local = FeatureView(name="h", source=delta_source("hd", as_of=as_of), entities=[DRIVER], schema=SCHEMA, ttl=ttl)
    remote_source = delta_source(f"s3://{delta_bucket}/hd", moto.endpoint, as_of)
    remote = FeatureView(name="h", source=remote_source, entities=[DRIVER], schema=SCHEMA, ttl=ttl)
    expected = get_historical_features(duck, contents(local), entity(), ["h:rate"]).to_df()
    before = len(moto.objects_read(delta_bucket))
    got = get_historical_features(engine, contents(remote), entity(), ["h:rate"]).to_df()
    pd.testing.assert_frame_equal(got, expected)
    # version 2 holds days 14-16 only: the rows of day 17 are not in it
    rates = [None if pd.isna(v) else v for v in got["rate"].tolist()]
    assert rates == ([17.0, 17.5, None] if as_of is None else [None, None, None])
    read = {k.split("/")[1] for k in moto.objects_read(delta_bucket)[before:] if not k.startswith("hd/_delta_log")}
    # of 7 partitions; at version 2 no file's event times (from the log) meet the window: none is fetched
    assert read == ({"date=2024-01-17"} if as_of is None else set())
    duck.close()
