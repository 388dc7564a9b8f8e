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
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert done.stdout == "tests/unit|-k|two words|"


def _ci_with_stubs(tmp_path: Path, present: tuple[str, ...]) -> str:
    """Run a copy of ``.ci/run`` with stub commands on PATH; returns what the stub apt-get was asked."""
    (tmp_path / ".ci").mkdir(parents=True)
    shutil.copy(ROOT / ".ci" / "run", tmp_path / ".ci" / "run")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "test.sh").write_text("true\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "apt-calls"
    stubs = {"apt-get": f'echo "$@" >> {calls}\n', **{name: "true\n" for name in present}}
    for name, body in stubs.items():
        (bin_dir / name).write_text("#!/bin/sh\n" + body)
        (bin_dir / name).chmod(0o755)
    for tool in ("bash", "dirname"):
        (bin_dir / tool).symlink_to(shutil.which(tool) or tool)
    subprocess.run(["bash", str(tmp_path / ".ci" / "run")], env={"PATH": str(bin_dir)}, timeout=30, check=True)
    return calls.read_text() if calls.exists() else ""


def test_ci_run_installs_the_browser_only_when_it_is_missing(tmp_path: Path) -> None:
    assert _ci_with_stubs(tmp_path / "present", ("chromium", "chromedriver")) == ""
    calls = _ci_with_stubs(tmp_path / "missing", ("chromium",))
    assert calls.splitlines() == ["update -q", "install -y -q chromium chromium-driver"]
