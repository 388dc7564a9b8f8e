"""DeltaSource: reads through DuckDB, time travel (as_of), partition pruning, offline writes by date;
each on a table on local disk and on one in S3 (moto's server on loopback)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from featurevault import DeltaSource, FeatureView, FileSource
from featurevault._backends.offline.duckdb_sources import locate
from featurevault.errors import DataSourceError, DefinitionError, FeatureVaultError, RequestError
from featurevault._model.sources import source_from_dict
from featurevault._ops.offline_specs import source_spec

from tests.integration.objects.moto_server import Location

from .conftest import SPARK
from .delta_repo import SCHEMA, T0, USER, DeltaRepo, day_rows, make_repo


@pytest.fixture
def repo(tmp_path: Path, location: Location) -> DeltaRepo:
    """The repo with its table on local disk, then in S3."""
    return make_repo(tmp_path / "repo", location=location)


@pytest.fixture(params=["duckdb", SPARK])
def read_repo(request: pytest.FixtureRequest, tmp_path: Path, location: Location) -> DeltaRepo:
    """The repo read by each engine in turn (Spark without delta-spark: the table resolved by deltalake),
    its table on local disk and in S3."""
    if request.param == "spark":
        request.getfixturevalue("spark_session")
    return make_repo(tmp_path / "repo", engine=request.param, location=location)


def test_a_delta_source_is_read_like_any_source_and_survives_the_registry(read_repo: DeltaRepo) -> None:
    assert read_repo.amounts() == [21.0, 22.0]  # the latest of three versions
    stored = read_repo.store.get_feature_view("tx_stats").batch_source
    assert isinstance(stored, DeltaSource) and stored.partition_by == ["event_date"] and stored.as_of is None
    again = source_from_dict(DeltaSource(name="t", path="p", timestamp_field="ts", as_of=3).to_dict())
    assert isinstance(again, DeltaSource) and again.as_of == 3


def test_offline_writes_append_one_version_each_partitioned_by_date(repo: DeltaRepo) -> None:
    table = repo.delta_table()
    assert table.version() == 2
    assert table.metadata().partition_columns == ["event_date"]
    days = sorted({f.split("/")[0] for f in repo.data_files()})
    assert days == ["event_date=2024-01-01", "event_date=2024-01-02", "event_date=2024-01-03"]
    rows = table.to_pyarrow_table().sort_by([("event_timestamp", "ascending"), ("user_id", "ascending")])
    assert rows.column("amount").to_pylist() == [1.0, 2.0, 11.0, 12.0, 21.0, 22.0]


def test_time_travel_to_a_version(read_repo: DeltaRepo) -> None:
    assert read_repo.amounts(as_of=0) == [1.0, 2.0]
    assert read_repo.amounts(as_of=1) == [11.0, 12.0]
    assert read_repo.amounts(as_of="2") == [21.0, 22.0]
    pinned = DeltaSource(
        name="tx",
        path=read_repo.source.path,
        timestamp_field="event_timestamp",
        s3_endpoint_override=read_repo.source.s3_endpoint_override,
        as_of=1,
    )
    read_repo.store.apply([USER, FeatureView(name="tx_stats", source=pinned, entities=[USER], schema=SCHEMA)])
    assert read_repo.amounts() == [11.0, 12.0]  # as_of on the source itself


def test_time_travel_to_a_timestamp(read_repo: DeltaRepo) -> None:
    assert read_repo.amounts(as_of=read_repo.after_version[0]) == [1.0, 2.0]
    assert read_repo.amounts(as_of=read_repo.after_version[1]) == [11.0, 12.0]
    naive_text = read_repo.after_version[1].astimezone(UTC).replace(tzinfo=None).isoformat()
    assert read_repo.amounts(as_of=naive_text) == [11.0, 12.0]  # text without an offset is UTC
    # a row written after the time asked for is not in the training data, even if its event is older
    read_repo.store.write_to_offline_store("tx_stats", day_rows(1, users=(1,)).assign(amount=[99.0]))
    assert read_repo.amounts(as_of=read_repo.after_version[2]) == [21.0, 22.0]


def test_time_travel_before_the_table_existed_names_the_source(read_repo: DeltaRepo) -> None:
    with pytest.raises(DataSourceError, match=r"'tx'.*Delta table"):
        read_repo.amounts(as_of=datetime(2000, 1, 1, tzinfo=UTC))
    with pytest.raises(DataSourceError, match="version 7"):
        read_repo.amounts(as_of=7)


def test_as_of_on_a_view_that_is_not_delta_names_the_view(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    day_rows(0).to_parquet(tmp_path / "plain.parquet")
    plain = FeatureView(
        name="plain_stats",
        entities=[USER],
        schema=SCHEMA,
        source=FileSource(name="plain", path=str(tmp_path / "plain.parquet"), timestamp_field="event_timestamp"),
    )
    repo.store.apply([plain])
    with pytest.raises(RequestError, match=r"feature view 'plain_stats' reads FileSource 'plain'.*DeltaSource"):
        repo.store.get_historical_features(
            repo.entities(), ["tx_stats:amount", "plain_stats:amount"], full_feature_names=True, as_of=0
        )
    with pytest.raises(RequestError, match="neither a version number nor an ISO 8601 time"):
        repo.amounts(as_of="yesterday")
    with pytest.raises(DefinitionError, match="must be >= 0"):
        DeltaSource(name="t", path="p", as_of=-1)


@pytest.mark.parametrize("engine", ["duckdb", SPARK])
def test_a_query_reads_only_the_date_partitions_of_its_window(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest, location: Location
) -> None:
    if engine == "spark":
        request.getfixturevalue("spark_session")
    repo = make_repo(tmp_path / "ttl", engine=engine, ttl=timedelta(hours=12), location=location)
    files = locate(source_spec(repo.source), repo.store.config.resolve)
    assert len(files.files) == 3
    window = files.pruned(datetime(2024, 1, 3, 1), datetime(2024, 1, 3, 2))
    assert sorted(Path(f).parent.name for f in window) == ["event_date=2024-01-02", "event_date=2024-01-03"]
    # the engine scans only the partitions of [event - ttl, event]: the file of 2024-01-01 is never opened
    [first_day] = repo.data_files("event_date=2024-01-01")
    repo.table.write_bytes(first_day, b"not parquet")
    before = len(repo.objects_read()) if location.kind == "s3" else 0
    late = pd.DataFrame({"user_id": [1], "event_timestamp": [T0 + timedelta(days=2, hours=2)]})
    frame = repo.store.get_historical_features(late, ["tx_stats:amount"]).to_df()
    assert frame["amount"].tolist() == [21.0]
    if location.kind == "s3":  # of three objects only the one whose event times (in the log) meet the window
        assert {key.split("/")[0] for key in repo.objects_read()[before:]} == {"event_date=2024-01-03"}
    early = pd.DataFrame({"user_id": [1], "event_timestamp": [T0 + timedelta(hours=2)]})
    with pytest.raises(DataSourceError if engine == "duckdb" else FeatureVaultError):  # Spark: the executor's error
        repo.store.get_historical_features(early, ["tx_stats:amount"]).to_df()


def test_the_scan_registers_a_dataset_of_the_chosen_fragments(repo: DeltaRepo) -> None:
    import duckdb

    files = locate(source_spec(repo.source), repo.store.config.resolve)
    con = duckdb.connect()
    name = files.bind(con, files.files[2:])
    assert con.sql(f"SELECT count(*) FROM {name}").fetchall()[0][0] == 2
    plan = "".join(str(row[1]) for row in con.sql(f"EXPLAIN SELECT amount FROM {name} WHERE amount > 5").fetchall())
    assert "ARROW_SCAN" in plan and "amount" in plan  # the filter and projection go into the Arrow scan


def test_materialization_reads_delta_too(repo: DeltaRepo) -> None:
    repo.store.materialize(T0, T0 + timedelta(days=5))
    online = repo.store.get_online_features(["tx_stats:amount"], [{"user_id": 1}, {"user_id": 2}]).to_dict()
    assert online["amount"] == [21.0, 22.0]


def test_a_write_to_a_new_delta_path_creates_the_table(location: Location) -> None:
    from deltalake import DeltaTable

    from featurevault._backends.offline.delta import append
    from featurevault._backends.offline.delta_location import storage_options

    where = f"{location.uri}/fresh"
    source = DeltaSource(
        name="fresh",
        path=where,
        timestamp_field="event_timestamp",
        date_partition_column="",
        s3_endpoint_override=location.endpoint,
    )
    version = append(source_spec(source), where, pa.Table.from_pandas(day_rows(0), preserve_index=False))
    table = DeltaTable(where, storage_options=storage_options(location.endpoint) if location.endpoint else None)
    assert version == 0 and table.metadata().partition_columns == [] and table.to_pyarrow_table().num_rows == 2


def test_push_to_offline_appends_to_delta_after_the_rules(tmp_path: Path, location: Location) -> None:
    from featurevault import PushSource
    from featurevault._quality import between

    repo = make_repo(tmp_path / "repo", days=1, location=location)
    push = PushSource(name="tx_push", batch_source=repo.source)
    pushed = FeatureView(
        name="tx_stats",
        source=push,
        entities=[USER],
        schema=SCHEMA,
        rules=[between("amount", 0, 1000, on_fail="quarantine")],
    )
    repo.store.apply([pushed])
    rows = day_rows(2).assign(amount=[30.0, -1.0])  # the second row breaks the rule
    assert repo.store.push("tx_push", rows, to="offline") == 1
    table = repo.delta_table()
    assert table.version() == 1
    assert sorted(table.to_pyarrow_table().column("amount").to_pylist()) == [1.0, 2.0, 30.0]
    assert [e.values["amount"] for e in repo.store.quarantine.list("tx_stats")] == [-1.0]
    assert repo.amounts() == [30.0, 2.0]
