"""Promotion from staging to prod: gates on the source, a dry run, the recorded source version."""

from __future__ import annotations

from pathlib import Path

import pytest

from featurevault import FeatureStore
from featurevault.errors import GateError
from featurevault._ops.repo import load_repo
from tests.unit.lifecycle.fraud_repo import DEFINITIONS, write_repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FEATUREVAULT_ENV", raising=False)
    return write_repo(tmp_path / "repo")


def _apply_to(repo: Path, env: str, skip_lint: bool = False) -> None:
    with FeatureStore(repo, env=env) as store:
        store.apply(load_repo(repo), skip_lint=skip_lint)


def test_promote_applies_staging_to_prod_and_records_the_source(repo: Path) -> None:
    _apply_to(repo, "staging")
    with FeatureStore(repo, env="prod") as prod:
        dry = prod.promote("staging", dry_run=True)
        assert not dry.committed and len(dry.plan.changes) == 7
        assert prod.list_feature_views() == []
        result = prod.promote("staging")
        assert result.committed and result.new_version == 1 and result.source_version == 1
        assert {g.name for g in result.gates if g.passed} == {"lint", "readiness", "validate"}
        entry = prod.history()[0]
        assert entry.environment == "prod" and entry.meta["promoted_from"] == "staging"
        assert entry.summary.startswith("promoted from staging v1")
        assert prod.diff(1).is_empty and len(prod.list_feature_services()) == 2
        again = prod.promote("staging")
        assert not again.committed  # nothing changed: no new version
        assert [e.version for e in prod.history()] == [1]


def test_a_failing_lint_gate_refuses_the_promotion(repo: Path) -> None:
    (repo / "features.py").write_text(DEFINITIONS.replace('name="user_txn_stats_daily"', 'name="tmp"'))
    config = (repo / "feature_store.yaml").read_text()
    (repo / "feature_store.yaml").write_text(config.replace("  staging:\n", "  staging:\n    lint: {enforce: true}\n"))
    _apply_to(repo, "staging", skip_lint=True)
    with FeatureStore(repo, env="prod") as prod:
        with pytest.raises(GateError, match="promote from 'staging' refused: lint: .*error") as caught:
            prod.promote("staging")
        assert caught.value.failures and caught.value.failures[0].startswith("lint")
        assert prod.history() == []  # nothing written


def test_promoting_an_empty_environment_is_refused(repo: Path) -> None:
    with FeatureStore(repo, env="prod") as prod:
        with pytest.raises(GateError, match="'staging' has nothing applied"):
            prod.promote("staging")


def test_a_failing_readiness_gate_refuses_the_promotion(repo: Path) -> None:
    (repo / "features.py").write_text(DEFINITIONS.replace("    ttl=timedelta(days=30),\n", "", 1))
    _apply_to(repo, "staging", skip_lint=True)
    with FeatureStore(repo, env="prod") as prod:
        with pytest.raises(GateError, match="readiness: DESIGN 'TTLs set appropriately' fails") as caught:
            prod.promote("staging", dry_run=True)
        assert [f.split(":")[0] for f in caught.value.failures] == ["readiness"]
        assert prod.history() == []


def test_a_failing_validate_gate_refuses_the_promotion(repo: Path) -> None:
    import pyarrow.parquet as pq

    risk = pq.read_table(repo / "data" / "risk.parquet").to_pandas()
    risk.loc[0, "user_device_risk_score"] = 7.5  # outside between(0, 1)
    risk.to_parquet(repo / "data" / "risk.parquet", index=False)
    blocking = 'between("user_device_risk_score", 0, 1, on_fail="block")'
    (repo / "features.py").write_text(DEFINITIONS.replace('between("user_device_risk_score", 0, 1)', blocking))
    _apply_to(repo, "staging")
    with FeatureStore(repo, env="prod") as prod:
        with pytest.raises(GateError) as caught:
            prod.promote("staging")
        assert [f.split(":")[0] for f in caught.value.failures] == ["validate"]
        assert "blocking rule failed on staging's data" in caught.value.failures[0]
        assert prod.history() == []


def test_the_first_promotion_into_a_prod_without_permissions_is_a_bootstrap(repo: Path) -> None:
    """As a project's first apply, its first promotion (and a dry run of it) may install the permissions."""
    import json

    from featurevault.errors import PermissionDeniedError
    from featurevault._governance.principal import Principal

    admins = (
        "\nfrom featurevault import Permission, RoleBasedPolicy\n"
        'admins = Permission(name="admins", policy=RoleBasedPolicy(roles=["platform-admin"]))\n'
    )
    (repo / "features.py").write_text(DEFINITIONS + admins)
    text = (repo / "feature_store.yaml").read_text()
    (repo / "feature_store.yaml").write_text(text + "    auth: {type: token}\n")
    _apply_to(repo, "staging")
    nobody = Principal("intern", roles=[])
    with FeatureStore(repo, env="prod", principal=nobody) as prod:
        dry = prod.promote("staging", dry_run=True)
        assert not dry.committed
        assert prod.promote("staging").committed  # installs the permissions
    with FeatureStore(repo, env="prod", principal=nobody) as prod, pytest.raises(PermissionDeniedError):
        prod.promote("staging", dry_run=True)  # from now on PROMOTE is needed
    audit = [json.loads(line) for line in (repo / "data" / "audit.jsonl").read_text().splitlines()]
    promotions = [r for r in audit if r.get("action") == "PROMOTE"]
    assert [r["details"].get("bootstrap") is not None for r in promotions[:2]] == [True, True]
