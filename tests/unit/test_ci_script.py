"""``.ci/run`` hands its arguments to the test command (``scripts/test.sh``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ci_run_passes_its_arguments_to_the_test_script(tmp_path: Path) -> None:
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "scripts").mkdir()
    # a stand-in for scripts/test.sh that reports what it was given
    (tmp_path / "scripts" / "test.sh").write_text('printf "%s|" "$@"\n')
    done = subprocess.run(
        ["bash", str(tmp_path / ".ci" / "run"), "tests/unit", "-k", "two words"],
        capture_output=True, text=True, timeout=30, check=True,
    )
    assert done.stdout == "tests/unit|-k|two words|"
