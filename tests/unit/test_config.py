from pathlib import Path

import pytest

from featurevault._config import load_repo_config
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
        ("project: [unclosed\n", "feature_store.yaml:2:1: expected"),
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
    from featurevault._backends.offline import spark
    from featurevault._config import section_config

    repo = _write(
        tmp_path,
        "project: p\noffline_store:\n  type: spark\n  spark_conf:\n    spark.master: local[4]\n"
        "    spark.sql.shuffle.partitions: '16'\nbatch_engine:\n  type: spark.engine\n  partitions: 8\n",
    )
    config = load_repo_config(repo)
    assert config.batch_engine.distributed and config.batch_engine.partitions == 8
    section = section_config(config, "offline_store")
    assert isinstance(section, spark.Config) and section.spark_conf["spark.master"] == "local[4]"
    assert (
        load_repo_config(_write(tmp_path, "project: p\noffline_store: spark\nbatch_engine: spark\n")).batch_engine.type
        == "spark"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("project: p\nbatch_engine: spark\n", "batch_engine 'spark' runs on the Spark offline store"),
        ("project: p\noffline_store:\n  type: spark\n  spark_confs: {}\n", "unknown key 'offline_store.spark_confs'"),
        ("project: p\nbatch_engine: flink\n", "batch_engine"),
    ],
)
def test_bad_spark_config_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_repo_config(_write(tmp_path, text))


# -- feature_store.yaml as Feast reads it ----------------------------------------------------------


def test_online_store_omitted_is_sqlite_under_the_repo(tmp_path: Path) -> None:
    from featurevault._config import section_config

    config = load_repo_config(_write(tmp_path, "project: p\n"))
    assert config.online_store.type == "sqlite" and config.offline_store.type == "duckdb"
    online = section_config(config, "online_store")
    assert config.resolve(online.path).parent.parent == tmp_path.resolve()


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("project: p\nonline_store:\n  path: data/x.db\n", "online_store", "sqlite"),
        ("project: p\nonline_store:\n", "online_store", "sqlite"),
        ("project: p\noffline_store: {}\n", "offline_store", "duckdb"),
        ("project: p\noffline_store:\n  threads: 1\n", "offline_store", "duckdb"),
    ],
)
def test_type_may_be_left_out(tmp_path: Path, text: str, kind: str, expected: str) -> None:
    from featurevault._config import section_config

    config = load_repo_config(_write(tmp_path, text))
    assert getattr(config, kind).type == expected
    assert section_config(config, kind).type == expected


def test_no_effect_keys_are_accepted_with_one_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    text = (
        "project: p\nentity_key_serialization_version: 3\ncoerce_tz_aware: true\n"
        "flags:\n  alpha_features: true\nfeature_server:\n  enabled: true\nbatch_engine: local\n"
    )
    with caplog.at_level("INFO", logger="featurevault._config"):
        load_repo_config(_write(tmp_path, text))
    lines = [r.getMessage() for r in caplog.records if r.name == "featurevault._config"]
    assert len(lines) == 1
    for key in ("entity_key_serialization_version", "coerce_tz_aware", "flags", "feature_server", "batch_engine"):
        assert key in lines[0]
    assert "no effect" in lines[0]


def test_unknown_key_beside_no_effect_keys_is_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"feature_store.yaml: unknown key 'flagz'"):
        load_repo_config(_write(tmp_path, "project: p\nflags: {}\nflagz: {}\n"))


