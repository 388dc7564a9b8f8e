"""The online path on every online backend: materialize, read, push and teardown through a real
FeatureStore whose online store is SQLite, Redis or PostgreSQL (the real services).

Each test gets its own Redis key prefix or PostgreSQL schema, removed afterwards. A service that
cannot be reached fails the test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pytest

from featurevault._ops import materialize as materialize_ops
from featurevault._ops.online import FieldStatus
from tests.unit.online.repo_defs import ALL, SQLITE_ONLINE, T0, Harness, open_store, source_tables

pytestmark = pytest.mark.integration

REDIS = os.environ.get("FEATUREVAULT_TEST_REDIS", "127.0.0.1:6379")
POSTGRES = os.environ.get("FEATUREVAULT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres() -> dict[str, Any]:
    url = urlsplit(POSTGRES)
    return {
        "host": url.hostname or "127.0.0.1",
        "port": url.port or 5432,
        "database": url.path.lstrip("/") or "test",
        "user": url.username or "postgres",
    }


def _drop_namespace(backend: str, namespace: str) -> None:
    if backend == "redis":
        import redis

        host, _, port = REDIS.split(",")[0].rpartition(":")
        client = redis.Redis(host=host, port=int(port))
        keys = list(client.scan_iter(match=f"{namespace}*", count=1000))
        if keys:
            client.unlink(*keys)
        client.close()
    elif backend == "postgres":
        import psycopg

        p = _postgres()
        with psycopg.connect(
            host=p["host"], port=p["port"], dbname=p["database"], user=p["user"], autocommit=True, connect_timeout=5
        ) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{namespace}" CASCADE')


PATIENT = {"connect_timeout_seconds": 5, "read_timeout_seconds": 10}
"""generous timeouts for two busy CI cores (the fault tests check the production defaults)"""


def _online_section(backend: str, namespace: str) -> dict[str, Any]:
    if backend == "redis":
        return {"type": "redis", "connection_string": REDIS, "key_prefix": namespace, **PATIENT}
    if backend == "postgres":
        return {"type": "postgres", **_postgres(), "db_schema": namespace, **PATIENT}
    return SQLITE_ONLINE


@pytest.fixture(params=["sqlite", "redis", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    backend = request.param
    namespace = f"fvtest_online_{uuid.uuid4().hex[:10]}" + (":" if backend == "redis" else "")
    fs = open_store(tmp_path, source_tables(), _online_section(backend, namespace))
    try:
        fs.online_store.ping()
        fs.apply(ALL)
        fs.set_now(T0 + timedelta(hours=2))
        yield fs
    finally:
        fs.close()
        _drop_namespace(backend, namespace)


def test_materialize_then_read(store: Harness) -> None:
    store.materialize_incremental(T0 + timedelta(hours=2))
    resp = store.get_online_features(
        ["driver_stats:trips", "driver_stats:city", "route_stats:duration", "global_stats:total"],
        {"driver_id": [1, 2, 99], "origin": ["x", "y", "x"], "dest": ["y", "x", "q"]},
    )
    assert resp.to_dict() == {
        "driver_id": [1, 2, 99],
        "origin": ["x", "y", "x"],
        "dest": ["y", "x", "q"],
        "trips": [11, None, None],
        "city": ["b", "c", None],
        "duration": [1.5, 3.5, None],
        "total": [2, 2, 2],
    }
    assert resp.statuses["trips"] == [FieldStatus.PRESENT, FieldStatus.NULL_VALUE, FieldStatus.NOT_FOUND]
    assert set(materialize_ops.watermarks(store)) == {"driver_stats", "route_stats", "global_stats", "driver_fresh"}


def test_ttl_and_on_demand_views(store: Harness) -> None:
    store.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2))
    rows = [{"driver_id": 1, "bonus": 1}, {"driver_id": 3, "bonus": 1}]
    out = store.get_online_features(["rate_plus_bonus:rate_plus_bonus", "trips_python:trips_x2"], rows).to_dict()
    assert out["rate_plus_bonus"] == [1.75, None]  # driver 3 is older than the view's ttl
    assert out["trips_x2"] == [22, None]


def test_push_and_teardown(store: Harness) -> None:
    frame = pd.DataFrame({"driver_id": [7], "event_timestamp": [T0], "conv_rate": [0.5], "trips": [1], "city": ["p"]})
    store.push("driver_push", frame)
    assert store.get_online_features(["driver_fresh:city"], [{"driver_id": 7}]).to_dict()["city"] == ["p"]
    store.teardown()
    assert store.online_store.tables() == []


def test_materialize_keeps_newer_pushed_values(store: Harness) -> None:
    frame = pd.DataFrame(
        {
            "driver_id": [2],
            "event_timestamp": [T0 + timedelta(minutes=30)],
            "conv_rate": [0.9],
            "trips": [99],
            "city": ["pushed"],
        }
    )
    store.push("driver_push", frame)
    (run,) = store.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2), ["driver_fresh"]).views
    assert run.kept_newer == 1
    assert store.get_online_features(["driver_fresh:city"], {"driver_id": [1, 2]}).to_dict()["city"] == ["b", "pushed"]
