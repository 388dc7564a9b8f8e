"""History, diff and rollback: rollback to V makes a new version equal to V, so diff V is then empty."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from featurevault import FeatureStore
from featurevault.errors import VersionNotFoundError
from featurevault._ops.repo import load_repo
from tests.unit.lifecycle.fraud_repo import DEFINITIONS, write_repo


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FeatureStore]:
    monkeypatch.delenv("FEATUREVAULT_ENV", raising=False)
    repo = write_repo(tmp_path / "repo")
    with FeatureStore(repo) as fs:
        fs.apply(load_repo(repo))  # version 1
        changed = DEFINITIONS.replace(
            'ttl=timedelta(days=30),\n    schema=[Field(name="user_device',
            'ttl=timedelta(days=7),\n    schema=[Field(name="user_device',
        )
        changed = changed.replace(
            'fraud_model_v3 = FeatureService(name="fraud_model_v3", features=[user_txn_stats_daily, user_risk_daily])\n',
            "",
        )
        (repo / "features.py").write_text(changed)
        fs.apply(load_repo(repo))  # version 2: user_risk ttl 7 days, fraud_model_v3 removed
        yield fs


def test_history_lists_versions_with_principal_environment_and_summary(store: FeatureStore) -> None:
    entries = store.history()
    assert [e.version for e in entries] == [2, 1]
    assert entries[0].summary == "0 added, 1 updated, 1 removed"
    assert "- feature service fraud_model_v3" in entries[0].changes
    assert entries[0].principal and entries[0].environment is None
    assert [e.version for e in store.history(limit=1)] == [2]


def test_diff_is_object_and_field_level(store: FeatureStore) -> None:
    diff = store.diff(1, 2)
    found = {(c.kind, c.name, c.action): c for c in diff.changes}
    assert set(found) == {
        ("feature_view", "user_risk_daily", "update"),
        ("feature_service", "fraud_model_v3", "remove"),
    }
    (ttl,) = found[("feature_view", "user_risk_daily", "update")].fields
    assert (ttl.field, ttl.before, ttl.after) == ("ttl_seconds", 30 * 86400.0, 7 * 86400.0)
    assert store.diff(2).is_empty  # against the newest version
    assert not store.diff(1).is_empty


def test_rollback_then_diff_is_empty(store: FeatureStore) -> None:
    plan = store.rollback(1, dry_run=True)
    assert not plan.committed and store.registry.registry.latest_version("fraud") == 2
    assert {str(c) for c in plan.plan.changes} == {
        "+ feature service fraud_model_v3",
        "~ feature view user_risk_daily (ttl_seconds)",
    }
    result = store.rollback(1)
    assert result.committed and result.new_version == 3
    assert store.diff(1).is_empty
    assert store.diff(1, 3).is_empty
    newest = store.history(limit=1)[0]
    assert newest.meta["rollback_to"] == 1 and newest.summary.startswith("rollback to 1")
    assert "fraud_model_v3" in {s.name for s in store.list_feature_services()}


def test_rollback_to_a_missing_version_names_the_versions(store: FeatureStore) -> None:
    with pytest.raises(VersionNotFoundError, match="no registry version 9 \\(versions are 1..2\\)"):
        store.rollback(9)
    with pytest.raises(VersionNotFoundError):
        store.diff(0)
