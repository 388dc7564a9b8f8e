"""A Redis restore into a wiped server skips the keyspace walk; into a live one it walks and removes
stale keys.

The test owns logical database 15 of the test server (no other test uses it) and empties it first,
since "the server holds no key" is what it checks.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from featurevault._backends.online.redis import Config, Store

pytestmark = pytest.mark.integration

REDIS = os.environ.get("FEATUREVAULT_TEST_REDIS", "127.0.0.1:6379")
DB = 15


@pytest.fixture
def wiped() -> Iterator[Store]:
    host, port = REDIS.rsplit(":", 1)
    client = redis.Redis(host=host, port=int(port), db=DB)
    client.flushdb()
    config = Config.model_validate(
        {"type": "redis", "connection_string": f"{REDIS},db={DB}", "key_prefix": f"fvtest_{uuid.uuid4().hex[:8]}:"}
    )
    store = Store(config, "proj")
    yield store
    store.close()
    client.flushdb()
    client.close()


def _all(store: Store, table: str) -> dict[bytes, bytes]:
    return {k: v for keys, records in store.scan(table) for k, v in zip(keys, records)}


def test_restore_walks_the_keyspace_only_when_the_server_holds_keys(
    wiped: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans: list[Any] = []
    real_scan = wiped._writer.scan
    monkeypatch.setattr(wiped._writer, "scan", lambda *a, **k: scans.append(a) or real_scan(*a, **k))
    snapshot = {"fv": lambda: iter([([b"a", b"b"], [b"A", b"B"])])}

    assert wiped.restore_in_place(snapshot) == {"fv": 2}
    assert scans == []  # nothing on the server: nothing to list
    assert _all(wiped, "fv") == {b"a": b"A", b"b": b"B"}

    wiped.write("fv", [b"stale"], [b"S"])
    scans.clear()
    assert wiped.restore_in_place(snapshot) == {"fv": 2}
    assert scans  # the server holds keys: they are listed, and the stale one goes
    assert _all(wiped, "fv") == {b"a": b"A", b"b": b"B"}
