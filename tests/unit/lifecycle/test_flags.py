"""Feature flags on online and historical reads: 0%, 10% (share and stickiness), 100%, off, allow-list."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from featurevault import FeatureStore
from featurevault.errors import FlagError, FlagNotFoundError
from featurevault._ops.online_response import FieldStatus
from featurevault._ops.repo import load_repo
from tests.unit.lifecycle.fraud_repo import NOW, USERS, write_repo

ALL_USERS = {"user_id": list(range(1, USERS + 1))}
V3_ONLY = "user_device_risk_score"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeatureStore]:
    repo = write_repo(tmp_path_factory.mktemp("flags") / "repo")
    with FeatureStore(repo) as fs:
        fs.apply(load_repo(repo))
        fs.materialize_incremental(NOW)
        yield fs


@pytest.fixture(autouse=True)
def no_flags(store: FeatureStore) -> Iterator[None]:
    yield
    for flag in store.list_flags():
        store.remove_flag(flag.target)


def _v3(store: FeatureStore, rows: dict[str, list[int]] = ALL_USERS) -> tuple[list[object], list[FieldStatus]]:
    response = store.get_online_features(store.get_feature_service("fraud_model_v3"), rows)
    return response.to_dict()[V3_ONLY], response.statuses[V3_ONLY]


def test_without_a_flag_everyone_is_served(store: FeatureStore) -> None:
    values, statuses = _v3(store)
    assert set(statuses) == {FieldStatus.PRESENT} and None not in values


def test_zero_percent_serves_nobody_as_flag_off(store: FeatureStore) -> None:
    store.set_flag("fraud_model_v3", percent=0)
    values, statuses = _v3(store)
    assert set(statuses) == {FieldStatus.FLAG_OFF} and set(values) == {None}


def test_ten_percent_is_a_sticky_share_within_tolerance(store: FeatureStore) -> None:
    store.set_flag("fraud_model_v3", percent=10)
    _, statuses = _v3(store)
    on = [s is FieldStatus.PRESENT for s in statuses]
    assert 0.09 <= sum(on) / USERS <= 0.11
    _, again = _v3(store)
    assert again == statuses  # the same entity always gets the same answer
    few = {"user_id": [u for u, o in zip(ALL_USERS["user_id"], on, strict=True) if o][:5]}
    assert set(_v3(store, few)[1]) == {FieldStatus.PRESENT}  # and alone, in another request
    store.set_flag("fraud_model_v3", percent=20)
    _, wider = _v3(store)
    assert all(w is FieldStatus.PRESENT for w, o in zip(wider, on, strict=True) if o)  # growing keeps the first 10%


def test_hundred_percent_and_the_kill_switch(store: FeatureStore) -> None:
    store.set_flag("fraud_model_v3", percent=100)
    assert set(_v3(store)[1]) == {FieldStatus.PRESENT}
    store.set_flag("fraud_model_v3", enabled=False)
    assert set(_v3(store)[1]) == {FieldStatus.FLAG_OFF}
    flag = store.set_flag("fraud_model_v3", enabled=True)
    assert flag.percent == 100 and set(_v3(store)[1]) == {FieldStatus.PRESENT}


def test_allow_list_turns_listed_entities_on(store: FeatureStore) -> None:
    store.set_flag("fraud_model_v3", percent=0, allow=["7", "42"])
    values, statuses = _v3(store, {"user_id": [7, 8, 42]})
    assert statuses == [FieldStatus.PRESENT, FieldStatus.FLAG_OFF, FieldStatus.PRESENT]
    assert values[1] is None and values[0] is not None


def test_a_view_flag_hides_only_that_views_features(store: FeatureStore) -> None:
    store.set_flag("user_risk_daily", enabled=False)
    response = store.get_online_features(
        ["user_txn_stats_daily:user_amount_sum_7d", "user_risk_daily:user_device_risk_score"], {"user_id": [3]}
    )
    assert response.statuses["user_amount_sum_7d"] == [FieldStatus.PRESENT]
    assert response.statuses["user_device_risk_score"] == [FieldStatus.FLAG_OFF]
    assert response.to_dict()["user_id"] == [3]


def test_v3_rolled_out_to_ten_percent_while_v2_serves_the_rest(store: FeatureStore) -> None:
    """The documented pattern (docs/lifecycle.md): read v3; rows it does not serve are read with v2."""
    store.set_flag("fraud_model_v3", percent=10)
    v3 = store.get_online_features(store.get_feature_service("fraud_model_v3"), ALL_USERS)
    off = [i for i, s in enumerate(v3.statuses["user_amount_sum_7d"]) if s is FieldStatus.FLAG_OFF]
    fallback = {"user_id": [ALL_USERS["user_id"][i] for i in off]}
    v2 = store.get_online_features(store.get_feature_service("fraud_model_v2"), fallback)
    assert set(v2.statuses["user_amount_sum_7d"]) == {FieldStatus.PRESENT}
    assert 0.89 <= len(off) / USERS <= 0.91


def test_historical_retrieval_respects_flags_when_asked(store: FeatureStore) -> None:
    store.set_flag("fraud_model_v3", percent=10)
    entity_df = pd.DataFrame({"user_id": ALL_USERS["user_id"], "event_timestamp": [NOW] * USERS})
    service = store.get_feature_service("fraud_model_v3")
    plain = store.get_historical_features(entity_df, feature_service=service).to_df()
    flagged = store.get_historical_features(entity_df, feature_service=service, respect_flags=True).to_df()
    assert plain[V3_ONLY].notna().all()
    _, statuses = _v3(store)
    served = [s is FieldStatus.PRESENT for s in statuses]
    assert flagged[V3_ONLY].notna().tolist() == served  # trains on exactly what serving gives


def test_flags_are_listed_and_bad_settings_are_refused(store: FeatureStore) -> None:
    store.set_flag("fraud_model_v3", percent=10, allow=["1"])
    (flag,) = store.list_flags()
    assert (flag.target, flag.percent, flag.allow, flag.updated_by) == (
        "feature_service:fraud_model_v3",
        10.0,
        ("1",),
        "anonymous",
    )
    with pytest.raises(FlagError, match="percent 150"):
        store.set_flag("fraud_model_v3", percent=150)
    with pytest.raises(FlagNotFoundError, match="no feature view, on-demand feature view or feature service"):
        store.set_flag("nope", percent=5)
    assert store.list_flags()[0].percent == 10.0  # a refused change changes nothing


def test_another_process_sees_a_flag_within_the_cache_ttl(store: FeatureStore) -> None:
    with FeatureStore(store.repo_path) as reader:
        assert set(_v3(reader, {"user_id": [1, 2]})[1]) == {FieldStatus.PRESENT}
        store.set_flag("fraud_model_v3", enabled=False)
        reader._flag_cache.invalidate()  # the TTL elapsing, without sleeping it
        assert set(_v3(reader, {"user_id": [1, 2]})[1]) == {FieldStatus.FLAG_OFF}