@pytest.mark.parametrize(
    ("text", "where"),
    [("project: [unclosed\n", ":2:1: "), ("project: p\n  bad: indent\n", ":2:6: "), ("project: p\n\t- x\n", ":2:1: ")],
)
def test_malformed_yaml_is_one_line_with_line_and_column(tmp_path: Path, text: str, where: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_repo_config(_write(tmp_path, text))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{tmp_path.resolve() / 'feature_store.yaml'}{where}"), message


@pytest.mark.parametrize(
    "text",
    [
        "project: p\nprovider: gcp\n",
        "project: p\nonline_store: {type: sqlite, timeout: abc}\n",
        "project: p\nregistry: {cache_ttl_seconds: [1]}\n",
        "project: p\naudit: {max_bytes: -1}\n",
    ],
)
def test_no_pydantic_internals_reach_the_user(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_repo_config(_write(tmp_path, text))
    message = str(info.value).removeprefix(str(tmp_path.resolve() / "feature_store.yaml"))
    assert "input_type" not in message and "pydantic" not in message and "errors.pydantic.dev" not in message
    assert "input_value" not in message and "Value error," not in message


def test_repo_config_built_in_python_raises_config_error() -> None:
    from featurevault._config import RepoConfig

    with pytest.raises(ConfigError, match="RepoConfig: 'provider'") as info:
        RepoConfig(project="p", provider="aws")
    assert "pydantic" not in str(info.value)
    assert RepoConfig(project="p", online_store={"path": "x.db"}).online_store.type == "sqlite"


# -- hostile files: refused fast, memory flat, the file named ----------------------------------


def _billion_laughs(levels: int = 9, fan_out: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * fan_out)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "project: p\n" + "\n".join(lines) + "\n"


def _refused_cheaply(repo: Path) -> str:
    import time
    import tracemalloc

    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ConfigError) as info:
            load_repo_config(repo)
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    # 9**10 strings would need tens of gigabytes; a refusal stays within a few megabytes
    assert peak < 32 * 1024 * 1024, peak
    assert elapsed < 20, elapsed  # generous for a loaded, traced run: the expansion alone would take hours
    assert str(repo / "feature_store.yaml") in str(info.value)
    return str(info.value)


def test_billion_laughs_is_refused_fast_with_flat_memory(tmp_path: Path) -> None:
    message = _refused_cheaply(_write(tmp_path, _billion_laughs()))
    assert "aliases are expanded" in message and "alias bomb" in message


def test_an_alias_bomb_is_refused_before_any_value_is_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its expanded size is counted on the composed nodes (each anchor once), not by expanding it."""
    import featurevault._config as config_module

    def expanded(*args: object) -> None:
        raise AssertionError("the document was built before its size was checked")

    monkeypatch.setattr(config_module, "_expand_env", expanded)
    monkeypatch.setattr(config_module._BoundedLoader, "construct_document", expanded)
    with pytest.raises(ConfigError, match="alias bomb"):
        load_repo_config(_write(tmp_path, _billion_laughs()))


@pytest.mark.parametrize("text", ["x: &a [1, *a]\n", "x: &a {k: *a}\n", "x: &a [[[*a]]]\n"])
def test_an_alias_inside_its_own_anchor_is_a_config_error(tmp_path: Path, text: str) -> None:
    message = _refused_cheaply(_write(tmp_path, "project: p\n" + text))
    assert "refers to the value that contains it" in message


def test_too_many_aliases_are_refused(tmp_path: Path) -> None:
    refs = ", ".join(["*one"] * 1500)
    message = _refused_cheaply(_write(tmp_path, f"project: p\nx: &one [1]\ny: [{refs}]\n"))
    assert "more than 1000 YAML aliases" in message


def test_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    message = _refused_cheaply(_write(tmp_path, "project: p\n" + "# padding\n" * 200_000))
    assert "bytes is more than a configuration file may hold" in message


def test_deep_nesting_is_a_config_error(tmp_path: Path) -> None:
    message = _refused_cheaply(_write(tmp_path, "project: p\nx: " + "[" * 500 + "]" * 500 + "\n"))
    assert "nested more than 64 levels deep" in message


def test_modest_aliases_still_work(tmp_path: Path) -> None:
    text = (
        "project: p\n"
        "online_store: &online {type: sqlite, path: data/online.db}\n"
        "lint:\n  select: &rules [N001]\n  ignore: []\n"
    )
    config = load_repo_config(_write(tmp_path, text))
    assert config.online_store.type == "sqlite" and config.lint.select == ["N001"]
