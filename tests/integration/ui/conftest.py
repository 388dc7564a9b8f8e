"""The governed repo of the security tests, plus an "analyst" who may describe only the public view.

``write_ops_repo`` and ``prepare_ops_repo`` add what the operational pages show: a stale view,
alerts with a runbook, a drift baseline, a profile, a quarantined row, a monitor run, a backup.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from tests.integration.security.governed_repo import ADMIN, NOW, REPO, governed_builder, users_frame
from tests.support.repo_builder import open_repo
from tests.unit.server.testclient import TestClient

from featurevault import FeatureStore
from featurevault._governance.auth import TokenStore
from featurevault._server import create_app

ANALYST = """
analyst_browses = Permission(
    name="analyst-browses",
    name_patterns=["secured", "user_public_features", "user", "users_src"],
    actions=[AuthzedAction.DESCRIBE],
    policy=RoleBasedPolicy(roles=["analyst"]),
)
"""

ROLES = ("platform-admin", "analyst", "intern")


def write_ui_repo(repo: Path) -> Path:
    return governed_builder(repo, REPO + ANALYST).write()


#: monitoring, alerts and audit grants on top of the governed repo (see write_ops_repo)
OPS = """
from datetime import timedelta

from featurevault import Alert, FeatureView, Field
from featurevault._model import AuthzedAction, Permission, RoleBasedPolicy
from featurevault.types import Int64

user_activity = FeatureView(
    name="user_activity", entities=[user], ttl=timedelta(days=3650), source=source,
    schema=[Field(name="age", dtype=Int64)], freshness=timedelta(minutes=10),
)
activity_stale = Alert(
    name="activity_stale", feature_view="user_activity", condition="freshness > 2x", severity="P2",
    runbook="runbooks/stale.md", owner="data-platform",
)
public_far_stale = Alert(
    name="public_far_stale", feature_view="user_public_features", condition="freshness > 1000d", severity="P3",
    runbook="runbooks/stale.md",
)
viewer_describes_pii_view = Permission(
    name="viewer-describes-pii-view", name_patterns=["user_pii_features"], actions=[AuthzedAction.DESCRIBE],
    policy=RoleBasedPolicy(roles=["viewer"]),
)
auditor_reads_audit = Permission(
    name="auditor-reads-audit", types=["project"], actions=[AuthzedAction.READ_AUDIT],
    policy=RoleBasedPolicy(roles=["auditor"]),
)
"""
RUNBOOK = "# Stale activity\n\n<script>alert(1)</script>\n\nRe-run **materialize** for `user_activity`.\n"


def write_ops_repo(repo: Path) -> Path:
    """The dashboard's repo plus a stale view, two alerts with a runbook, a viewer and an auditor."""
    return governed_builder(repo, REPO + ANALYST + OPS).with_file("runbooks/stale.md", RUNBOOK).write()


def prepare_ops_repo(repo: Path) -> dict[str, str]:
    """Apply, materialize, baseline, profile, quarantine a row, monitor, back up; tokens per role."""
    from featurevault._quality.quarantine import QuarantineBatch, entries_of

    admin = open_repo(repo, principal=ADMIN, apply_files=True)
    admin.materialize(NOW - timedelta(days=1), NOW)
    admin.monitor_baseline("user_pii_features", NOW - timedelta(days=2), NOW + timedelta(minutes=1))
    admin.profile("user_pii_features")
    rows = users_frame()[["user_id", "event_timestamp", "email", "phone", "ssn", "amount"]].head(1)
    table = pa.Table.from_pandas(rows, preserve_index=False).append_column("__fv_rule", pa.array(["amount_positive"]))
    batch = QuarantineBatch("user_pii_features", "online", "push", uuid.uuid4().hex, "setup", uuid.uuid4().hex)
    admin.quarantine.add(entries_of(batch, table, "__fv_rule"))
    admin.monitor_run(NOW - timedelta(days=2), NOW + timedelta(minutes=1))
    admin.backup()
    store = TokenStore(admin.registry.registry, admin.project)
    made = {role: store.create(f"tok-{role}", roles=[role]) for role in (*ROLES, "auditor", "viewer")}
    admin.close()
    return made


@pytest.fixture
def ui_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, dict[str, str]]]:
    monkeypatch.setenv("FEATUREVAULT_PII_HASH_KEY", "ui-test-hash-key-0123456789abcdef")
    monkeypatch.delenv("FEATUREVAULT_TOKEN", raising=False)
    builder = governed_builder(tmp_path / "repo", REPO + ANALYST)
    admin = builder.build(principal=ADMIN)
    repo = builder.root
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
