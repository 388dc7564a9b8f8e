"""The readiness report's DEPLOYMENT items from real state: environments, promotions, runbook, flags, CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from featurevault import FeatureStore
from featurevault.config import load_repo_config
from featurevault.lifecycle.readiness_facts import deployment_facts
from featurevault.ops.repo import load_repo
from featurevault.quality.readiness import FAIL, NOT_CHECKED, PASS, ReadinessFacts, evaluate_readiness
from tests.unit.lifecycle.fraud_repo import write_repo

DEPLOYMENT = ("CI/CD pipeline configured", "Staging environment tested", "Rollback procedure documented",
              "Feature flags for new features")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FEATUREVAULT_ENV", raising=False)
    (tmp_path / ".git").mkdir()  # the repo's checkout root: CI files are not looked for above it
    return write_repo(tmp_path / "repo")


def _deployment(repo: Path, facts: ReadinessFacts) -> dict[str, str]:
    report = evaluate_readiness(load_repo(repo), load_repo_config(repo), facts)
    return {i.title: i.status for i in report.items if i.title in DEPLOYMENT}


def test_deployment_items_follow_the_recorded_state(repo: Path) -> None:
    with FeatureStore(repo) as store:
        before = _deployment(repo, deployment_facts(store))
    assert before == {"CI/CD pipeline configured": NOT_CHECKED, "Staging environment tested": FAIL,
                      "Rollback procedure documented": NOT_CHECKED, "Feature flags for new features": FAIL}
    with FeatureStore(repo, env="staging") as staging:
        staging.apply(load_repo(repo))
    with FeatureStore(repo, env="prod") as prod:
        prod.promote("staging")
        prod.set_flag("fraud_model_v3", percent=10)
        (repo / "docs").mkdir()
        (repo / "docs" / "rollback_runbook.md").write_text("Run `featurevault rollback V --dry-run`, then without.\n")
        (repo / ".gitlab-ci.yml").write_text("plan:\n  script: featurevault plan --exit-code\n")
        after = _deployment(repo, deployment_facts(prod))
    assert after == dict.fromkeys(DEPLOYMENT, PASS)


def test_without_environments_staging_fails_and_unread_state_is_not_checked(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "plain")
    text = (repo / "feature_store.yaml").read_text()
    (repo / "feature_store.yaml").write_text(text.split("environments:")[0])
    items = _deployment(repo, ReadinessFacts())
    assert items["Staging environment tested"] == FAIL
    assert items["Feature flags for new features"] == NOT_CHECKED
