"""The governed repo of the security tests, plus an "analyst" who may describe only the public view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.integration.security.governed_repo import ADMIN, NOW, REPO, YAML, users_frame
from tests.unit.server.testclient import TestClient

from featurevault import FeatureStore
from featurevault.governance.auth import TokenStore
from featurevault.ops.apply import apply_contents
from featurevault.ops.repo import load_repo
from featurevault.server import create_app

ANALYST = '''
analyst_browses = Permission(
    name="analyst-browses",
    name_patterns=["secured", "user_public_features", "user", "users_src"],
    actions=[AuthzedAction.DESCRIBE],
    policy=RoleBasedPolicy(roles=["analyst"]),
)
'''

ROLES = ("platform-admin", "analyst", "intern")


def write_ui_repo(repo: Path) -> Path:
    (repo / "data").mkdir(parents=True)
    users_frame().to_parquet(repo / "data" / "users.parquet")
    (repo / "features.py").write_text(REPO + ANALYST)
    (repo / "feature_store.yaml").write_text(YAML)
    return repo


@pytest.fixture
def ui_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, dict[str, str]]]:
    monkeypatch.setenv("FEATUREVAULT_PII_HASH_KEY", "ui-test-hash-key-0123456789abcdef")
    monkeypatch.delenv("FEATUREVAULT_TOKEN", raising=False)
    repo = write_ui_repo(tmp_path / "repo")
    admin = FeatureStore(repo_path=repo, principal=ADMIN)
    apply_contents(admin, load_repo(repo))
    admin.materialize(NOW - timedelta(days=1), NOW)
    tokens = TokenStore(admin.registry.registry, admin.project)
    made = {role: tokens.create(f"tok-{role}", roles=[role]) for role in ROLES}
    admin.close()
    yield repo, made


@pytest.fixture
def ui_client(ui_repo: tuple[Path, dict[str, str]]) -> Iterator[tuple[TestClient, dict[str, str], Path]]:
    repo, tokens = ui_repo
    store = FeatureStore(repo_path=repo)
    with TestClient(create_app(store)) as client:
        yield client, tokens, repo
    store.close()
