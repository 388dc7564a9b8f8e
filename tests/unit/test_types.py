"""The package type-checks clean: mypy, configured in pyproject.toml ([tool.mypy]: strict, src/featurevault)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _mypy() -> str:
    mypy = str(Path(sys.executable).parent / "mypy")  # the test environment's own
    if not Path(mypy).exists():
        mypy = shutil.which("mypy") or mypy
    return mypy


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_mypy_finds_nothing() -> None:
    done = subprocess.run([_mypy()], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
