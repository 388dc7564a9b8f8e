"""The sources pass ruff's pyflakes checks (config in pyproject.toml): no undefined or unused names."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_finds_nothing() -> None:
    ruff = str(Path(sys.executable).parent / "ruff")  # the test environment's own
    if not Path(ruff).exists():
        ruff = shutil.which("ruff") or ruff
    done = subprocess.run([ruff, "check", "src", "tests", "benchmarks", "scripts"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
