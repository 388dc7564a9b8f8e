from pathlib import Path

import pytest

from featurevault.config import load_repo_config
from featurevault.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "feature_store.yaml").write_text(text)
    return tmp_path


def test_feast_local_keys_are_accepted(tmp_path: Path) -> None:
    repo = _write(
        tmp_path,
        "project: driver_demo\nregistry: data/registry.db\nprovider: local\n"
        "online_store:\n  type: sqlite\n  path: data/online_store.db\n"
        "offline_store:\n  type: file\nentity_key_serialization_version: 3\nauth:\n  type: no_auth\n",
    )
    config = load_repo_config(repo)
    assert config.project == "driver_demo"
    assert config.resolve(config.registry.path) == tmp_path.resolve() / "data/registry.db"
    assert config.offline_store.type == "file"


def test_registry_mapping_form(tmp_path: Path) -> None:
    repo = _write(tmp_path, "project: p\nregistry:\n  registry_type: file\n  path: r.db\n  cache_ttl_seconds: 5\n")
    assert load_repo_config(repo).registry.cache_ttl_seconds == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("project: p\nonline_stor: {}\n", "unknown key 'online_stor'"),
        ("project: p\nonline_store:\n  type: sqlite\n  pathh: x\n", "unknown key 'online_store.pathh'"),
        ("project: p\nregistry:\n  pth: x\n", "unknown key 'registry.pth'"),
        ("online_store: {type: sqlite}\n", "missing key 'project'"),
        ("project: p\nonline_store: {type: cassandra}\n", "'cassandra' is not one of"),
        ("project: [unclosed\n", "malformed YAML"),
        ("- a\n- b\n", "expected a mapping"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    repo = _write(tmp_path, text)
    with pytest.raises(ConfigError, match="feature_store.yaml") as info:
        load_repo_config(repo)
    assert message in str(info.value)


def test_env_var_expansion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FV_PROJECT", "from_env")
    assert load_repo_config(_write(tmp_path, "project: ${FV_PROJECT}\n")).project == "from_env"
    with pytest.raises(ConfigError, match="FV_UNSET"):
        load_repo_config(_write(tmp_path, "project: ${FV_UNSET}\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_repo_config(tmp_path)


def test_spark_offline_store_and_batch_engine_as_feast_spells_them(tmp_path: Path) -> None:
    from featurevault.backends.offline import spark
    from featurevault.config import section_config

    repo = _write(
        tmp_path,
        "project: p\noffline_store:\n  type: spark\n  spark_conf:\n    spark.master: local[4]\n"
        "    spark.sql.shuffle.partitions: '16'\nbatch_engine:\n  type: spark.engine\n  partitions: 8\n",
    )
    config = load_repo_config(repo)
    assert config.batch_engine.distributed and config.batch_engine.partitions == 8
    section = section_config(config, "offline_store")
    assert isinstance(section, spark.Config) and section.spark_conf["spark.master"] == "local[4]"
    assert load_repo_config(_write(tmp_path, "project: p\noffline_store: spark\nbatch_engine: spark\n")).batch_engine.type == "spark"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("project: p\nbatch_engine: spark\n", "batch_engine 'spark' runs on the Spark offline store"),
        ("project: p\noffline_store:\n  type: spark\n  spark_confs: {}\n", "unknown key 'offline_store.spark_confs'"),
        ("project: p\nbatch_engine: flink\n", "batch_engine.type"),
    ],
)
def test_bad_spark_config_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_repo_config(_write(tmp_path, text))
