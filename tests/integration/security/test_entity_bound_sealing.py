"""Sealed PII values are bound to their entity: a ciphertext moved to another entity's record is refused.

Run against the real online stores (SQLite, Redis, PostgreSQL); the attacker writes
the store directly, as anyone holding its credentials could.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgpack
import pandas as pd
import pyarrow as pa
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from featurevault import Entity, FeatureStore, FeatureView, Field, FileSource, PushSource
from featurevault.errors import SealedValueIntegrityError
from featurevault._governance.crypto import MAGIC, MAGIC_V1
from featurevault._ops import codec
from featurevault.types import Float64, Int64, String
from tests.conformance.conftest import online_section

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)
VIEW = "user_secrets"
READ = [f"{VIEW}:ssn", f"{VIEW}:amount"]


def _definitions() -> list[object]:
    user = Entity(name="user", join_keys=["user_id"])
    source = FileSource(name="users_src", path="data/users.parquet", timestamp_field="event_timestamp")
    push = PushSource(name="users_push", batch_source=source)
    view = FeatureView(
        name=VIEW,
        entities=[user],
        ttl=timedelta(days=3650),
        source=push,
        schema=[
            Field(name="user_id", dtype=Int64),
            Field(name="ssn", dtype=String, tags={"pii": "true"}),
            Field(name="amount", dtype=Float64),
        ],
    )
    return [user, source, push, view]


def _frame(ids: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ids,
            "event_timestamp": [NOW - timedelta(hours=1)] * len(ids),
            "ssn": [f"{i}{i}{i}-{i}{i}-{i}{i}{i}{i}" for i in ids],
            "amount": [10.0 * i for i in ids],
        }
    )


@pytest.fixture(params=["sqlite", "redis", "postgres"])
def sealed_store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FeatureStore]:
    monkeypatch.setenv("FEATUREVAULT_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.setenv("FEATUREVAULT_PII_HASH_KEY", "entity-binding-test-hash-key-0123")
    monkeypatch.delenv("FEATUREVAULT_TOKEN", raising=False)
    (tmp_path / "data").mkdir()
    _frame([1]).to_parquet(tmp_path / "data" / "users.parquet")
    online = online_section(request.param, tmp_path)
    if request.param == "postgres":
        online = {**online, "db_schema": f"fvseal_{secrets.token_hex(6)}", "write_timeout_seconds": 30}
    config = {
        "project": f"sealed_{secrets.token_hex(4)}",
        "registry": "data/registry.db",
        "online_store": online,
        "audit": {"sink": "none"},
        "pii": {"encrypt_at_rest": True},
    }
    (tmp_path / "feature_store.yaml").write_text(json.dumps(config))  # JSON is YAML
    store = FeatureStore(repo_path=tmp_path)
    store.apply(_definitions())
    store.write_to_online_store(VIEW, _frame([1, 2, 3]))
    yield store
    for table in store.online_store.tables():
        store.online_store.drop(table)
    store.close()
    if request.param == "postgres":  # the test's own schema
        import psycopg

        from tests.conformance.conftest import POSTGRES

        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {online['db_schema']} CASCADE")


def _key(user_id: int) -> bytes:
    return codec.pack_keys(pa.table({"user_id": pa.array([user_id], pa.int64())}), ["user_id"])[0]


def _position(store: FeatureStore, record: list[object], feature: str) -> int:
    (layout,) = store.online_store.read(VIEW, [codec.layout_key(record[0])])
    return codec.Layout.unpack(layout).names.index(feature) + 2


def test_values_read_back_for_their_own_entity(sealed_store: FeatureStore) -> None:
    out = sealed_store.get_online_features(READ, [{"user_id": 1}, {"user_id": 2}]).to_dict()
    assert out["ssn"] == ["111-11-1111", "222-22-2222"] and out["amount"] == [10.0, 20.0]
    (stored,) = sealed_store.online_store.read(VIEW, [_key(1)])
    record = codec.unpackb(stored)
    assert record[_position(sealed_store, record, "ssn")].startswith(MAGIC)


def test_a_ciphertext_copied_to_another_entity_is_refused(sealed_store: FeatureStore) -> None:
    online = sealed_store.online_store
    one, two = (codec.unpackb(r) for r in online.read(VIEW, [_key(1), _key(2)]))
    at = _position(sealed_store, one, "ssn")
    two[at] = one[at]  # entity 1's sealed ssn into entity 2's record
    online.write(VIEW, [_key(2)], [codec.packb(two)])
    with pytest.raises(SealedValueIntegrityError, match=f"feature 'ssn' of feature view '{VIEW}'"):
        sealed_store.get_online_features(READ, [{"user_id": 2}])
    assert sealed_store.get_online_features(READ, [{"user_id": 1}]).to_dict()["ssn"] == ["111-11-1111"]


def test_a_whole_record_copied_to_another_entity_is_refused(sealed_store: FeatureStore) -> None:
    online = sealed_store.online_store
    (record,) = online.read(VIEW, [_key(1)])
    online.write(VIEW, [_key(3)], [record])
    with pytest.raises(SealedValueIntegrityError, match=f"feature 'ssn' of feature view '{VIEW}'"):
        sealed_store.get_online_features(READ, [{"user_id": 3}])


def test_a_value_sealed_before_entity_binding_still_reads(sealed_store: FeatureStore) -> None:
    """A version-1 envelope (view and feature authenticated, as written before) opens with its old associated data."""
    online = sealed_store.online_store
    (stored,) = online.read(VIEW, [_key(2)])
    record = codec.unpackb(stored)
    data_key = sealed_store.guard._ring().data_key(VIEW)
    nonce = secrets.token_bytes(12)
    clear = msgpack.packb("999-99-9999", use_bin_type=True)
    record[_position(sealed_store, record, "ssn")] = (
        MAGIC_V1 + nonce + AESGCM(data_key).encrypt(nonce, clear, f"{VIEW}:ssn".encode())
    )
    online.write(VIEW, [_key(2)], [codec.packb(record)])
    with FeatureStore(repo_path=sealed_store.repo_path) as fresh:  # a new reader, nothing cached
        out = fresh.get_online_features(READ, [{"user_id": 2}, {"user_id": 1}]).to_dict()
    assert out["ssn"] == ["999-99-9999", "111-11-1111"] and out["amount"] == [20.0, 10.0]
