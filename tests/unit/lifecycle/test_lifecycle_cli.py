"""The lifecycle commands: --env, history, diff, rollback, flag, promote, schedule, plan --format/--exit-code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from featurevault._cli.main import app
from featurevault.errors import FeatureVaultError
from tests.unit.lifecycle.fraud_repo import DEFINITIONS, write_repo

runner = CliRunner()


def _run(repo: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["--chdir", str(repo), *args], env={"COLUMNS": "200", **(env or {})})
    if isinstance(result.exception, FeatureVaultError):  # what main() prints as one red line, exit 1
        return 1, result.output + str(result.exception)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FEATUREVAULT_ENV", raising=False)
    return write_repo(tmp_path / "repo")


def test_plan_exit_code_and_markdown(repo: Path) -> None:
    code, out = _run(repo, "plan", "--exit-code")
    assert code == 2 and "7 added" in out
    code, out = _run(repo, "plan", "--format", "markdown")
    assert code == 0
    assert "### featurevault plan: project `fraud`" in out
    assert "| ➕ add | feature service | `fraud_model_v3` |  |" in out
    assert _run(repo, "apply")[0] == 0
    code, out = _run(repo, "plan", "--exit-code", "--format", "json")
    assert code == 0 and json.loads(out)["has_changes"] is False


def test_env_option_and_variable_pick_the_environment_shown_by_changing_commands(repo: Path) -> None:
    code, out = _run(repo, "--env", "staging", "apply")
    assert code == 0 and "Environment: staging" in out
    code, out = _run(repo, "history", "--format", "json", env={"FEATUREVAULT_ENV": "staging"})
    (entry,) = json.loads(out)
    assert entry["environment"] == "staging" and entry["version"] == 1
    assert json.loads(_run(repo, "--env", "prod", "history", "--format", "json")[1]) == []
    code, out = _run(repo, "--env", "qa", "history")
    assert code == 1 and "environment 'qa'" in out


def test_history_diff_rollback_round_trip(repo: Path) -> None:
    _run(repo, "apply")
    (repo / "features.py").write_text(DEFINITIONS.replace("days=30", "days=14"))
    _run(repo, "apply")
    code, out = _run(repo, "diff", "1", "--format", "json")
    changes = json.loads(out)["changes"]
    assert {c["name"] for c in changes} == {"user_txn_stats_daily", "user_risk_daily"}
    assert changes[0]["fields"] == [{"field": "ttl_seconds", "before": 2592000.0, "after": 1209600.0}]
    code, out = _run(repo, "rollback", "1", "--dry-run")
    assert code == 0 and "Dry run" in out and "~ feature view user_risk_daily (ttl_seconds)" in out
    code, out = _run(repo, "rollback", "1")
    assert code == 0 and "as version 3" in out
    code, out = _run(repo, "diff", "1")
    assert code == 0 and "No differences between version 1 and 3" in out
    code, out = _run(repo, "history")
    assert "rollback to 1" in out


def test_flag_set_list_and_remove(repo: Path) -> None:
    _run(repo, "apply")
    code, out = _run(repo, "flag", "set", "fraud_model_v3", "--percent", "10")
    assert code == 0 and "feature_service:fraud_model_v3: on, 10%" in out
    assert _run(repo, "flag", "set", "fraud_model_v3", "--off")[0] == 0
    flags = json.loads(_run(repo, "flag", "list", "--format", "json")[1])
    assert [(f["target"], f["enabled"], f["percent"]) for f in flags] == [
        ("feature_service:fraud_model_v3", False, 10.0)
    ]
    code, out = _run(repo, "flag", "set", "fraud_model_v3", "--percent", "101")
    assert code == 1 and "between 0 and 100" in out
    assert _run(repo, "flag", "remove", "fraud_model_v3")[0] == 0
    assert json.loads(_run(repo, "flag", "list", "--format", "json")[1]) == []


def test_promote_staging_to_prod(repo: Path) -> None:
    _run(repo, "--env", "staging", "apply")
    code, out = _run(repo, "promote", "--from", "staging", "--to", "prod", "--dry-run")
    assert code == 0 and "gate lint: ok" in out and "Dry run" in out
    code, out = _run(repo, "promote", "--from", "staging", "--to", "prod")
    assert code == 0 and "Promoted staging v1 to prod as version 1" in out and "Environment: prod" in out


def test_schedule_status_and_run(repo: Path) -> None:
    scheduled = DEFINITIONS.replace(
        '    tags={"team": "risk"},\n)\n\nfraud', '    tags={"team": "risk"},\n    schedule="@daily",\n)\n\nfraud'
    )
    (repo / "features.py").write_text(scheduled)
    _run(repo, "apply")
    (row,) = json.loads(_run(repo, "schedule", "status", "--format", "json")[1])
    assert row["view"] == "user_risk_daily" and row["due"] is True
    code, out = _run(repo, "schedule", "run")
    assert code == 0 and "user_risk_daily: ok (10000 rows" in out
    (row,) = json.loads(_run(repo, "schedule", "status", "--format", "json")[1])
    assert row["due"] is False and row["last_run"]["outcome"] == "ok"
