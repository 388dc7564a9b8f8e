"""Claims the docs make about packaging and layout, checked against the files themselves."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _extras() -> dict[str, list[str]]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]


def _resolve(extra: str, extras: dict[str, list[str]]) -> set[str]:
    names: set[str] = set()
    for requirement in extras[extra]:
        nested = re.fullmatch(r"featurevault\[(.+)\]", requirement)
        if nested:
            for part in nested.group(1).split(","):
                names |= _resolve(part.strip(), extras)
        else:
            names.add(re.split(r"[<>=!;\[ ]", requirement, maxsplit=1)[0].lower())
    return names


def test_benchmarks_command_dependencies_are_in_all() -> None:
    """docs/benchmarks.md runs `python -m benchmarks` in the `[all]` environment: plots need matplotlib."""
    assert "matplotlib" in _resolve("all", _extras())


def test_test_extra_builds_the_docs_site() -> None:
    assert {"mkdocs", "mkdocs-material"} <= _resolve("test", _extras())


def test_architecture_page_points_at_files_that_exist() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    for path in re.findall(r"`(src/featurevault/[\w/]+\.py)`", text):
        assert (ROOT / path).is_file(), path
