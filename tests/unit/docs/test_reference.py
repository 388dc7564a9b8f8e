"""docs/reference/ is generated from the code; the checked-in pages must be current and complete."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_reference", ROOT / "scripts" / "gen_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    generator = _generator()
    return {name: build() for name, build in generator.PAGES.items()}


def test_checked_in_reference_is_current() -> None:
    # a fresh interpreter: what other tests imported or registered must not leak into the pages
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_reference.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, (
        f"docs/reference is stale: run python scripts/gen_reference.py\n{done.stdout}{done.stderr}"
    )


def test_every_cli_command_is_in_the_reference(pages: dict[str, str]) -> None:
    import typer.main

    from featurevault._cli.main import app

    root = typer.main.get_command(app)
    ctx = root.context_class(root, info_name="featurevault")
    for name in root.list_commands(ctx):
        assert f"`featurevault {name}`" in pages["cli.md"], name


def test_config_reference_has_every_key_with_its_default(pages: dict[str, str]) -> None:
    from featurevault._backends.offline.duckdb import Config as DuckDBOfflineStoreConfig
    from featurevault._config import RegistryConfig

    text = pages["config.md"]
    for key, model in (("registry.", RegistryConfig), ("offline_store.", DuckDBOfflineStoreConfig)):
        for name in model.model_fields:
            assert f"| `{key}{name}` |" in text, f"{key}{name}"
    for key in (
        "offline_store.memory_limit",
        "offline_store.temp_directory",
        "offline_store.threads",
        "offline_store.join_strategy",
        "online_store.write_batch_size",
        "online_store.max_connections",
        "online_store.write_timeout_seconds",
        "registry.registry_type",
        "lint.severity",
    ):
        assert f"| `{key}` |" in text, key


def test_api_reference_lists_all_exports(pages: dict[str, str]) -> None:
    import featurevault

    for name in featurevault.__all__:
        assert f"## `{name}`" in pages["api.md"], name


def test_every_config_key_has_a_meaning(pages: dict[str, str]) -> None:
    """A key with an empty meaning column: add a ``#:`` comment (or a description) on its field."""
    rows = [line for line in pages["config.md"].splitlines() if line.startswith("| `")]
    blank = [line.split("|")[1].strip() for line in rows if line.rstrip().endswith("|  |")]
    assert rows and not blank, f"config keys without a meaning: {blank}"
