"""The SQLite online store: tables, upserts, reads in one statement, isolation by project."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from featurevault._backends.online.sqlite import Config, Store
from featurevault.errors import BackendError


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.from_config(Config(type="sqlite", path="online.db"), project="p", resolve=lambda p: tmp_path / p)
    yield s
    s.close()


def test_config_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError, match="bogus"):
        Config(type="sqlite", bogus=1)


def test_write_read_upsert(store: Store) -> None:
    assert store.read("v", [b"a"]) == [None]  # unknown table
    store.write("v", [b"a", b"b"], [b"1", b"2"])
    store.write("v", [b"b", b"c"], [b"22", b"3"])
    assert store.read("v", [b"c", b"zz", b"a", b"b", b"a"]) == [b"3", None, b"1", b"22", b"1"]
    assert store.read("v", []) == []


def test_many_keys_beyond_the_variable_limit(store: Store) -> None:
    keys = [i.to_bytes(4, "big") for i in range(70_000)]
    store.write("big", keys, keys)
    got = store.read("big", [*keys, b"missing"])
    assert got[:-1] == keys and got[-1] is None


def test_tables_drop_and_projects_are_isolated(store: Store, tmp_path: Path) -> None:
    other = Store(tmp_path / "online.db", "p2")
    store.write("v1", [b"k"], [b"r"])
    store.write("v-2", [b"k"], [b"r"])
    other.write("v1", [b"k"], [b"other"])
    assert store.tables() == ["v-2", "v1"] and other.tables() == ["v1"]
    store.drop("v1")
    store.drop("never")
    assert store.tables() == ["v-2"]
    assert store.read("v1", [b"k"]) == [None] and other.read("v1", [b"k"]) == [b"other"]
    other.close()


def test_table_names_are_validated(store: Store) -> None:
    with pytest.raises(BackendError, match="invalid online table name"):
        store.write('x"; DROP TABLE y; --', [b"k"], [b"r"])


def test_threads_get_their_own_connections(store: Store) -> None:
    store.write("v", [b"k"], [b"r"])
    results: list[object] = []

    def work() -> None:
        results.append(store.read("v", [b"k"]))
        store.write("v", [threading.get_ident().to_bytes(8, "big")], [b"t"])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [[b"r"]] * 4
    assert len(store._connections) == 5


def test_closed_store_refuses_work(store: Store) -> None:
    store.ping()
    store.close()
    with pytest.raises(BackendError, match="closed"):
        store.read("v", [b"k"])
