"""A run that ends on bad input prints its one-line error and nothing else on stderr."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SRC = str(Path(__file__).resolve().parents[2] / "src")
YAML = "project: clean\nregistry: data/registry.db\n"


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": SRC, "COLUMNS": "250"}
    env.pop("FEATUREVAULT_TOKEN", None)
    return env


def _cli(repo: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "featurevault._cli.main", "-c", str(repo), *args],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
        input=stdin,
    )


def _repo(tmp_path: Path, yaml: str = YAML) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "feature_store.yaml").write_text(yaml)
    (repo / "features.py").write_text("from featurevault import Entity\nuser = Entity(name='user', join_keys=['id'])\n")
    return repo


def test_a_store_keeps_its_paths_after_a_chdir(tmp_path: Path) -> None:
    """The audit writer thread opened the registry relative to the new cwd: an empty file, 'no such table'."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    script = textwrap.dedent(
        f"""
        import os, sys
        from featurevault import FeatureStore
        from featurevault._config import parse_config
        from featurevault.errors import FeatureVaultError

        store = FeatureStore(config=parse_config({{"project": "clean"}}, source="inline", repo_path=None))
        store.list_entities()
        os.chdir({str(second)!r})
        try:
            store.get_online_features(["nope:x"], [{{"id": 1}}])
        except FeatureVaultError as exc:
            print(f"Error: {{exc}}", file=sys.stderr)
        store.guard.record_event("CHECK", "project:clean")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=first, capture_output=True, text=True, env=_env(), timeout=120
    )
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        "Error: feature reference 'nope:x': no feature view or on-demand feature view named 'nope'"
    ]
    assert list(second.iterdir()) == []  # nothing was created under the new cwd
    with sqlite3.connect(first / "data" / "registry.db") as conn:
        (head,) = conn.execute("SELECT value FROM state WHERE namespace = 'audit' AND key = 'head'").fetchone()
    assert '"seq"' in head


def test_a_file_that_is_not_a_registry_is_one_line(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "data").mkdir()
    with sqlite3.connect(repo / "data" / "registry.db") as conn:  # someone else's database
        conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT)")
        conn.execute("INSERT INTO schema_migrations VALUES (1, 'x')")
    done = _cli(repo, "apply")
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "not a featurevault registry" in lines[0] and "registry.db" in lines[0], done.stderr


def test_garbage_in_the_registry_file_is_one_line(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "data").mkdir()
    (repo / "data" / "registry.db").write_text("not a database at all\n" * 100)
    done = _cli(repo, "entities", "list")
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "cannot be opened as a registry" in lines[0], done.stderr


def test_bad_input_after_audited_work_is_one_line(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    assert _cli(repo, "apply").returncode == 0
    done = _cli(repo, "get-online-features", "-f", "nope:x", "-e", "id=1")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "Error: feature reference 'nope:x': no feature view or on-demand feature view named 'nope'"
    ]


def test_a_confirmation_without_a_terminal_is_no_traceback(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    done = _cli(repo, "teardown", stdin="n\n")  # no terminal to confirm on: one line and a hint, exit 2
    assert done.returncode == 2 and "Traceback" not in done.stderr and "--yes" in done.stderr


def test_an_unknown_option_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    done = _cli(repo, "get-online-features", "--no-such-option")
    assert done.returncode == 2 and "Traceback" not in done.stderr and "No such option" in done.stderr


def test_audited_commands_that_succeed_print_nothing_on_stderr(tmp_path: Path) -> None:
    """A normal exit is silent on stderr: no 'audit: could not record the trail's head (...)' or other noise."""
    repo = _repo(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args in (["apply"], ["entities", "list"], ["registry-history"]):
        done = subprocess.run(
            [sys.executable, "-m", "featurevault._cli.main", "-c", str(repo), *args],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=120,
            cwd=elsewhere,
        )
        assert done.returncode == 0, (args, done.stderr)
        assert done.stderr == "", (args, done.stderr)
    assert list(elsewhere.iterdir()) == []
    with sqlite3.connect(repo / "data" / "registry.db") as conn:  # the trail's head was recorded
        (head,) = conn.execute("SELECT value FROM state WHERE namespace = 'audit' AND key = 'head'").fetchone()
    assert '"seq"' in head
