"""Manifest signatures, retention, capacity and erasure through the SDK on the embedded stores; what is
about the backup target runs on a local directory and on S3 (moto's server on loopback)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from featurevault.errors import BackupIntegrityError, BackupNotFoundError, RequestError
from featurevault._recovery.retention import apply_retention
from tests.integration.objects.moto_server import Location
from tests.unit.online.repo_defs import ALL, T0, Harness, open_store, source_tables

KEY = "a-test-audit-key-0123456789abcdef"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Harness]:
    yield from _store(tmp_path)


@pytest.fixture
def at(tmp_path: Path, location: Location) -> Iterator[tuple[Harness, Location]]:
    """A store whose backups go to ``location`` (``backup.target``: a local directory or s3://)."""
    for harness in _store(tmp_path, f"backup:\n  target: {location.uri}\n{location.settings()}"):
        yield harness, location


def _store(tmp_path: Path, extra: str = "") -> Iterator[Harness]:
    harness = open_store(tmp_path / "repo", source_tables(), extra=extra)
    harness.apply(ALL)
    harness.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2))
    harness.set_now(T0 + timedelta(hours=2))
    yield harness
    harness.close()


def test_manifest_is_signed_with_the_audit_key_and_an_edit_is_caught(
    at: tuple[Harness, Location], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, location = at
    monkeypatch.setenv("FEATUREVAULT_AUDIT_KEY", KEY)
    manifest = store.backup().manifest
    assert manifest.signature and manifest.signature_algorithm == "hmac-sha256"
    assert store.verify_backup(manifest.backup_id).signature == "signed"
    assert manifest.watermarks["driver_stats"]["end"] == (T0 + timedelta(hours=2)).isoformat()
    assert {f.path for f in manifest.files} >= {"registry.sqlite", "online/driver_stats.arrows"}
    assert location.names(manifest.backup_id) == ["manifest.json", "online", "registry.sqlite"]

    path = f"{manifest.backup_id}/manifest.json"
    raw = json.loads(location.read_bytes(path))
    raw["registry_version"] = 99  # an edit that keeps every file checksum right
    location.write_bytes(path, json.dumps(raw).encode())
    result = store.verify_backup(manifest.backup_id)
    assert not result.ok and "signature does not match" in result.problems[0]
    with pytest.raises(BackupIntegrityError, match="signature does not match"):
        store.restore_backup(manifest.backup_id, force=True)

    monkeypatch.setenv("FEATUREVAULT_AUDIT_KEY", "another-key-of-enough-length-000")
    assert "signature does not match" in store.verify_backup(manifest.backup_id).problems[0]
    monkeypatch.delenv("FEATUREVAULT_AUDIT_KEY")
    assert "no audit key" in store.verify_backup(manifest.backup_id).problems[0]


def test_unknown_backup_is_named(store: Harness, tmp_path: Path) -> None:
    with pytest.raises(BackupNotFoundError, match="no complete backup 'nope'"):
        store.verify_backup("nope", target=str(tmp_path / "b"))
    with pytest.raises(BackupNotFoundError):
        store.restore_backup("../x", target=str(tmp_path / "b"))


def test_retention_keep_last_and_keep_days(at: tuple[Harness, Location]) -> None:
    store, location = at
    ids = [store.backup(["registry"]).manifest.backup_id for _ in range(3)]
    ctx = store.recovery().context()
    in_40_days = datetime.now(UTC) + timedelta(days=40)
    kept = apply_retention(ctx, keep_days=30, now=in_40_days, dry_run=True)
    assert kept.kept == [] and sorted(kept.removed) == sorted(ids)
    assert len(store.list_backups()) == 3  # a dry run removes nothing
    assert apply_retention(ctx, keep_days=30).removed == []  # "30 days": all are young
    result = store.recovery().prune(keep_last=1, keep_days=None)
    assert result.kept == [ids[-1]] and sorted(result.removed) == sorted(ids[:-1])
    assert [m.backup_id for m in store.list_backups()] == [ids[-1]]
    assert location.names() == [ids[-1]]  # every object of the removed backups is gone


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
