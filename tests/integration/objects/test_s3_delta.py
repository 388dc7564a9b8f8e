"""A Delta table in S3 on the DuckDB engine, against moto's standalone server on loopback: what the
parametrized Delta tests (tests/unit/offline, local disk and S3) leave out: the CLI's maintenance
commands on a table in S3, errors naming the source for a missing bucket or table, the storage options
handed to deltalake, and the data files read through pyarrow's S3FileSystem."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from featurevault import DeltaSource, FeatureView
from featurevault._backends.offline import delta, delta_location
from featurevault._backends.offline.duckdb import Config, Store
from featurevault._backends.offline.duckdb_sources import locate
from featurevault.errors import DataSourceError
from featurevault._ops.historical import get_historical_features
from featurevault._ops.offline_specs import source_spec
from tests.integration.recovery.demo import cli_json
from tests.unit.offline.conftest import contents
from tests.unit.offline.delta_repo import SCHEMA, USER, DeltaRepo, day_rows, make_repo

from .moto_server import TEST_CREDENTIALS, Location, MotoServer, s3_location

pytestmark = pytest.mark.integration


@pytest.fixture
def s3(moto_s3: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Location:
    """A fresh bucket on the run's moto server, with credentials moto accepts in the environment."""
    for key, value in TEST_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    return s3_location(moto_s3, f"fv-{uuid.uuid4().hex[:12]}", "lake")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Store]:
    store = Store.from_config(Config(), resolve=lambda p: tmp_path / p)
    yield store
    store.close()


def _rows(repo: DeltaRepo) -> list[tuple[int, float, object]]:
    table = repo.delta_table().to_pyarrow_table()
    columns = [table.column(c).to_pylist() for c in ("user_id", "amount", "event_timestamp")]
    return sorted(zip(*columns, strict=True))


def test_the_cli_compacts_forgets_and_vacuums_a_table_in_s3(tmp_path: Path, s3: Location) -> None:
    repo = make_repo(tmp_path / "repo", days=2, location=s3, retention=timedelta(days=400))
    for user in (3, 4, 5):  # three more small files in the second day's partition
        repo.store.write_to_offline_store("tx_stats", day_rows(1, users=(user,)))
    before = _rows(repo)
    root = repo.store.repo_path
    compacted = cli_json(root, "offline", "compact", "tx_stats")
    [entry] = compacted["sources"]
    assert (entry["files_removed"], entry["files_added"]) == (4, 1) and entry["format"] == "delta"
    assert _rows(repo) == before and len(before) == 7  # every row kept, now in one object per day
    forgot = cli_json(root, "forget", "--entity", "user_id=3")
    assert forgot["offline_deleted"] == {"tx": 1}
    assert [r for r in _rows(repo) if r[0] == 3] == []
    vacuumed = cli_json(root, "offline", "vacuum", "--retain", "0d")
    # the rows of 2024 are older than 400 days: the six left go, then the objects no version needs
    assert vacuumed["rows_deleted"] == 6 and vacuumed["files_removed"] >= 7
    assert _rows(repo) == [] and repo.data_files() == []


def _view(source: DeltaSource) -> FeatureView:
    return FeatureView(name="tx_stats", source=source, entities=[USER], schema=SCHEMA)


def test_a_missing_bucket_or_table_is_named_on_reads_and_writes(s3: Location, engine: Store) -> None:
    entities = day_rows(1)[["user_id", "event_timestamp"]]
    rows = pa.Table.from_pandas(day_rows(0), preserve_index=False)
    nowhere = DeltaSource(
        name="orders",
        path="s3://no-such-bucket/orders",
        timestamp_field="event_timestamp",
        s3_endpoint_override=s3.endpoint,
    )
    expected = (
        rf"data source 'orders'.*'s3://no-such-bucket/orders' at {s3.endpoint}.*bucket 'no-such-bucket' does not exist"
    )
    with pytest.raises(DataSourceError, match=expected):
        get_historical_features(engine, contents(_view(nowhere)), entities, ["tx_stats:amount"]).to_df()
    with pytest.raises(DataSourceError, match=expected):
        engine.append(source_spec(nowhere), rows)
    empty = DeltaSource(
        name="orders", path=f"{s3.uri}/none", timestamp_field="event_timestamp", s3_endpoint_override=s3.endpoint
    )
    with pytest.raises(DataSourceError, match=rf"'orders'.*{s3.uri}/none.*no Delta table there"):
        get_historical_features(engine, contents(_view(empty)), entities, ["tx_stats:amount"]).to_df()


def test_storage_options_come_from_the_endpoint_and_the_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_S3_ALLOW_UNSAFE_RENAME", "true")
    assert delta_location.storage_options("http://127.0.0.1:9000") == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
        "AWS_ALLOW_HTTP": "true",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
    }
    assert delta_location.storage_options("minio.internal:9000")["AWS_ENDPOINT_URL"] == "https://minio.internal:9000"
    assert "AWS_ENDPOINT_URL" not in delta_location.storage_options(None)  # AWS itself


def test_the_data_files_are_read_through_pyarrows_s3_filesystem(tmp_path: Path, s3: Location) -> None:
    from pyarrow import fs

    repo = make_repo(tmp_path / "repo", days=2, location=s3)
    files = locate(source_spec(repo.source), repo.store.config.resolve)
    bucket_prefix = repo.uri.removeprefix("s3://")
    assert [f.split("/event_date=")[0] for f in files.files] == [bucket_prefix] * 2
    assert isinstance(files, delta.DeltaFiles)
    dataset = delta_location.dataset(files.source, files.location, files.table)
    assert isinstance(dataset.filesystem, fs.SubTreeFileSystem)
    assert (
        isinstance(dataset.filesystem.base_fs, fs.S3FileSystem)
        and dataset.filesystem.base_path.rstrip("/") == bucket_prefix
    )
    assert dataset.to_table().num_rows == 4
