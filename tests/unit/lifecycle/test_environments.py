"""Environments: overrides merged into the base config, chosen by --env or FEATUREVAULT_ENV, recorded in history."""

from __future__ import annotations

from pathlib import Path

import pytest

from featurevault import FeatureStore
from featurevault._config import load_repo_config
from featurevault.errors import ConfigError
from featurevault._lifecycle.environments import overlay
from featurevault._ops.repo import load_repo
from tests.unit.lifecycle.fraud_repo import write_repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FEATUREVAULT_ENV", raising=False)
    return write_repo(tmp_path / "repo")


def test_base_config_without_an_environment(repo: Path) -> None:
    config = load_repo_config(repo)
    assert config.environment is None
    assert config.registry.path == "data/registry.db"
    assert config.environment_names == ("prod", "staging")


def test_an_environment_overrides_keys_and_keeps_the_rest(repo: Path) -> None:
    config = load_repo_config(repo, env="prod")
    assert config.environment == "prod"
    assert config.registry.path == "data/prod_registry.db"
    assert config.registry.cache_ttl_seconds == 0
    assert dict(config.online_store)["path"] == "data/prod_online.db"
    assert config.online_store.type == "sqlite"  # kept from the base section
    assert config.offline_store.type == "duckdb"


def test_the_environment_variable_selects_and_the_argument_wins(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEATUREVAULT_ENV", "staging")
    assert load_repo_config(repo).registry.path == "data/staging_registry.db"
    assert load_repo_config(repo, env="prod").registry.path == "data/prod_registry.db"


def test_an_unknown_environment_is_an_error_naming_the_known_ones(repo: Path) -> None:
    with pytest.raises(ConfigError, match=r"environment 'qa' \(from --env\).*known: prod, staging"):
        load_repo_config(repo, env="qa")


def test_an_environment_cannot_change_the_project() -> None:
    with pytest.raises(ConfigError, match="'project' cannot differ"):
        overlay({"project": "a"}, {"project": "b"}, "x.yaml: environments.prod")


def test_a_new_backend_type_replaces_the_section() -> None:
    base = {"online_store": {"type": "sqlite", "path": "data/online.db"}}
    merged = overlay(base, {"online_store": {"type": "redis", "connection_string": "localhost:6379"}}, "w")
    assert merged["online_store"] == {"type": "redis", "connection_string": "localhost:6379"}


def test_an_unknown_key_in_an_environment_is_an_error(repo: Path) -> None:
    text = (repo / "feature_store.yaml").read_text().replace("  prod:\n", "  prod:\n    colour: blue\n")
    (repo / "feature_store.yaml").write_text(text)
    with pytest.raises(ConfigError, match="unknown key 'colour'"):
        load_repo_config(repo, env="prod")


def test_environments_are_separate_and_history_records_the_environment(repo: Path) -> None:
    with FeatureStore(repo, env="staging") as staging:
        staging.apply(load_repo(repo))
        assert staging.history()[0].environment == "staging"
    with FeatureStore(repo, env="prod") as prod:
        assert prod.history() == []
        assert prod.list_feature_views() == []
    assert (repo / "data" / "staging_registry.db").exists()
    assert not (repo / "data" / "registry.db").exists()
