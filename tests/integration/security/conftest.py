"""Fixtures: a governed repo on disk and a store acting as its administrator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.integration.security.governed_repo import ADMIN, NOW, REPO, YAML, users_frame

from featurevault import FeatureStore
from featurevault.ops.apply import apply_contents
from featurevault.ops.repo import load_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    users_frame().to_parquet(repo / "data" / "users.parquet")
    (repo / "features.py").write_text(REPO)
    (repo / "feature_store.yaml").write_text(YAML)
    return repo


@pytest.fixture
def admin(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FeatureStore]:
    monkeypatch.setenv("FEATUREVAULT_PII_HASH_KEY", "integration-test-hash-key-0123456789")
    monkeypatch.delenv("FEATUREVAULT_TOKEN", raising=False)
    store = FeatureStore(repo_path=repo, principal=ADMIN)
    apply_contents(store, load_repo(repo))
    store.materialize(NOW - timedelta(days=1), NOW)
    yield store
    store.close()
