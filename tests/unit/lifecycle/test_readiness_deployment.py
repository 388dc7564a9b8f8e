"""The readiness report's DEPLOYMENT items from real state, and the SDK, CLI and HTTP reports agreeing.

Each item is flipped by changing the state it reads: CI files written by ``scaffold ci``, a
promotion from staging recorded in the history, a rollback runbook and versions to roll back
to (or a rollback carried out), flags set and removed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from featurevault import FeatureStore
from featurevault._cli.main import app
from featurevault._cli.scaffold_ci import scaffold_ci
from featurevault._ops.repo import load_repo
from featurevault._quality.readiness import FAIL, NOT_CHECKED, PASS
from featurevault._server import create_app
from tests.unit.lifecycle.fraud_repo import DEFINITIONS, write_repo
from tests.unit.server.testclient import TestClient

CI, STAGING, ROLLBACK, FLAGS = (
    "CI/CD pipeline configured",
    "Staging environment tested",
    "Rollback procedure documented",
    "Feature flags for new features",
)
runner = CliRunner()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FEATUREVAULT_ENV", raising=False)
    (tmp_path / ".git").mkdir()  # the repo's checkout root: CI files are not looked for above it
    return write_repo(tmp_path / "repo")


@pytest.fixture
def prod(repo: Path) -> Iterator[FeatureStore]:
    with FeatureStore(repo, env="staging") as staging:
        staging.apply(load_repo(repo))
    with FeatureStore(repo, env="prod") as store:
        yield store


def _item(store: FeatureStore, title: str) -> tuple[str, str]:
    (item,) = [i for i in store.readiness().items if i.title == title]
    return item.status, item.evidence


def test_ci_follows_the_pipeline_files(repo: Path, prod: FeatureStore) -> None:
    assert _item(prod, CI)[0] == NOT_CHECKED
    workflows = repo.parent / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "build.yml").write_text("steps:\n  - run: make test\n")
    assert _item(prod, CI) == (FAIL, "CI: build.yml; runs no featurevault command (lint, plan, apply)")
    scaffold_ci(repo)
    status, evidence = _item(prod, CI)
    assert status == PASS and "featurevault.yml" in evidence and ".gitlab-ci.yml" in evidence
    assert evidence.endswith("runs featurevault lint, plan, validate, apply, promote")


def test_staging_passes_once_a_promotion_from_it_is_recorded(prod: FeatureStore) -> None:
    assert _item(prod, STAGING) == (
        FAIL,
        "environment 'staging' configured but never promoted from (featurevault promote --from)",
    )
    prod.promote("staging")
    assert _item(prod, STAGING) == (PASS, "environment 'staging' configured and promoted from (registry history)")


def test_rollback_needs_the_runbook_and_a_history_to_act_on(repo: Path, prod: FeatureStore) -> None:
    assert _item(prod, ROLLBACK)[0] == NOT_CHECKED
    (repo / "rollback_runbook.md").write_text("Run `featurevault rollback V --dry-run`, then without.\n")
    assert _item(prod, ROLLBACK) == (
        FAIL,
        "rollback runbook: rollback_runbook.md; the registry history holds 0 version(s): nothing to roll back to yet",
    )
    prod.promote("staging")
    assert _item(prod, ROLLBACK)[0] == FAIL
    (repo / "features.py").write_text(DEFINITIONS.replace("days=30", "days=14"))
    prod.apply(load_repo(repo))
    assert _item(prod, ROLLBACK) == (
        PASS,
        "rollback runbook: rollback_runbook.md; the registry history holds 2 versions to roll back to",
    )
    prod.rollback(1)
    assert _item(prod, ROLLBACK) == (
        PASS,
        "rollback runbook: rollback_runbook.md; rollback carried out: version 3 restored version 1",
    )


def test_flags_follow_the_registry(prod: FeatureStore) -> None:
    prod.promote("staging")
    assert _item(prod, FLAGS) == (FAIL, "no feature flags defined (featurevault flag set)")
    prod.set_flag("fraud_model_v3", percent=10)
    assert _item(prod, FLAGS) == (PASS, "1 feature flag(s) defined")
    prod.remove_flag("fraud_model_v3")
    assert _item(prod, FLAGS)[0] == FAIL


def test_sdk_cli_and_http_reports_agree(repo: Path, prod: FeatureStore) -> None:
    prod.promote("staging")
    prod.set_flag("fraud_model_v3", percent=10)
    scaffold_ci(repo)
    sdk = prod.readiness().to_dict()
    result = runner.invoke(app, ["--chdir", str(repo), "--env", "prod", "readiness", "--format", "json"])
    assert result.exit_code == 0, result.output
    cli = json.loads(result.output)
    with TestClient(create_app(prod)) as client:
        http = client.get("/readiness").json()
    for a, b, c in zip(sdk["items"], cli["items"], http["items"]):
        assert a == b == c, (a, b, c)
    assert sdk == cli == http
    deployment = {i["item"]: i["status"] for i in sdk["items"] if i["section"] == "DEPLOYMENT"}
    assert deployment == {CI: PASS, STAGING: PASS, ROLLBACK: FAIL, FLAGS: PASS}  # one version: nothing to roll back to


def test_before_any_apply_the_cli_judges_the_files_alone(repo: Path) -> None:
    result = runner.invoke(app, ["--chdir", str(repo), "readiness", "--format", "json"])
    assert result.exit_code == 0, result.output
    items = {i["item"]: i["status"] for i in json.loads(result.output)["items"]}
    assert items[FLAGS] == NOT_CHECKED and items[STAGING] == NOT_CHECKED
    assert not (repo / "data" / "registry.db").exists()  # reading readiness created no registry
