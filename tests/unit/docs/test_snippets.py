"""Every marked example of README.md and docs/ runs; every feature_store.yaml example loads.

See snippets.py for the markers. A broken example fails here, naming its page and line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from featurevault._config import RepoConfig, load_repo_config

from .snippets import Block, all_blocks, runnable_pages

RUNNABLE_LANGS = {"python", "bash"}
_CONFIG_KEYS = set(RepoConfig.model_fields) - {"repo_path"}


def _cli(*args: str, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "featurevault._cli.main", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"featurevault {' '.join(args)}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``featurevault init demo``, applied and materialized once; each page works on a copy."""
    root = tmp_path_factory.mktemp("docs-demo")
    _cli("init", "demo", cwd=root)
    repo = root / "demo"
    _cli("apply", cwd=repo)
    _cli("materialize-incremental", "2100-01-01T00:00:00", cwd=repo)
    return repo


def _bash_prelude() -> str:
    """A ``featurevault`` shell function running this checkout's CLI with this interpreter."""
    return f'set -euo pipefail\nfeaturevault() {{ "{sys.executable}" -m featurevault._cli.main "$@"; }}\n'


def _run_bash(block: Block, cwd: Path, scratch: Path) -> Path:
    where = scratch / "pwd"
    script = _bash_prelude() + block.text + f'\npwd > "{where}"\n'
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )
    assert done.returncode == 0, (
        f"{block.id} (bash) failed:\n{block.text}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    )
    return Path(where.read_text().strip())


def _run_python(block: Block, cwd: Path, namespace: dict[str, Any]) -> None:
    from featurevault import FeatureStore

    if (cwd / "feature_store.yaml").is_file() and namespace.get("_store_dir") != cwd:
        namespace["store"] = FeatureStore(repo_path=str(cwd))
        namespace["_store_dir"] = cwd
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        exec(compile(block.text, block.id, "exec"), namespace)  # noqa: S102 - the doc example itself
    except Exception as exc:
        raise AssertionError(f"{block.id} (python) failed: {type(exc).__name__}: {exc}\n{block.text}") from exc
    finally:
        os.chdir(previous)


@pytest.mark.parametrize("page", sorted(runnable_pages()))
def test_page_examples_run(page: str, demo_template: Path, tmp_path: Path) -> None:
    cwd = tmp_path / "demo"
    shutil.copytree(demo_template, cwd)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for block in runnable_pages()[page]:
        assert block.lang in RUNNABLE_LANGS, f"{block.id}: only {sorted(RUNNABLE_LANGS)} blocks can be marked run"
        if block.lang == "bash":
            cwd = _run_bash(block, cwd, tmp_path)
        else:
            _run_python(block, cwd, namespace)


def test_skip_markers_give_a_reason() -> None:
    unexplained = [b.id for b in all_blocks() if b.marker == "skip" and not b.reason]
    assert not unexplained, f"'<!-- test: skip -->' needs a reason: {unexplained}"


_YAML_BLOCKS = [b for b in all_blocks() if b.lang in {"yaml", "yml"} and b.marker != "skip"]


@pytest.mark.parametrize("block", _YAML_BLOCKS, ids=[b.id for b in _YAML_BLOCKS])
def test_yaml_examples_load(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        data = yaml.safe_load(block.text)
    except yaml.YAMLError as exc:
        raise AssertionError(f"{block.id}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not data or not set(data) <= _CONFIG_KEYS:
        return  # not a feature_store.yaml example (a manifest, a CI file): parsing is the check
    for name in re.findall(r"\$\{(\w+)", block.text):
        monkeypatch.setenv(name, os.environ.get(name, "docs-example"))
    text = block.text if "project" in data else "project: docs_example\n" + block.text
    (tmp_path / "feature_store.yaml").write_text(text)
    load_repo_config(tmp_path)


def test_the_harness_sees_marked_blocks() -> None:
    """The docs keep runnable examples; losing every marker would silently test nothing."""
    assert len(runnable_pages()) >= 1
    assert _YAML_BLOCKS
