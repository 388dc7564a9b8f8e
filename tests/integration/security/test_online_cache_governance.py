"""The hot-entity cache sits below the guard: every principal still gets exactly what it may see.

A record cached by one principal's read is served to the next principal only
through authorization, masking and the audit trail, and PII encrypted at rest
stays encrypted in the cache.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from featurevault import FeatureStore
from featurevault.errors import PermissionDeniedError
from featurevault._ops import codec
from featurevault._ops.apply import apply_contents
from featurevault._ops.repo import load_repo
from tests.integration.security.governed_repo import ADMIN, NOW

SSN = ["user_pii_features:ssn", "user_pii_features:amount"]


@pytest.fixture
def cached_store(repo: Path, monkeypatch: pytest.MonkeyPatch) -> FeatureStore:
    yaml = repo / "feature_store.yaml"
    yaml.write_text(yaml.read_text() + "pii:\n    encrypt_at_rest: true\nonline_cache:\n    max_entries: 1000\n")
    monkeypatch.setenv("FEATUREVAULT_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.setenv("FEATUREVAULT_PII_HASH_KEY", "cache-test-hash-key-0123456789ab")
    store = FeatureStore(repo_path=repo, principal=ADMIN)
    apply_contents(store, load_repo(repo))
    store.materialize(NOW - timedelta(days=1), NOW)
    return store


def test_a_cached_record_is_authorized_masked_and_audited_per_principal(cached_store: FeatureStore) -> None:
    cache = cached_store.online_store.cache
    clear = cached_store.get_online_features(SSN, [{"user_id": 1}]).to_dict()
    assert clear["ssn"] == ["111-11-1111"]
    hits = cache.stats()["hits"]
    scientist = cached_store.as_principal("d", roles=["data-scientists"])
    masked = scientist.get_online_features(SSN, [{"user_id": 1}]).to_dict()
    assert cache.stats()["hits"] == hits + 1  # the same record, from the cache
    assert masked["ssn"] == [None] and masked["amount"] == [10.0]
    intern = cached_store.as_principal("i", roles=["intern"])
    with pytest.raises(PermissionDeniedError):
        intern.get_online_features(SSN, [{"user_id": 1}])
    assert cached_store.get_online_features(SSN, [{"user_id": 1}]).to_dict()["ssn"] == ["111-11-1111"]
    cached_store.guard.audit.flush()
    trail = [json.loads(line) for line in (cached_store.repo_path / "data" / "audit.jsonl").read_text().splitlines()]
    reads = [(r["principal"], r["outcome"]) for r in trail if r["action"] == "READ_ONLINE"]
    assert reads[-4:] == [("root-admin", "ok"), ("d", "ok"), ("i", "denied"), ("root-admin", "ok")]
    cached_store.close()


def test_sealed_pii_stays_sealed_in_the_cache(cached_store: FeatureStore) -> None:
    cached_store.get_online_features(SSN, [{"user_id": 1}, {"user_id": 2}])
    entries = cached_store.online_store.cache._entries.items()
    records = [
        record for (_, key), (_, record) in entries if record is not None and not key.startswith(codec.LAYOUT_PREFIX)
    ]
    assert len(records) == 2
    for record in records:
        assert b"111-11-1111" not in record and b"222-22-2222" not in record
        values = codec.unpackb(record)[2:]
        assert any(isinstance(v, bytes) and v.startswith(b"FVE2") for v in values)  # entity-bound envelopes
    cached_store.close()
