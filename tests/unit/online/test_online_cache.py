"""OnlineCache and CachedOnlineStore alone: hits, misses, TTL, LRU eviction, invalidation, races, metrics."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from featurevault._backends.online.base import Maintainable
from featurevault._backends.online.sqlite import Store as SqliteStore
from featurevault._config import load_repo_config
from featurevault._ops.online_cache import CachedMaintainableStore, OnlineCache, wrap
from featurevault._server.metrics import online_cache_families


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Backing:
    """A dict standing in for a store's read; counts the keys it was asked for."""

    def __init__(self, data: dict[bytes, bytes]) -> None:
        self.data = data
        self.asked: list[list[bytes]] = []
        self.during_read: Any = None

    def read(self, table: str, keys: Sequence[bytes]) -> list[bytes | None]:
        self.asked.append(list(keys))
        found = [self.data.get(k) for k in keys]
        if self.during_read is not None:  # a write lands after the store answered, before the cache keeps it
            self.during_read()
        return found


def test_hits_misses_and_absent_keys() -> None:
    backing = Backing({b"a": b"1"})
    cache = OnlineCache(10, 5.0, Clock())
    assert cache.read("t", [b"a"], backing.read) == [b"1"]
    assert cache.read("t", [b"a"], backing.read) == [b"1"]
    assert cache.read("t", [b"zz"], backing.read) == [None]
    assert cache.read("t", [b"zz", b"a", b"b"], backing.read) == [None, b"1", None]
    assert backing.asked == [[b"a"], [b"zz"], [b"b"]]  # only what the cache did not hold
    assert cache.stats() == {"hits": 3, "misses": 3, "evictions": 0, "entries": 3}
    assert cache.read("other", [b"a"], backing.read) == [b"1"]  # tables are separate
    assert backing.asked[-1] == [b"a"]


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    backing = Backing({b"a": b"1"})
    cache = OnlineCache(10, 5.0, clock)
    cache.read("t", [b"a"], backing.read)
    backing.data[b"a"] = b"2"  # written by another process: not seen until the entry expires
    clock.now = 4.9
    assert cache.read("t", [b"a"], backing.read) == [b"1"]
    clock.now = 5.0
    assert cache.read("t", [b"a"], backing.read) == [b"2"]


def test_least_recently_read_is_evicted_first() -> None:
    backing = Backing({k: k for k in (b"a", b"b", b"c")})
    cache = OnlineCache(2, 60.0, Clock())
    cache.read("t", [b"a", b"b"], backing.read)
    cache.read("t", [b"a"], backing.read)  # a is now the most recent
    cache.read("t", [b"c"], backing.read)
    assert cache.stats()["evictions"] == 1
    backing.asked.clear()
    cache.read("t", [b"a", b"c"], backing.read)
    assert backing.asked == []
    cache.read("t", [b"b"], backing.read)
    assert backing.asked == [[b"b"]]


def test_invalidation_by_key_and_by_table() -> None:
    backing = Backing({b"a": b"1", b"b": b"2"})
    cache = OnlineCache(100, 60.0, Clock())
    cache.read("t", [b"a", b"b"], backing.read)
    cache.invalidate("t", [b"a"])
    backing.asked.clear()
    cache.read("t", [b"a", b"b"], backing.read)
    assert backing.asked == [[b"a"]]
    cache.invalidate("t", [str(i).encode() for i in range(2000)])  # many keys: the whole table goes
    assert len(cache) == 0


def test_a_read_that_raced_a_write_is_not_kept() -> None:
    backing = Backing({b"a": b"old"})
    cache = OnlineCache(10, 60.0, Clock())

    def write_meanwhile() -> None:
        backing.data[b"a"] = b"new"
        cache.invalidate("t", [b"a"])

    backing.during_read = write_meanwhile
    assert cache.read("t", [b"a"], backing.read) == [b"old"]  # answered, but not cached
    backing.during_read = None
    assert cache.read("t", [b"a"], backing.read) == [b"new"]


def test_wrapper_invalidates_on_every_write_kind(tmp_path: Path) -> None:
    store = wrap(SqliteStore(tmp_path / "online.db", "p"), 100, 60.0)
    assert isinstance(store, CachedMaintainableStore) and isinstance(store, Maintainable)
    store.write("v", [b"k"], [b"1"])
    assert store.read("v", [b"k"]) == [b"1"]
    store.write("v", [b"k"], [b"2"])
    assert store.read("v", [b"k"]) == [b"2"]
    assert store.delete("v", [b"k"]) == 1
    assert store.read("v", [b"k"]) == [None]
    store.write("staging", [b"k"], [b"3"])
    store.swap_in("staging", "v")
    assert store.read("v", [b"k"]) == [b"3"]
    assert store.restore_in_place({"v": lambda: iter([([b"k"], [b"4"])])}) == {"v": 1}
    assert store.read("v", [b"k"]) == [b"4"]
    store.drop("v")
    assert store.read("v", [b"k"]) == [None]
    assert store.describe().startswith("sqlite:") and store.type_name == "sqlite"
    store.close()


def test_config_section_and_metrics(tmp_path: Path) -> None:
    (tmp_path / "feature_store.yaml").write_text("project: p\nonline_cache:\n  max_entries: 50\n  ttl_seconds: 2.5\n")
    config = load_repo_config(tmp_path)
    assert config.online_cache is not None
    assert (config.online_cache.max_entries, config.online_cache.ttl_seconds) == (50, 2.5)
    (tmp_path / "feature_store.yaml").write_text("project: p\n")
    assert load_repo_config(tmp_path).online_cache is None  # off by default

    class Facade:
        pass

    facade = Facade()
    assert list(online_cache_families(facade)) == []  # no online store built yet: nothing read
    facade.__dict__["online_store"] = wrap(SqliteStore(tmp_path / "online.db", "p"), 50, 2.5)
    facade.__dict__["online_store"].read("v", [b"k"])
    families = {f.name: f.samples[0].value for f in online_cache_families(facade)}
    assert families == {
        "featurevault_online_cache_hits": 0,
        "featurevault_online_cache_misses": 1,
        "featurevault_online_cache_evictions": 0,
        "featurevault_online_cache_entries": 1,
    }
