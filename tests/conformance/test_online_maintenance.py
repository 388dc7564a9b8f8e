"""Scan, delete and swap_in (the capability backups, rebuilds and erasure run on), on every online backend."""

from __future__ import annotations

from featurevault._backends.online.base import Maintainable, OnlineStore


def _all(store: OnlineStore, table: str, batch_size: int = 7) -> dict[bytes, bytes]:
    assert isinstance(store, Maintainable)
    found: dict[bytes, bytes] = {}
    for keys, records in store.scan(table, batch_size=batch_size):
        assert len(keys) == len(records) <= batch_size
        found.update(zip(keys, records))
    return found


def test_scan_streams_every_record_in_batches(online: OnlineStore) -> None:
    keys = [f"k{i}".encode() for i in range(50)] + [b"\x00:*[x]"]
    records = [bytes([i % 256]) * (i + 1) for i in range(len(keys))]
    online.write("fv", keys, records)
    online.write("other", [b"k0"], [b"not this table"])
    assert _all(online, "fv") == dict(zip(keys, records))
    assert _all(online, "never_written") == {}


def test_delete_removes_only_the_given_keys(online: OnlineStore) -> None:
    online.write("fv", [b"a", b"b", b"c"], [b"A", b"B", b"C"])
    assert online.delete("fv", [b"a", b"c", b"missing"]) == 2  # type: ignore[attr-defined]
    assert online.read("fv", [b"a", b"b", b"c"]) == [None, b"B", None]
    assert online.delete("never_written", [b"a"]) == 0  # type: ignore[attr-defined]


def test_swap_in_replaces_the_table_and_removes_staging(online: OnlineStore) -> None:
    online.write("fv", [b"old", b"both"], [b"OLD", b"BOTH-OLD"])
    online.write("fv__rebuild", [b"both", b"new"], [b"BOTH-NEW", b"NEW"])
    online.swap_in("fv__rebuild", "fv")  # type: ignore[attr-defined]
    assert _all(online, "fv") == {b"both": b"BOTH-NEW", b"new": b"NEW"}
    assert "fv__rebuild" not in online.tables()
    assert online.read("fv__rebuild", [b"new"]) == [None]
    # a second rebuild works the same (no leftover names in the way)
    online.write("fv__rebuild", [b"again"], [b"AGAIN"])
    online.swap_in("fv__rebuild", "fv")  # type: ignore[attr-defined]
    assert _all(online, "fv") == {b"again": b"AGAIN"}
