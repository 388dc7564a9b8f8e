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


def test_too_many_aliases_are_refused(tmp_path: Path) -> None:
    refs = ", ".join(["*one"] * 1500)
    message = _refused_cheaply(_write(tmp_path, f"project: p\nx: &one [1]\ny: [{refs}]\n"))
    assert "more than 1000 YAML aliases" in message


def test_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    message = _refused_cheaply(_write(tmp_path, "project: p\n" + "# padding\n" * 200_000))
    assert "bytes is more than a configuration file may hold" in message


def test_deep_nesting_is_a_config_error(tmp_path: Path) -> None:
    message = _refused_cheaply(_write(tmp_path, "project: p\nx: " + "[" * 5_000 + "]" * 5_000 + "\n"))
    assert "nested more than 64 levels deep" in message


def test_modest_aliases_still_work(tmp_path: Path) -> None:
    text = (
        "project: p\n"
        "online_store: &online {type: sqlite, path: data/online.db}\n"
        "lint:\n  select: &rules [N001]\n  ignore: []\n"
    )
    config = load_repo_config(_write(tmp_path, text))
    assert config.online_store.type == "sqlite" and config.lint.select == ["N001"]
