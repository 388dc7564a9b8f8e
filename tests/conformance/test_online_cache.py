"""The hot-entity cache (``online_cache``) on every online backend.

Reads through the facade with the cache on must answer exactly what the store
holds after every write made through the same process (write, push,
materialize, teardown), and see writes made by another process once the
cache's TTL has passed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from featurevault._ops.online import FieldStatus
from featurevault._ops.online_cache import CachedOnlineStore
from tests.conformance.conftest import online_section
from tests.unit.online.repo_defs import ALL, T0, Harness, open_store, source_tables

CACHE = "online_cache:\n  max_entries: 100\n  ttl_seconds: 30\n"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def stores(online_backend: str, tmp_path: Path) -> Iterator[tuple[Harness, Harness, Clock]]:
    """(a store with the cache on, a second process's store without it, the cache's clock)."""
    cached = open_store(tmp_path, source_tables(), online=online_section(online_backend, tmp_path))
    config = tmp_path / "feature_store.yaml"
    plain_text = config.read_text()
    config.write_text(plain_text + CACHE)
    cached = Harness(repo_path=tmp_path)
    cached.apply(ALL)
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    (other_dir / "feature_store.yaml").write_text(plain_text.replace("data/", f"{tmp_path}/data/"))
    other = Harness(repo_path=other_dir)
    clock = Clock()
    assert isinstance(cached.online_store, CachedOnlineStore)
    cached.online_store.cache.clock = clock
    for store in (cached, other):
        store.set_now(T0 + timedelta(hours=2))
    yield cached, other, clock
    cached.teardown()
    assert cached.online_store.tables() == []
    cached.close()
    other.close()


def _rate(store: Harness, driver: int) -> float | None:
    return store.get_online_features(["driver_stats:conv_rate"], [{"driver_id": driver}]).to_dict()["conv_rate"][0]


def _write(store: Harness, driver: int, rate: float, view: str = "driver_stats") -> None:
    rows = pd.DataFrame(
        {"driver_id": [driver], "event_timestamp": [T0], "conv_rate": [rate], "trips": [1], "city": ["x"]}
    )
    store.write_to_online_store(view, rows)


def test_hits_are_counted_and_answer_what_the_store_holds(stores: tuple[Harness, Harness, Clock]) -> None:
    cached, _, _ = stores
    cache = cached.online_store.cache
    _write(cached, 1, 0.5)
    assert _rate(cached, 1) == 0.5
    first = cache.stats()
    assert _rate(cached, 1) == 0.5
    assert cache.stats()["hits"] == first["hits"] + 1
    both = cached.get_online_features(["driver_stats:conv_rate", "driver_stats:trips"], {"driver_id": [1, 42, 1]})
    assert both.to_dict()["conv_rate"] == [0.5, None, 0.5]
    assert both.statuses["conv_rate"] == [FieldStatus.PRESENT, FieldStatus.NOT_FOUND, FieldStatus.PRESENT]
    assert _rate(cached, 42) is None  # an absent key is cached as absent
    assert cache.stats()["misses"] == first["misses"] + 1


def test_writes_pushes_and_materializations_through_this_process_invalidate(
    stores: tuple[Harness, Harness, Clock],
) -> None:
    cached, _, _ = stores
    _write(cached, 1, 0.5)
    assert _rate(cached, 1) == 0.5
    _write(cached, 1, 0.9)
    assert _rate(cached, 1) == pytest.approx(0.9)
    fresh = ["driver_fresh:conv_rate"]
    assert cached.get_online_features(fresh, [{"driver_id": 7}]).to_dict()["conv_rate"] == [None]
    cached.push(
        "driver_push",
        pd.DataFrame({"driver_id": [7], "event_timestamp": [T0], "conv_rate": [0.25], "trips": [3], "city": ["y"]}),
    )
    assert cached.get_online_features(fresh, [{"driver_id": 7}]).to_dict()["conv_rate"] == [0.25]
    assert _rate(cached, 2) is None
    cached.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2), ["driver_stats"])
    assert _rate(cached, 2) == 0.25  # driver 2's source row
    assert _rate(cached, 1) == 0.75  # the source's later row replaced what was written


def test_writes_from_elsewhere_are_seen_after_the_ttl(stores: tuple[Harness, Harness, Clock]) -> None:
    cached, other, clock = stores
    _write(cached, 3, 0.5)
    assert _rate(cached, 3) == 0.5
    _write(other, 3, 0.125)
    assert _rate(other, 3) == 0.125
    assert _rate(cached, 3) == 0.5  # within the ttl: the cached record
    clock.now += 30.5
    assert _rate(cached, 3) == 0.125


def test_eviction_keeps_at_most_max_entries(stores: tuple[Harness, Harness, Clock]) -> None:
    cached, _, _ = stores
    cache = cached.online_store.cache
    cached.get_online_features(["driver_stats:conv_rate"], {"driver_id": list(range(150))})
    assert len(cache) == 100
    assert cache.stats()["evictions"] == 50


def test_http_reads_use_the_cache_and_metrics_count_it(stores: tuple[Harness, Harness, Clock]) -> None:
    from featurevault._server import create_app
    from tests.unit.server.testclient import TestClient

    cached, _, _ = stores
    _write(cached, 5, 0.5)
    body = {"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [5]}}
    with TestClient(create_app(cached)) as client:
        for _ in range(3):
            answer = client.post("/get-online-features", json=body).json()
            assert answer["results"][1]["values"] == [0.5]
        metrics = client.get("/metrics").text
    hits = [line for line in metrics.splitlines() if line.startswith("featurevault_online_cache_hits")]
    assert hits and float(hits[0].split()[-1]) >= 2
    assert "featurevault_online_cache_entries" in metrics
