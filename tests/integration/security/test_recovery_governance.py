"""Every recovery entry point is authorized and audited once, with the operation in the record."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from featurevault import FeatureStore
from featurevault.errors import PermissionDeniedError
from featurevault._governance.principal import Principal

Call = Callable[[FeatureStore, str], Any]

CALLS: dict[str, Call] = {
    "backup.create": lambda s, t: s.backup(target=t),
    "backup.list": lambda s, t: s.list_backups(target=t),
    "backup.verify": lambda s, t: (
        s.verify_backup(s.list_backups(target=t)[0].backup_id, target=t)
        if s.principal.name == "root-admin"
        else s.verify_backup("none", target=t)
    ),
    "backup.prune": lambda s, t: s.recovery(t).prune(5, None),
    "online.rebuild": lambda s, t: s.rebuild_online(["user_public_features"]),
    "dr.status": lambda s, t: s.recovery(t).status(),
    "capacity": lambda s, t: s.recovery(t).capacity(1000, 10.0),
    "forget": lambda s, t: s.forget({"user_id": 1}, dry_run=True),
}


def _records(store: FeatureStore, operation: str) -> list[dict[str, Any]]:
    store.guard.audit.flush()
    return [r for r in store.guard.audit.sink.read() if (r.get("details") or {}).get("operation") == operation]


@pytest.mark.parametrize("operation", sorted(CALLS))
def test_denied_without_a_grant_and_audited_once(admin: FeatureStore, tmp_path: Path, operation: str) -> None:
    target = str(tmp_path / "backups")
    admin.backup(target=target)
    nobody = admin.as_principal(Principal("nobody", roles=["data-scientists"]))
    with pytest.raises(PermissionDeniedError, match="nobody"):
        CALLS[operation](nobody, target)
    denied = [r for r in _records(admin, operation) if r["principal"] == "nobody"]
    assert len(denied) == 1 and denied[0]["outcome"] == "denied"
    assert denied[0]["resource"] == ["project:secured"]

    before = len([r for r in _records(admin, operation) if r["principal"] == "root-admin"])
    CALLS[operation](admin, target)
    allowed = [r for r in _records(admin, operation) if r["principal"] == "root-admin"]
    assert len(allowed) == before + 1 and allowed[-1]["outcome"] == "ok"


def test_restore_and_drill_are_audited_with_their_backup(admin: FeatureStore, tmp_path: Path) -> None:
    target = str(tmp_path / "backups")
    backup_id = admin.backup(target=target).manifest.backup_id
    admin.restore_backup(backup_id, only="online", force=True, target=target)
    restore = _records(admin, "backup.restore")
    assert len(restore) == 1 and restore[0]["details"]["backup_id"] == backup_id
    assert restore[0]["action"] == "UPDATE"


def test_http_routes_list_backups_and_status_as_the_caller(admin: FeatureStore) -> None:
    from featurevault._governance.auth import TokenStore
    from featurevault._server import create_app
    from tests.unit.server.testclient import TestClient

    tokens = TokenStore(admin.registry.registry, "secured")
    root, intern = tokens.create("tok-root", roles=["platform-admin"]), tokens.create("tok-intern", roles=["intern"])
    backup_id = admin.backup().manifest.backup_id
    server_store = FeatureStore(repo_path=admin.repo_path)
    try:
        with TestClient(create_app(server_store)) as client:
            listed = client.get("/recovery/backups", headers={"Authorization": f"Bearer {root}"})
            assert listed.status_code == 200 and listed.json()["backups"][0]["backup_id"] == backup_id
            status = client.get("/recovery/status", headers={"Authorization": f"Bearer {root}"})
            assert status.status_code == 200 and status.json()["last_backup"]["backup_id"] == backup_id
            denied = client.get("/recovery/backups", headers={"Authorization": f"Bearer {intern}"})
            assert denied.status_code == 403
            assert client.get("/recovery/status").status_code == 401
            metrics = client.get("/metrics").text
            assert "featurevault_backup_last_success_timestamp_seconds" in metrics
    finally:
        server_store.close()
    records = _records(admin, "backup.list")
    assert [(r["principal"], r["outcome"]) for r in records[-2:]] == [("tok-root", "ok"), ("tok-intern", "denied")]
