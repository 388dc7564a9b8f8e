"""The sources pass ruff's lint checks and are ruff-formatted (config in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ["src", "tests", "benchmarks", "scripts"]


def _ruff() -> str:
    ruff = str(Path(sys.executable).parent / "ruff")  # the test environment's own
    if not Path(ruff).exists():
        ruff = shutil.which("ruff") or ruff
    return ruff


@pytest.mark.parametrize(
    "command",
    [["check"], ["format", "--check"]],
    ids=["lint", "format"],
)
def test_ruff_finds_nothing(command: list[str]) -> None:
    done = subprocess.run([_ruff(), *command, *CHECKED], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
