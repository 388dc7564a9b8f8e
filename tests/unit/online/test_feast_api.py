"""The Feast API surface a repo or notebook imports, used as Feast users write it."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import featurevault
from featurevault.errors import DefinitionError, RequestError, SchemaMismatchError
from tests.unit.online.repo_defs import ALL, T0, Harness, driver_stats, open_store, source_tables

FEAST_PATHS = {
    "featurevault.feature_store": ["FeatureStore"],
    "featurevault.repo_config": ["RepoConfig", "RegistryConfig"],
    "featurevault.project": ["Project"],
    "featurevault.data_source": ["PushMode", "PushSource", "RequestSource", "FileSource", "KafkaSource"],
    "featurevault.feature_logging": ["LoggingConfig"],
    "featurevault.infra.offline_stores.file_source": ["FileSource", "FileLoggingDestination"],
    "featurevault.infra.offline_stores.file": ["FileOfflineStoreConfig"],
    "featurevault.infra.offline_stores.duckdb": ["DuckDBOfflineStoreConfig"],
    "featurevault.infra.offline_stores.contrib.postgres_offline_store.postgres_source": ["PostgreSQLSource"],
    "featurevault.infra.offline_stores.bigquery_source": ["BigQuerySource"],
    "featurevault.infra.offline_stores.snowflake_source": ["SnowflakeSource"],
    "featurevault.infra.offline_stores.redshift_source": ["RedshiftSource"],
    "featurevault.infra.offline_stores.contrib.trino_offline_store.trino_source": ["TrinoSource"],
    "featurevault.infra.offline_stores.contrib.spark_offline_store.spark_source": ["SparkSource"],
    "featurevault.infra.online_stores.sqlite": ["SqliteOnlineStoreConfig"],
    "featurevault.infra.online_stores.redis": ["RedisOnlineStoreConfig"],
    "featurevault.infra.online_stores.postgres_online_store.postgres": ["PostgreSQLOnlineStoreConfig"],
    "featurevault.infra.online_stores.contrib.postgres": ["PostgreSQLOnlineStoreConfig"],
}


@pytest.mark.parametrize("module", sorted(FEAST_PATHS))
def test_feast_module_paths_import(module: str) -> None:
    loaded = importlib.import_module(module)
    for name in FEAST_PATHS[module]:
        assert getattr(loaded, name) is not None


def test_push_mode_is_one_class_everywhere() -> None:
    from featurevault.data_source import PushMode

    assert PushMode is featurevault.PushMode and PushMode.ONLINE_AND_OFFLINE.name == "ONLINE_AND_OFFLINE"


def test_repo_config_takes_a_backend_config_object(tmp_path: Path) -> None:
    from featurevault.infra.online_stores.sqlite import SqliteOnlineStoreConfig
    from featurevault.repo_config import RepoConfig

    config = RepoConfig(project="p", online_store=SqliteOnlineStoreConfig(path="data/o.db"))
    assert config.online_store.type == "sqlite" and config.online_store.model_dump()["path"] == "data/o.db"


@pytest.fixture
def loaded(repo: Harness) -> Harness:
    repo.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2))
    return repo


def test_cache_and_tag_keywords(loaded: Harness) -> None:
    assert loaded.get_feature_view("driver_stats", allow_registry_cache=True).name == "driver_stats"
    assert loaded.get_entity("driver", allow_registry_cache=False).name == "driver"
    assert loaded.get_feature_service("driver_service", allow_cache=True).name == "driver_service"
    assert loaded.get_on_demand_feature_view("rate_plus_bonus", allow_registry_cache=True)
    assert loaded.get_data_source("driver_source", allow_registry_cache=True)
    for method in (
        "list_entities",
        "list_feature_views",
        "list_on_demand_feature_views",
        "list_feature_services",
        "list_data_sources",
        "list_all_feature_views",
        "list_projects",
    ):
        assert getattr(loaded, method)(allow_cache=True, tags={"no": "such tag"}) == []
        assert getattr(loaded, method)(allow_cache=False)


def test_tags_filter_keeps_objects_with_every_tag(tmp_path: Path) -> None:
    store = open_store(tmp_path, source_tables())
    tagged = featurevault.FeatureView(
        name="driver_tagged",
        entities=driver_stats.entities,
        ttl=timedelta(days=1),
        schema=driver_stats.schema,
        source=driver_stats.source,
        tags={"team": "fraud", "tier": "1"},
    )
    store.apply([*ALL, tagged])
    assert [v.name for v in store.list_feature_views(tags={"team": "fraud"})] == ["driver_tagged"]
    assert store.list_feature_views(tags={"team": "fraud", "tier": "2"}) == []
    store.close()


def test_list_all_feature_views_version_and_project(loaded: Harness) -> None:
    names = {v.name for v in loaded.list_all_feature_views()}
    assert {"driver_stats", "route_stats", "rate_plus_bonus", "trips_python"} <= names
    assert featurevault.FeatureStore.version() == featurevault.__version__ == loaded.version()
    assert loaded.get_project().name == "proj" and [p.name for p in loaded.list_projects()] == ["proj"]
    with pytest.raises(KeyError, match="other"):
        loaded.get_project("other")


def test_historical_without_entity_df_is_every_entity_in_the_window(repo: Harness) -> None:
    frame = repo.get_historical_features(
        features=["driver_stats:city", "driver_stats:trips"], start_date=T0, end_date=T0 + timedelta(hours=2)
    ).to_df()
    assert frame["driver_id"].tolist() == [1, 2]  # driver 3's only event is a day before the window
    assert frame["city"].tolist() == ["b", "c"]  # the latest value at the end of the window
    assert (frame["event_timestamp"] == pd.Timestamp(T0 + timedelta(hours=2))).all()
    everything = repo.get_historical_features(
        features=["driver_stats:city"], end_date=(T0 + timedelta(hours=2)).replace(tzinfo=None)
    ).to_df()
    assert everything["driver_id"].tolist() == [1, 2, 3]
    with pytest.raises(RequestError, match="either entity_df or start_date"):
        repo.get_historical_features(
            pd.DataFrame({"driver_id": [1], "event_timestamp": [T0]}), ["driver_stats:city"], start_date=T0
        )
    with pytest.raises(RequestError, match="after end_date"):
        repo.get_historical_features(features=["driver_stats:city"], start_date=T0, end_date=T0 - timedelta(1))
    with pytest.raises(RequestError, match="same join keys"):
        repo.get_historical_features(features=["driver_stats:city", "route_stats:duration"], end_date=T0)


def test_write_to_offline_store_appends_to_the_batch_source(repo: Harness) -> None:
    rows = pd.DataFrame(
        {
            "driver_id": [7],
            "event_timestamp": [T0 + timedelta(hours=1)],
            "conv_rate": [0.9],
            "trips": [70],
            "city": ["z"],
        }
    )
    assert repo.write_to_offline_store("driver_stats", rows, allow_registry_cache=True) == 1
    entity_df = pd.DataFrame({"driver_id": [7], "event_timestamp": [T0 + timedelta(hours=2)]})
    assert repo.get_historical_features(entity_df, ["driver_stats:city"]).to_df()["city"].tolist() == ["z"]
    before = pa.parquet.read_table(repo.repo_path / "data" / "driver.parquet").num_rows
    with pytest.raises(SchemaMismatchError, match="trips"):
        repo.write_to_offline_store("driver_stats", rows.assign(trips=["many"]))
    assert pa.parquet.read_table(repo.repo_path / "data" / "driver.parquet").num_rows == before


@pytest.fixture
def feast_repo(tmp_path: Path) -> Iterator[Path]:
    repo = tmp_path / "repo"
    store = open_store(repo, source_tables())
    store.close()
    yield repo


def _plan(repo: Path) -> tuple[int, str]:
    from featurevault._cli.main import app

    result = CliRunner().invoke(app, ["--chdir", str(repo), "plan"])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return 1, str(result.exception)  # what the command's error handler prints as one line
    return result.exit_code, result.output


def test_declared_project_must_match_the_config(feast_repo: Path) -> None:
    base = "from featurevault import Project\n"
    (feast_repo / "project.py").write_text(base + "project = Project(name='proj', description='drivers')\n")
    assert _plan(feast_repo)[0] == 0
    (feast_repo / "project.py").write_text(base + "project = Project(name='elsewhere')\n")
    code, out = _plan(feast_repo)
    assert code == 1 and "Project(name='elsewhere')" in out and "'proj'" in out
    with pytest.raises(DefinitionError, match="letters"):
        featurevault.Project(name="bad name")


@pytest.mark.parametrize(
    ("source", "module"),
    [
        ("TrinoSource", "contrib.trino_offline_store.trino_source"),
        ("BigQuerySource", "bigquery_source"),
        ("SnowflakeSource", "snowflake_source"),
    ],
)
def test_unimplemented_sources_import_and_fail_at_plan(feast_repo: Path, source: str, module: str) -> None:
    (feast_repo / "warehouse.py").write_text(
        f"from featurevault.infra.offline_stores.{module} import {source}\n"
        f"orders = {source}(name='orders', table='db.orders', timestamp_field='ts')\n"
    )
    code, out = _plan(feast_repo)
    assert code == 1 and "Traceback" not in out
    assert f"{source}(name='orders')" in out and "use" in out and "warehouse.py" in out
