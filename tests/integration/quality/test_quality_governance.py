"""Every data-quality entry point goes through the guard: refused without the grant, one audit record each."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from featurevault.errors import PermissionDeniedError
from featurevault._governance.principal import Principal
from featurevault._model import AuthzedAction, Permission, RoleBasedPolicy
from featurevault._model.permission import ALL_ACTIONS
from featurevault._quality.saved_dataset import SavedDatasetFileStorage
from featurevault._store import FeatureStore
from tests.unit.quality.rules_repo import T0, make_store, views

ADMIN = Principal("qa-admin", roles=["admin"])
AUDIT = "audit:\n    path: data/audit.jsonl\n    flush_interval_ms: 20\nauth:\n    type: token\n"


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[FeatureStore]:
    make_store(tmp_path).close()
    yaml = tmp_path / "feature_store.yaml"
    yaml.write_text(yaml.read_text() + AUDIT)
    store = FeatureStore(repo_path=tmp_path, principal=ADMIN)
    store.apply(
        [
            *views(),
            Permission(name="admin", actions=ALL_ACTIONS, policy=RoleBasedPolicy(roles=["admin"])),
            Permission(
                name="analysts-read",
                types=["feature_view"],
                actions=[AuthzedAction.READ_OFFLINE],
                policy=RoleBasedPolicy(roles=["analyst"]),
            ),
        ]
    )
    store.materialize(T0 - timedelta(days=1), T0 + timedelta(days=1), ["user_stats"])
    yield store
    store.close()


def _dataset_job(store: FeatureStore) -> Any:
    import pandas as pd

    entity = pd.DataFrame({"user_id": [1, 2], "event_timestamp": [T0, T0]})
    return store.get_historical_features(entity, ["user_stats:total"])


ENTRY_POINTS: dict[str, tuple[str, Callable[[FeatureStore, str, Any], Any]]] = {
    "validate": ("validate", lambda s, q, job: s.validate(["user_stats"])),
    "profile": ("profile", lambda s, q, job: s.profile("user_stats")),
    "get_profile": ("get_profile", lambda s, q, job: s.get_profile("user_stats")),
    "list_profiles": ("list_profiles", lambda s, q, job: s.list_profiles("user_stats")),
    "last_validation": ("last_validation", lambda s, q, job: s.last_validation()),
    "quarantine_list": ("quarantine_list", lambda s, q, job: s.list_quarantined("user_stats")),
    "quarantine_show": ("quarantine_show", lambda s, q, job: s.get_quarantined(q)),
    "quarantine_release": ("quarantine_release", lambda s, q, job: s.release_quarantined([q])),
    "quarantine_purge": ("quarantine_purge", lambda s, q, job: s.purge_quarantined(timedelta(days=30), "user_stats")),
    "create_saved_dataset": (
        "create_saved_dataset",
        lambda s, q, job: s.create_saved_dataset(
            from_=job, name="ds", storage=SavedDatasetFileStorage(path="data/ds.parquet"), allow_overwrite=True
        ),
    ),
    "get_saved_dataset": ("get_saved_dataset", lambda s, q, job: s.get_saved_dataset("ds")),
}


def _records(store: FeatureStore) -> list[dict[str, Any]]:
    store.guard.audit.flush()
    path = Path(store.repo_path) / "data" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def _operations(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [((r.get("details") or {}).get("operation", ""), r["outcome"]) for r in records]


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_refused_without_grant_and_audited_once(admin: FeatureStore, name: str) -> None:
    operation, call = ENTRY_POINTS[name]
    admin.create_saved_dataset(
        from_=_dataset_job(admin),
        name="ds",
        storage=SavedDatasetFileStorage(path="data/ds.parquet"),
        allow_overwrite=True,
    )
    admin.profile("user_stats")
    entry = admin.list_quarantined("user_stats")[0].id
    stranger = admin.as_principal(Principal("stranger", roles=["nobody"]))
    job = _dataset_job(admin)
    before = len(_records(admin))
    with pytest.raises(PermissionDeniedError, match="stranger"):
        call(stranger, entry, job)
    denied = _records(admin)[before:]
    assert _operations(denied) == [(operation, "denied")]
    before = len(denied) + before
    call(admin, entry, job)
    allowed = _records(admin)[before:]
    assert _operations(allowed) == [(operation, "ok")], allowed


def test_read_grant_reads_quarantine_but_cannot_release(admin: FeatureStore) -> None:
    analyst = admin.as_principal(Principal("ana", roles=["analyst"]))
    entries = analyst.list_quarantined("user_stats")
    assert len(entries) == 5
    with pytest.raises(PermissionDeniedError):
        analyst.release_quarantined([entries[0].id])
    with pytest.raises(PermissionDeniedError):
        analyst.purge_quarantined(timedelta(0), "user_stats")
    assert len(admin.list_quarantined("user_stats")) == 5


def test_write_audit_record_notes_rule_outcomes(admin: FeatureStore) -> None:
    from tests.unit.quality.rules_repo import mixed_rows

    admin.push("live_push", mixed_rows(T0 + timedelta(hours=2)).to_pandas(), to="online")
    record = [r for r in _records(admin) if r["action"] == "WRITE_ONLINE"][-1]
    quality = record["details"]["quality"]["user_live"]
    assert quality["checked"] == 8 and quality["quarantined"] == 5
    assert quality["failed"]["one_of_tier"] == 1
