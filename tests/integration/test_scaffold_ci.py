"""``init`` / ``scaffold ci``: pipelines, a runbook, and generated tests that pass on the demo repo and fail
on a broken definition (each run in a pytest of its own, as CI would run them).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from featurevault._cli.scaffold import scaffold
from featurevault._cli.scaffold_ci import scaffold_ci
from featurevault._ops.repo import repo_files

pytestmark = pytest.mark.integration


def _run_generated_tests(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", *args]
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    scaffold(tmp_path / "demo")
    return tmp_path / "demo"


def test_init_writes_pipelines_runbook_and_tests(demo: Path) -> None:
    github = yaml.safe_load((demo / ".github" / "workflows" / "featurevault.yml").read_text())
    steps = " ".join(str(s.get("run", "")) for s in github["jobs"]["check"]["steps"])
    for command in ("featurevault lint", "plan --format markdown", "plan --exit-code", "pytest -q tests", "validate"):
        assert command in steps, command
    deploy = " ".join(str(s.get("run", "")) for s in github["jobs"]["deploy"]["steps"])
    assert "--env staging apply" in deploy and "promote --from staging --to prod" in deploy
    gitlab = yaml.safe_load((demo / ".gitlab-ci.yml").read_text())
    assert {"lint", "plan", "tests", "validate", "deploy"} <= set(gitlab)
    assert "featurevault --env prod rollback GOOD" in (demo / "rollback_runbook.md").read_text()
    assert "scikit-learn" in (demo / "tests" / "requirements.txt").read_text()
    assert not [p for p in repo_files(demo) if "tests" in p.parts]  # the tests are not definitions


def test_scaffold_ci_keeps_existing_files_unless_forced(demo: Path) -> None:
    (demo / ".gitlab-ci.yml").write_text("mine: {}\n")
    result = scaffold_ci(demo)
    assert Path(".gitlab-ci.yml") in result.kept and not result.written
    assert (demo / ".gitlab-ci.yml").read_text() == "mine: {}\n"
    assert Path(".gitlab-ci.yml") in scaffold_ci(demo, force=True).written


def test_generated_tests_pass_on_the_demo_repo(demo: Path) -> None:
    run = _run_generated_tests(demo)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " passed" in run.stdout and "failed" not in run.stdout


def test_generated_tests_fail_on_a_broken_schema(demo: Path) -> None:
    features = demo / "features.py"
    text = features.read_text()
    declared = re.compile(r'(name="driver_trips_avg_7d",\s*dtype=)Int64')
    assert declared.search(text), "the demo's definition of driver_trips_avg_7d changed shape"
    features.write_text(declared.sub(r"\1Float32", text))
    run = _run_generated_tests(demo, "-k", "schema")
    assert run.returncode == 1, run.stdout + run.stderr
    # refused where it is first met: apply (which checks declared types) or the schema test itself
    assert "driver_trips_avg_7d" in run.stdout and "Float32" in run.stdout and "Int64" in run.stdout


def test_generated_tests_fail_on_a_division_by_zero(demo: Path) -> None:
    features = demo / "features.py"
    features.write_text(
        features.read_text().replace(
            'inputs["driver_conv_rate"] + inputs["driver_rate_bonus"]',
            'inputs["driver_conv_rate"] / inputs["driver_rate_bonus"]',
        )
    )
    run = _run_generated_tests(demo, "-k", "on_demand")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 1 passed" in run.stdout and "infinite values" in run.stdout
