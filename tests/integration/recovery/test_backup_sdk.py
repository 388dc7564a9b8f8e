"""Manifest signatures, retention, capacity and erasure through the SDK on the embedded stores."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from featurevault.errors import BackupNotFoundError, RequestError
from featurevault.recovery.retention import apply_retention
from tests.unit.online.repo_defs import ALL, T0, Harness, open_store, source_tables

KEY = "a-test-audit-key-0123456789abcdef"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Harness]:
    harness = open_store(tmp_path / "repo", source_tables())
    harness.apply(ALL)
    harness.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2))
    harness.set_now(T0 + timedelta(hours=2))
    yield harness
    harness.close()


def test_manifest_is_signed_with_the_audit_key_and_an_edit_is_caught(
    store: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEATUREVAULT_AUDIT_KEY", KEY)
    target = str(tmp_path / "b")
    manifest = store.backup(target=target).manifest
    assert manifest.signature and manifest.signature_algorithm == "hmac-sha256"
    assert store.verify_backup(manifest.backup_id, target=target).signature == "signed"
    assert manifest.watermarks["driver_stats"]["end"] == (T0 + timedelta(hours=2)).isoformat()
    assert {f.path for f in manifest.files} >= {"registry.sqlite", "online/driver_stats.arrows"}

    path = tmp_path / "b" / manifest.backup_id / "manifest.json"
    raw = json.loads(path.read_text())
    raw["registry_version"] = 99  # an edit that keeps every file checksum right
    path.write_text(json.dumps(raw))
    result = store.verify_backup(manifest.backup_id, target=target)
    assert not result.ok and "signature does not match" in result.problems[0]

    monkeypatch.setenv("FEATUREVAULT_AUDIT_KEY", "another-key-of-enough-length-000")
    assert "signature does not match" in store.verify_backup(manifest.backup_id, target=target).problems[0]
    monkeypatch.delenv("FEATUREVAULT_AUDIT_KEY")
    assert "no audit key" in store.verify_backup(manifest.backup_id, target=target).problems[0]


def test_unknown_backup_is_named(store: Harness, tmp_path: Path) -> None:
    with pytest.raises(BackupNotFoundError, match="no complete backup 'nope'"):
        store.verify_backup("nope", target=str(tmp_path / "b"))
    with pytest.raises(BackupNotFoundError):
        store.restore_backup("../x", target=str(tmp_path / "b"))


def test_retention_keep_last_and_keep_days(store: Harness, tmp_path: Path) -> None:
    target = str(tmp_path / "b")
    ids = [store.backup(["registry"], target=target).manifest.backup_id for _ in range(3)]
    ctx = store.recovery(target).context()
    in_40_days = datetime.now(UTC) + timedelta(days=40)
    kept = apply_retention(ctx, keep_days=30, now=in_40_days, dry_run=True)
    assert kept.kept == [] and sorted(kept.removed) == sorted(ids)
    assert len(store.list_backups(target=target)) == 3  # a dry run removes nothing
    assert apply_retention(ctx, keep_days=30).removed == []  # "30 days": all are young
    result = store.recovery(target).prune(keep_last=1, keep_days=None)
    assert result.kept == [ids[-1]] and sorted(result.removed) == sorted(ids[:-1])
    assert [m.backup_id for m in store.list_backups(target=target)] == [ids[-1]]


def test_restore_rewinds_watermarks_so_incremental_fills_exactly_the_gap(store: Harness, tmp_path: Path) -> None:
    target = str(tmp_path / "b")
    backup_id = store.backup(target=target).manifest.backup_id
    # later data arrives and is materialized, then the online store is lost and restored from the backup
    store.materialize_incremental(T0 + timedelta(hours=5))
    store.online_store.drop("driver_stats")
    restored = store.restore_backup(backup_id, only="online", force=True, target=target)
    assert restored.watermarks["driver_stats"]["end"] == (T0 + timedelta(hours=2)).isoformat()
    gap = store.materialize_incremental(T0 + timedelta(hours=5), ["driver_stats"])
    (view,) = gap.views
    assert view.start == T0 + timedelta(hours=2) and view.end == T0 + timedelta(hours=5)


def test_capacity_plan_is_recorded(store: Harness) -> None:
    plan = store.recovery().capacity(entities=1_000_000, qps=100)
    by_view = {v.view: v for v in plan.views}
    assert by_view["driver_stats"].entities == 1_000_000 and by_view["driver_stats"].record_bytes > 10
    assert by_view["driver_stats"].online_bytes == int(by_view["driver_stats"].record_bytes * 1_000_000)
    assert by_view["driver_stats"].offline_bytes_per_day and plan.read_rate > 0
    counted = store.recovery().capacity()
    assert {v.view: v.entities for v in counted.views}["driver_stats"] == 4  # three drivers + the layout record
    recorded = store.recovery().status()["capacity"]
    assert recorded["entities"] == counted.entities


def test_forget_deletes_the_entity_online_and_names_what_it_cannot(store: Harness) -> None:
    refs = ["driver_stats:city"]
    assert store.get_online_features(refs, {"driver_id": [1, 2]}).to_dict()["city"] == ["b", "c"]
    dry = store.forget({"driver_id": 1}, dry_run=True)
    assert dry.online == {"driver_stats": 1, "driver_fresh": 1}
    assert store.get_online_features(refs, {"driver_id": [1]}).to_dict()["city"] == ["b"]
    result = store.forget({"driver_id": 1})
    assert result.online == {"driver_stats": 1, "driver_fresh": 1}
    assert store.get_online_features(["driver_fresh:city"], {"driver_id": [1]}).to_dict()["city"] == [None]
    assert store.get_online_features(refs, {"driver_id": [1, 2]}).to_dict()["city"] == [None, "c"]
    assert any("driver_source" in line for line in result.not_rewritten)
    with pytest.raises(RequestError, match="no feature view is keyed by user_id"):
        store.forget({"user_id": 1})
