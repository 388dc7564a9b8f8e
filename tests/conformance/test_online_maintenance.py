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


def test_restore_in_place_replaces_the_tables_given_and_leaves_the_others(online: OnlineStore) -> None:
    assert isinstance(online, Maintainable)
    online.write("fv", [b"kept", b"stale", b"x:*[y]"], [b"OLD", b"STALE", b"OLD-GLOB"])
    online.write("fv_other", [b"stale"], [b"OTHER TABLE"])  # a name that fv is a prefix of
    online.write("gone", [b"g"], [b"G"])
    seen: list[tuple[str, int]] = []
    batches = [([b"kept", b"new"], [b"NEW-KEPT", b"NEW"]), ([b"x:*[y]"], [b"NEW-GLOB"])]

    def restore() -> dict[str, int]:
        return online.restore_in_place(
            {"fv": lambda: iter(batches), "gone": lambda: iter([])},
            lambda table, count: seen.append((table, count)),
        )

    assert restore() == {"fv": 3, "gone": 0}
    expected = {b"kept": b"NEW-KEPT", b"new": b"NEW", b"x:*[y]": b"NEW-GLOB"}
    assert _all(online, "fv") == expected
    assert _all(online, "fv_other") == {b"stale": b"OTHER TABLE"}  # not in the restore: left alone
    assert _all(online, "gone") == {}  # restored from no records: emptied
    assert seen == [("fv", 2), ("fv", 3)]
    # run again (as after an interruption), it ends the same
    assert restore() == {"fv": 3, "gone": 0}
    assert _all(online, "fv") == expected and _all(online, "fv_other") == {b"stale": b"OTHER TABLE"}
