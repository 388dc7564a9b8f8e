"""Fixtures: a governed repo on disk and a store acting as its administrator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.integration.security.governed_repo import ADMIN, NOW, governed_builder
from tests.support.repo_builder import open_repo

from featurevault import FeatureStore


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return governed_builder(tmp_path / "repo").write()


@pytest.fixture
def admin(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FeatureStore]:
    monkeypatch.setenv("FEATUREVAULT_PII_HASH_KEY", "integration-test-hash-key-0123456789")
    monkeypatch.delenv("FEATUREVAULT_TOKEN", raising=False)
    store = open_repo(repo, principal=ADMIN, apply_files=True)
    store.materialize(NOW - timedelta(days=1), NOW)
    yield store
    store.close()
