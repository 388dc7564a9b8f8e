"""The online store interface, checked alike on every backend (see conftest.ONLINE_BACKENDS)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest

from featurevault._backends.online.base import OnlineStore

OnlineFactory = Callable[[str], OnlineStore]


def keys_of(n: int, tag: str = "k") -> list[bytes]:
    return [f"{tag}{i}".encode() for i in range(n)]


def test_unknown_table_reads_as_none(online: OnlineStore) -> None:
    assert online.read("never_written", [b"a", b"b"]) == [None, None]
    assert online.read("never_written", []) == []
    assert online.tables() == []


def test_unknown_keys_read_as_none_in_order(online: OnlineStore) -> None:
    online.write("fv", [b"a", b"c"], [b"A", b"C"])
    assert online.read("fv", [b"x", b"a", b"b", b"c", b"a"]) == [None, b"A", None, b"C", b"A"]


@pytest.mark.parametrize("size", [1, 2, 10, 100, 999, 1000])
def test_batches_round_trip(online: OnlineStore, size: int) -> None:
    keys = keys_of(size)
    records = [f"record-{i}".encode() * (i % 7 + 1) for i in range(size)]
    online.write("fv", keys, records)
    assert online.read("fv", keys) == records
    assert online.read("fv", keys[::-1]) == records[::-1]


def test_overwrite_and_duplicate_keys_last_wins(online: OnlineStore) -> None:
    online.write("fv", [b"a", b"b"], [b"old-a", b"old-b"])
    online.write("fv", [b"a", b"a", b"c"], [b"first", b"second", b"C"])
    assert online.read("fv", [b"a", b"b", b"c"]) == [b"second", b"old-b", b"C"]


def test_binary_and_composite_keys_do_not_collide(online: OnlineStore) -> None:
    # composite entity keys serialise to bytes that may share prefixes, hold separators or NULs
    keys = [b"a", b"a\x00", b"a\x00b", b"a:b", b"a*", b"[a]", b"\xff\xfe", b"\x00", "ключ-é-🙂".encode()]
    records = [bytes([i]) * (i + 1) for i in range(len(keys))]
    online.write("fv", keys, records)
    assert online.read("fv", keys) == records


def test_every_byte_value_in_records(online: OnlineStore) -> None:
    record = bytes(range(256)) * 3
    online.write("fv", [b"k"], [record])
    assert online.read("fv", [b"k"]) == [record]


def test_large_values(online: OnlineStore) -> None:
    big = uuid.uuid4().bytes * (1024 * 1024 // 16)  # 1 MiB
    online.write("fv", [b"big", b"small"], [big, b"s"])
    assert online.read("fv", [b"small", b"big"]) == [b"s", big]


def test_tables_are_separate(online: OnlineStore) -> None:
    online.write("fv_a", [b"k"], [b"A"])
    online.write("fv_b", [b"k"], [b"B"])
    online.write("fv-a-dash", [b"k"], [b"D"])
    assert online.tables() == ["fv-a-dash", "fv_a", "fv_b"]
    assert online.read("fv_a", [b"k"]) == [b"A"]
    assert online.read("fv_b", [b"k"]) == [b"B"]


def test_drop_removes_only_that_table(online: OnlineStore) -> None:
    online.write("fv_a", keys_of(50), [b"A"] * 50)
    online.write("fv_ab", [b"k"], [b"AB"])  # a name that extends the dropped one
    online.drop("fv_a")
    online.drop("fv_a")  # dropping twice, or a table that never existed, is fine
    online.drop("never_written")
    assert online.tables() == ["fv_ab"]
    assert online.read("fv_a", keys_of(50)) == [None] * 50
    assert online.read("fv_ab", [b"k"]) == [b"AB"]
    online.write("fv_a", [b"k"], [b"again"])  # a dropped table can be written again
    assert online.read("fv_a", [b"k"]) == [b"again"]


def test_teardown_leaves_other_projects(online_factory: OnlineFactory, project: str) -> None:
    mine = online_factory(project)
    other = online_factory(project + "_other")
    mine.write("fv", [b"k"], [b"mine"])
    other.write("fv", [b"k"], [b"other"])
    other.write("fv2", [b"k"], [b"other2"])
    assert mine.read("fv", [b"k"]) == [b"mine"]
    for table in mine.tables():
        mine.drop(table)
    assert mine.tables() == []
    assert mine.read("fv", [b"k"]) == [None]
    assert other.tables() == ["fv", "fv2"]
    assert other.read("fv", [b"k"]) == [b"other"]


def test_concurrent_writers_never_mix_records(online: OnlineStore) -> None:
    keys = keys_of(200)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for round_ in range(5):
                record = f"writer{n}-round{round_}-".encode() * 50
                online.write("fv", keys, [record] * len(keys))
                online.write(f"own{n}", keys[:10], [record] * 10)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    values = online.read("fv", keys)
    for value in values:
        assert value is not None
        unit = value.split(b"-round")[0] + b"-round" + value.split(b"-round")[1].split(b"-")[0] + b"-"
        assert value == unit * 50  # whole records from one write, never a mix
    for n in range(4):
        assert online.read(f"own{n}", [keys[0]]) == [f"writer{n}-round4-".encode() * 50]


def test_write_rejects_misaligned_input(online: OnlineStore) -> None:
    with pytest.raises(ValueError):
        online.write("fv", [b"a", b"b"], [b"A"])
    assert online.read("fv", [b"a"]) == [None]


def test_describe_has_no_secrets(online: OnlineStore) -> None:
    text = online.describe()
    assert text and "\n" not in text and "password=" not in text
