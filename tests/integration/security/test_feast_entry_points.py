"""The Feast entry points that read or write data go through the guard: a permission check, one audit record."""

from __future__ import annotations

from typing import Any

import pytest
from tests.integration.security.governed_repo import NOW, users_frame

from featurevault import FeatureStore
from featurevault.errors import PermissionDeniedError


def _new_records(store: FeatureStore, before: int) -> list[dict[str, Any]]:
    store.guard.audit.flush()
    return list(store.guard.audit.sink.read())[before:]


def _count(store: FeatureStore) -> int:
    store.guard.audit.flush()
    return len(list(store.guard.audit.sink.read()))


def test_write_to_offline_store_is_authorized_and_audited(admin: FeatureStore) -> None:
    rows = users_frame()[["user_id", "event_timestamp", "age"]].head(1)
    before = _count(admin)
    with pytest.raises(PermissionDeniedError, match="WRITE_OFFLINE"):
        admin.as_principal("intern", roles=["intern"]).write_to_offline_store("user_public_features", rows)
    assert admin.as_principal("eng", roles=["ml-engineers"]).write_to_offline_store("user_public_features", rows) == 1
    records = _new_records(admin, before)
    assert [(r["principal"], r["action"], r["outcome"]) for r in records] == [
        ("intern", "WRITE_OFFLINE", "denied"),
        ("eng", "WRITE_OFFLINE", "ok"),
    ]
    assert records[1]["resource"] == ["feature_view:user_public_features"]


def test_historical_retrieval_without_entity_df_is_authorized_and_audited(admin: FeatureStore) -> None:
    before = _count(admin)
    with pytest.raises(PermissionDeniedError, match="READ_OFFLINE"):
        admin.as_principal("intern", roles=["intern"]).get_historical_features(
            features=["user_pii_features:amount"], end_date=NOW
        )
    frame = (
        admin.as_principal("ds", roles=["data-scientists"])
        .get_historical_features(features=["user_pii_features:amount"], end_date=NOW)
        .to_df()
    )
    assert sorted(frame["user_id"]) == [1, 2, 3]
    records = _new_records(admin, before)
    assert [(r["principal"], r["action"], r["outcome"]) for r in records] == [
        ("intern", "READ_OFFLINE", "denied"),
        ("ds", "READ_OFFLINE", "ok"),
    ]
