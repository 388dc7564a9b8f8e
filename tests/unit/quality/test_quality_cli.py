"""The CLI on a real repo: lint formats and exit codes, readiness, and lint gating plan/apply."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from featurevault import FeatureStore
from featurevault._backends.registry.sqlite import Store as SqliteRegistry
from featurevault._cli.main import app
from featurevault._cli.scaffold import scaffold
from featurevault._config import load_repo_config
from featurevault.errors import LintError
from featurevault._ops.repo import load_repo

runner = CliRunner()
FEAST_NAMED = Path(__file__).resolve().parents[2] / "fixtures" / "feast_named_features.py"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The demo repo of ``featurevault init`` with Feast's quickstart definitions (conv_rate in
    driver_hourly_stats), which the naming rules flag."""
    scaffold(tmp_path / "demo")
    shutil.copy(FEAST_NAMED, tmp_path / "demo" / "features.py")
    return tmp_path / "demo"


def test_fresh_init_repo_is_lint_clean(tmp_path: Path) -> None:
    scaffold(tmp_path / "fresh")
    code, out = _run(tmp_path / "fresh", "lint")
    assert code == 0 and "0 error(s), 0 warning(s)" in out


def _run(repo: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--chdir", str(repo), *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _enforce(repo: Path) -> None:
    config = repo / "feature_store.yaml"
    config.write_text(config.read_text() + "lint:\n  enforce: true\n")


def test_lint_feast_names_warn_and_fail_on(demo: Path) -> None:
    code, out = _run(demo, "lint")
    assert code == 1 and "FV104" in out and "warning" in out and "error(s)" in out
    code, _ = _run(demo, "lint", "--fail-on", "error")
    assert code == 0


def test_lint_json_names_file_and_line(demo: Path) -> None:
    code, out = _run(demo, "lint", "--format", "json")
    findings = json.loads(out)
    conv_rate = next(f for f in findings if f["object"] == "driver_hourly_stats:conv_rate" and f["rule"] == "FV104")
    lines = (demo / "features.py").read_text().splitlines()
    assert conv_rate["file"] == "features.py" and "FeatureView(" in lines[conv_rate["line"] - 1]
    assert code == 1


def test_lint_sarif_and_github(demo: Path) -> None:
    _, out = _run(demo, "lint", "--format", "sarif")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]
    _, out = _run(demo, "lint", "--format", "github")
    assert out.splitlines()[0].startswith("::warning file=features.py,line=")


def test_lint_select_ignore_and_clean_exit(demo: Path) -> None:
    code, out = _run(demo, "lint", "--select", "FV402,FV403", "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out = _run(demo, "lint", "--select", "FV1", "--ignore", "FV104", "--format", "json")
    assert {f["rule"] for f in json.loads(out)} <= {"FV101", "FV102", "FV103", "FV105", "FV106", "FV107"}


def _cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point, as a shell runs it (exit codes and error lines included)."""
    command = [sys.executable, "-m", "featurevault._cli.main", "--chdir", str(repo), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_exit_codes_of_the_entry_point(demo: Path) -> None:
    assert _cli(demo, "lint", "--format", "github").returncode == 1
    assert _cli(demo, "lint", "--fail-on", "error").returncode == 0
    assert _cli(demo, "readiness", "--format", "json", "--fail-under", "99").returncode == 1
    proc = _cli(demo, "lint", "--select", "FV9")
    assert proc.returncode == 1 and "'FV9' matches no lint rule" in proc.stderr and "Traceback" not in proc.stderr


def test_readiness_formats_and_fail_under(demo: Path) -> None:
    code, out = _run(demo, "readiness", "--format", "json")
    data = json.loads(out)
    assert code == 0 and len(data["items"]) == 31 and 0 < data["score"] < 100
    items = {i["item"]: i for i in data["items"]}
    assert items["TTLs set appropriately"]["evidence"] == "TTL set on 1/1 feature views"
    assert items["Capacity planning done"]["evidence"] == "online store: sqlite (embedded, not for production)"
    code, out = _run(demo, "readiness", "--format", "markdown", "--fail-under", "99")
    assert code == 1 and out.startswith("# Production readiness")
    code, _ = _run(demo, "readiness", "--fail-under", str(data["score"]))
    assert code == 0


def test_plan_prints_findings_and_apply_is_blocked_by_lint_errors(demo: Path) -> None:
    _enforce(demo)
    code, out = _run(demo, "plan")
    assert code == 0 and "FV104" in out and "error" in out
    proc = _cli(demo, "apply")
    assert proc.returncode == 1 and "lint error(s) block apply" in proc.stderr and "FV104" in proc.stdout
    config = load_repo_config(demo)
    registry = SqliteRegistry.from_config(config.registry, resolve=config.resolve)
    assert registry.latest_version(config.project) == 0

    code, out = _run(demo, "apply", "--skip-lint")
    assert code == 0 and "overridden with --skip-lint" in out
    info = registry.history(config.project)[0]
    assert info.meta["skip_lint"] is True and info.meta["lint_errors"] > 0
    registry.close()


def test_apply_with_warnings_only_records_no_override(demo: Path) -> None:
    code, out = _run(demo, "apply")
    assert code == 0 and "warning(s)" in out
    config = load_repo_config(demo)
    registry = SqliteRegistry.from_config(config.registry, resolve=config.resolve)
    assert "skip_lint" not in registry.history(config.project)[0].meta
    registry.close()


def test_store_apply_is_gated_like_the_cli(demo: Path) -> None:
    _enforce(demo)
    objects = load_repo(demo).objects()
    with FeatureStore(repo_path=demo) as store:
        with pytest.raises(LintError) as caught:
            store.apply(objects)
        assert caught.value.report is not None and caught.value.report.errors
        assert store.registry.registry.latest_version(store.project) == 0
        result = store.apply(objects, skip_lint=True)
        assert result.committed
        assert store.registry.registry.history(store.project)[0].meta["lint_errors"] == len(result.plan.lint.errors)
