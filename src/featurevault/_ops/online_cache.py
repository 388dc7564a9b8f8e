"""The hot-entity cache: recently read online records, kept in this process.

Turned on by ``online_cache: {max_entries, ttl_seconds}`` in feature_store.yaml.
It sits between the online reader and the online store (:class:`CachedOnlineStore`
wraps the store), so it holds what the store holds: packed records, with PII
still sealed when it is encrypted at rest. Authorization, masking, TTL checks
and decoding all run above it, on every read, for every principal.

Freshness:

* every write through this process (materialize, push, write_to_online_store,
  restore, rebuild, erasure, teardown) goes through the wrapper, which drops the
  keys (or the table) it touched;
* a read that raced a write is not cached: each write bumps a counter, and a
  record fetched while it moved is returned but not kept;
* writes made by other processes are seen once the entry's ``ttl_seconds`` pass.

Absent keys are cached too (as absent), so a hot unknown key does not reach the
store on every read either. Entries are evicted least recently read first once
``max_entries`` are held.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from featurevault._backends.online.base import Batches, Maintainable, OnlineStore

#: a write of more keys than this drops the whole table from the cache instead of key by key
_BULK_KEYS = 1024


class OnlineCache:
    """(table, entity key) -> record (or None: absent), each for ``ttl_seconds``, at most ``max_entries``."""

    def __init__(self, max_entries: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._entries: OrderedDict[tuple[str, bytes], tuple[float, bytes | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._writes = 0
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    def __len__(self) -> int:
        return len(self._entries)

    def read(self, table: str, keys: Sequence[bytes], fetch: Callable[[str, Sequence[bytes]], list[Any]]) -> list[Any]:
        """The record of each key: from the cache where it holds one, else from ``fetch`` in one call."""
        now = self.clock()
        entries = self._entries
        if len(keys) == 1:  # the commonest request: one entity
            key = (table, keys[0])
            entry = entries.get(key)
            if entry is not None and entry[0] > now:
                self._touch(key)
                self.hits += 1
                return [entry[1]]
            return self._fill(table, keys, [None], [0], fetch, now)
        found: list[Any] = [None] * len(keys)
        missing: list[int] = []
        for i, k in enumerate(keys):
            key = (table, k)
            entry = entries.get(key)
            if entry is not None and entry[0] > now:
                found[i] = entry[1]
                self._touch(key)
            else:
                missing.append(i)
        self.hits += len(keys) - len(missing)
        if not missing:
            return found
        return self._fill(table, keys, found, missing, fetch, now)

    def _touch(self, key: tuple[str, bytes]) -> None:
        try:
            self._entries.move_to_end(key)
        except KeyError:  # evicted or invalidated by another thread meanwhile
            pass

    def _fill(
        self,
        table: str,
        keys: Sequence[bytes],
        found: list[Any],
        missing: list[int],
        fetch: Callable[[str, Sequence[bytes]], list[Any]],
        now: float,
    ) -> list[Any]:
        self.misses += len(missing)
        writes = self._writes
        wanted = [keys[i] for i in missing] if len(missing) < len(keys) else keys
        records = fetch(table, wanted)
        expires = now + self.ttl_seconds
        with self._lock:
            keep = writes == self._writes  # else a write ran while we read: what we hold may predate it
            for i, record in zip(missing, records, strict=True):
                found[i] = record
                if keep:
                    self._entries[(table, keys[i])] = (expires, record)
            self._evict()
        return found

    def _evict(self) -> None:
        entries = self._entries
        over = len(entries) - self.max_entries
        for _ in range(max(over, 0)):
            entries.popitem(last=False)
            self.evictions += 1

    def invalidate(self, table: str, keys: Sequence[bytes] | None = None) -> None:
        """Forget ``keys`` of ``table`` (all of the table when None or many)."""
        with self._lock:
            self._writes += 1
            if keys is not None and len(keys) <= _BULK_KEYS:
                for k in keys:
                    self._entries.pop((table, k), None)
                return
            # list() copies the keys in one C call: readers moving entries (without the lock) cannot
            # change the dict while it is iterated
            for key in [key for key in list(self._entries) if key[0] == table]:
                self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._writes += 1
            self._entries.clear()

    def stats(self) -> dict[str, int]:
        """hits, misses, evictions (since the process started) and the entries held now."""
        return {"hits": self.hits, "misses": self.misses, "evictions": self.evictions, "entries": len(self)}


class CachedOnlineStore(OnlineStore):
    """An online store with an :class:`OnlineCache` in front of its reads; writes invalidate it.

    Everything else (``type_name``, backend-specific attributes) is the wrapped store's.
    """

    def __init__(self, store: OnlineStore, cache: OnlineCache) -> None:
        self.inner = store
        self.cache = cache
        self.type_name = store.type_name
        self.embedded = store.embedded

    @classmethod
    def from_config(cls, config: Any, *, project: str, resolve: Any) -> OnlineStore:
        raise TypeError("a CachedOnlineStore wraps a store built from its own config; see wrap()")

    def read(self, table: str, keys: Sequence[bytes]) -> list[bytes | None]:
        if not keys:
            return []
        return self.cache.read(table, keys, self.inner.read)

    def write(self, table: str, keys: Sequence[bytes], records: Sequence[bytes]) -> None:
        try:
            self.inner.write(table, keys, records)
        finally:
            self.cache.invalidate(table, keys)

    def drop(self, table: str) -> None:
        try:
            self.inner.drop(table)
        finally:
            self.cache.invalidate(table)

    def tables(self) -> list[str]:
        return self.inner.tables()

    def ping(self) -> None:
        self.inner.ping()

    def close(self) -> None:
        self.cache.clear()
        self.inner.close()

    def describe(self) -> str:
        return self.inner.describe()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class CachedMaintainableStore(CachedOnlineStore, Maintainable):
    """:class:`CachedOnlineStore` over a store that backups, rebuilds and erasure run on."""

    def __init__(self, store: OnlineStore, cache: OnlineCache) -> None:
        assert isinstance(store, Maintainable), f"{type(store).__name__} has no maintenance capability"
        super().__init__(store, cache)
        self.atomic_swap = store.atomic_swap

    def scan(self, table: str, batch_size: int = 10_000) -> Iterator[tuple[list[bytes], list[bytes]]]:
        return self.inner.scan(table, batch_size)  # type: ignore[attr-defined,no-any-return]

    def delete(self, table: str, keys: Sequence[bytes]) -> int:
        try:
            return self.inner.delete(table, keys)  # type: ignore[attr-defined,no-any-return]
        finally:
            self.cache.invalidate(table, keys)

    def scan_all_keys(self, batch_size: int = 10_000) -> Iterator[tuple[str, list[bytes]]]:
        return self.inner.scan_all_keys(batch_size)  # type: ignore[attr-defined,no-any-return]

    def restore_in_place(
        self, loads: Mapping[str, Batches], progress: Callable[[str, int], None] | None = None
    ) -> dict[str, int]:
        try:
            return self.inner.restore_in_place(loads, progress)  # type: ignore[attr-defined,no-any-return]
        finally:
            for table in loads:
                self.cache.invalidate(table)

    def load_fresh(self, table: str, keys: Sequence[bytes], records: Sequence[bytes]) -> None:
        try:
            self.inner.load_fresh(table, keys, records)  # type: ignore[attr-defined]
        finally:
            self.cache.invalidate(table, keys)

    def swap_in(self, staging: str, table: str) -> None:
        try:
            self.inner.swap_in(staging, table)  # type: ignore[attr-defined]
        finally:
            self.cache.invalidate(staging)
            self.cache.invalidate(table)


def wrap(store: OnlineStore, max_entries: int, ttl_seconds: float) -> CachedOnlineStore:
    """``store`` behind a hot-entity cache (keeping its maintenance capability when it has it)."""
    cache = OnlineCache(max_entries, ttl_seconds)
    if isinstance(store, Maintainable):
        return CachedMaintainableStore(store, cache)
    return CachedOnlineStore(store, cache)
