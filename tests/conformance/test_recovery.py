"""Backup, verify, restore and rebuild of a whole store, on every online backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from featurevault.errors import BackupIntegrityError, RecoveryError
from tests.conformance.conftest import online_section
from tests.unit.online.repo_defs import ALL, T0, Harness, open_store, source_tables

DRIVERS = ["driver_stats:conv_rate", "driver_stats:trips", "driver_stats:city"]
ROUTES = ["route_stats:duration"]


@pytest.fixture
def harness(online_backend: str, tmp_path: Path) -> Iterator[Harness]:
    store = open_store(tmp_path / "repo", source_tables(), online=online_section(online_backend, tmp_path))
    store.online_store.ping()
    store.apply(ALL)
    store.set_now(T0 + timedelta(hours=2))
    yield store
    store.teardown()
    store.close()


def _served(store: Harness) -> dict:
    drivers = store.get_online_features(DRIVERS, {"driver_id": [1, 2, 3, 99]}).to_dict()
    routes = store.get_online_features(ROUTES, {"origin": ["x", "y"], "dest": ["y", "x"]}).to_dict()
    return {**drivers, **routes}


def test_backup_wipe_restore_serves_the_same_values(harness: Harness, tmp_path: Path) -> None:
    harness.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2))
    before = _served(harness)
    backup = harness.backup(target=str(tmp_path / "backups"))
    assert backup.manifest.records > 0 and backup.manifest.signature is None
    assert harness.verify_backup(backup.manifest.backup_id, target=str(tmp_path / "backups")).ok

    for table in harness.online_store.tables():
        harness.online_store.drop(table)
    assert _served(harness)["conv_rate"] == [None] * 4

    # the registry still has its versions: restoring it needs --force, the online part alone does not
    with pytest.raises(RecoveryError, match="--force"):
        harness.restore_backup(backup.manifest.backup_id, target=str(tmp_path / "backups"))
    result = harness.restore_backup(backup.manifest.backup_id, only="online", target=str(tmp_path / "backups"))
    assert sum(result.online_records.values()) == backup.manifest.records
    assert _served(harness) == before


def test_restore_into_a_non_empty_store_needs_force_and_replaces_it(harness: Harness, tmp_path: Path) -> None:
    target = str(tmp_path / "backups")
    harness.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2))
    before = _served(harness)
    backup_id = harness.backup(target=target).manifest.backup_id
    harness.write_to_online_store("driver_stats", _driver_row(1, 0.0, "changed"))
    harness.write_to_online_store("driver_stats", _driver_row(55, 0.0, "after the backup"))
    with pytest.raises(RecoveryError, match="--force"):
        harness.restore_backup(backup_id, only="online", target=target)
    harness.restore_backup(backup_id, force=True, target=target)
    assert _served(harness) == before
    assert harness.get_online_features(["driver_stats:city"], {"driver_id": [55]}).to_dict()["city"] == [None]


def test_a_corrupt_byte_is_refused_by_verify_and_restore(harness: Harness, tmp_path: Path) -> None:
    target = tmp_path / "backups"
    harness.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2))
    backup_id = harness.backup(target=str(target)).manifest.backup_id
    data = target / backup_id / "online" / "driver_stats.arrows"
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    data.write_bytes(bytes(raw))
    verified = harness.verify_backup(backup_id, target=str(target))
    assert not verified.ok and "driver_stats.arrows: checksum mismatch" in verified.problems[0]
    with pytest.raises(BackupIntegrityError, match="fails verification"):
        harness.restore_backup(backup_id, force=True, target=str(target))


def test_rebuild_restores_a_wiped_table_and_swaps_in_whole(harness: Harness) -> None:
    harness.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2))
    before = _served(harness)
    harness.write_to_online_store("driver_stats", _driver_row(77, 0.5, "stale"))  # not in the offline store
    for table in ("route_stats",):
        harness.online_store.drop(table)
    result = harness.rebuild_online(["driver_stats", "route_stats"], since=T0 - timedelta(days=30))
    assert {v["view"] for v in result.views} == {"driver_stats", "route_stats"}
    assert _served(harness) == before
    stale = harness.get_online_features(["driver_stats:city"], {"driver_id": [77]}).to_dict()
    assert stale["city"] == [None]  # the rebuilt table holds exactly the offline store's rows
    assert not [t for t in harness.online_store.tables() if t.endswith("__rebuild")]


def test_incremental_after_a_wipe_materializes_again(harness: Harness) -> None:
    end = T0 + timedelta(hours=2)
    harness.materialize_incremental(end)
    before = _served(harness)
    for table in harness.online_store.tables():
        harness.online_store.drop(table)
    harness.materialize_incremental(end)  # the watermarks say "done", but the tables are gone
    assert _served(harness) == before


def _driver_row(driver_id: int, rate: float, city: str):  # noqa: ANN202
    import pyarrow as pa

    return pa.table(
        {
            "driver_id": pa.array([driver_id], pa.int64()),
            "event_timestamp": pa.array([T0 + timedelta(hours=1, minutes=30)], pa.timestamp("us", tz="UTC")),
            "conv_rate": pa.array([rate], pa.float32()),
            "trips": pa.array([5], pa.int64()),
            "city": [city],
        }
    )


def test_scan_all_keys_lists_each_tables_keys_once_per_table(harness: Harness) -> None:
    """Restores find stale keys with one pass over the project (Redis overrides the per-table default)."""
    harness.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2))
    store = harness.online_store
    expected = {table: sorted(k for keys in store.scan_keys(table) for k in keys) for table in store.tables()}
    found: dict[str, list[bytes]] = {}
    for table, keys in store.scan_all_keys(batch_size=2):
        assert len(keys) <= 2
        found.setdefault(table, []).extend(keys)
    assert {table: sorted(keys) for table, keys in found.items()} == expected
    assert {"driver_stats", "route_stats"} <= set(expected) and all(expected.values())
