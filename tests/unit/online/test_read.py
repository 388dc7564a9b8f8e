"""Materialize the small repo into SQLite and read it back through the online reader."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
import pytest

from featurevault.errors import EntityKeyError, FeatureNotFoundError, RequestError
from featurevault._ops.online import TIMESTAMP_POSTFIX, FieldStatus
from tests.unit.online.repo_defs import T0, Harness, service


@pytest.fixture
def loaded(repo: Harness) -> Harness:
    repo.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2))
    return repo


def test_latest_value_per_key_is_served(loaded: Harness) -> None:
    out = loaded.get_online_features(
        ["driver_stats:conv_rate", "driver_stats:trips", "driver_stats:city"], [{"driver_id": 1}, {"driver_id": 2}]
    ).to_dict()
    assert out == {"driver_id": [1, 2], "conv_rate": [0.75, 0.25], "trips": [11, None], "city": ["b", "c"]}


def test_statuses_distinguish_present_null_missing_and_expired(loaded: Harness) -> None:
    resp = loaded.get_online_features(["driver_stats:trips"], {"driver_id": [1, 2, 3, 99]})
    assert resp.to_dict()["trips"] == [11, None, None, None]
    assert resp.statuses["trips"] == [
        FieldStatus.PRESENT,
        FieldStatus.NULL_VALUE,
        FieldStatus.OUTSIDE_MAX_AGE,
        FieldStatus.NOT_FOUND,
    ]
    assert resp.statuses["driver_id"] == [FieldStatus.PRESENT] * 4


def test_ttl_is_checked_against_the_clock(loaded: Harness) -> None:
    refs = ["driver_stats:conv_rate"]
    assert loaded.get_online_features(refs, [{"driver_id": 2}]).to_dict()["conv_rate"] == [0.25]
    loaded.set_now(T0 + timedelta(days=1, seconds=1))
    resp = loaded.get_online_features(refs, [{"driver_id": 2}])
    assert resp.to_dict()["conv_rate"] == [None]
    assert resp.statuses["conv_rate"] == [FieldStatus.OUTSIDE_MAX_AGE]


def test_zero_ttl_never_expires(loaded: Harness) -> None:
    loaded.set_now(T0 + timedelta(days=3650))
    out = loaded.get_online_features(["route_stats:duration", "global_stats:total"], [{"origin": "x", "dest": "z"}])
    assert out.to_dict() == {"origin": ["x"], "dest": ["z"], "duration": [2.5], "total": [2]}


def test_composite_keys_and_duplicate_rows(loaded: Harness) -> None:
    rows = {"dest": ["y", "x", "y", "q"], "origin": ["x", "y", "x", "x"]}
    out = loaded.get_online_features(["route_stats:duration"], rows).to_dict()
    assert out == {"dest": ["y", "x", "y", "q"], "origin": ["x", "y", "x", "x"], "duration": [1.5, 3.5, 1.5, None]}


def test_int_values_of_string_keys_become_strings(loaded: Harness) -> None:
    # route_stats's keys are typed String at apply, from its source
    out = loaded.get_online_features(["route_stats:duration"], [{"origin": 1, "dest": "y"}]).to_dict()
    assert out == {"origin": ["1"], "dest": ["y"], "duration": [None]}


def test_entityless_view(loaded: Harness) -> None:
    out = loaded.get_online_features(["global_stats:total"], [{}, {}]).to_dict()
    assert out == {"total": [2, 2]}


def test_full_feature_names_and_order(loaded: Harness) -> None:
    out = loaded.get_online_features(
        ["route_stats:duration", "driver_stats:city", "driver_stats:conv_rate"],
        [{"driver_id": 1, "origin": "y", "dest": "x"}],
        full_feature_names=True,
    ).to_dict()
    assert list(out) == [
        "driver_id",
        "origin",
        "dest",
        "route_stats__duration",
        "driver_stats__city",
        "driver_stats__conv_rate",
    ]
    assert out["route_stats__duration"] == [3.5]


def test_missing_join_key_names_key_and_view(loaded: Harness) -> None:
    with pytest.raises(EntityKeyError, match="'route_stats'.*'dest'|'dest'.*'route_stats'"):
        loaded.get_online_features(["route_stats:duration"], [{"origin": "x"}])


def test_unknown_feature_is_an_error(loaded: Harness) -> None:
    with pytest.raises(FeatureNotFoundError, match="nope"):
        loaded.get_online_features(["driver_stats:nope"], [{"driver_id": 1}])


def test_pandas_odfv_with_request_data(loaded: Harness) -> None:
    out = loaded.get_online_features(
        ["rate_plus_bonus:rate_plus_bonus", "driver_stats:city"],
        [{"driver_id": 1, "bonus": 2}, {"driver_id": 99, "bonus": 1}],
    ).to_dict()
    assert out["rate_plus_bonus"][0] == pytest.approx(2.75)
    assert out["rate_plus_bonus"][1] is None
    assert "conv_rate" not in out and "bonus" not in out  # hidden inputs and request data are dropped
    assert list(out) == ["driver_id", "city", "rate_plus_bonus"]  # stored views first, as Feast orders them


def test_python_odfv_casts_to_declared_type(loaded: Harness) -> None:
    resp = loaded.get_online_features(["trips_python:trips_x2"], [{"driver_id": 1, "bonus": 5}])
    assert resp.to_dict()["trips_x2"] == [22]
    assert resp.to_arrow().schema.field("trips_x2").type == pa.int64()


def test_odfv_missing_request_data(loaded: Harness) -> None:
    with pytest.raises(RequestError, match="bonus"):
        loaded.get_online_features(["rate_plus_bonus:rate_plus_bonus"], [{"driver_id": 1}])


def test_feature_service(loaded: Harness) -> None:
    out = loaded.get_online_features(service, [{"driver_id": 1, "bonus": 1}]).to_dict()
    assert list(out) == ["driver_id", "conv_rate", "city", "rate_plus_bonus"]
    assert out["rate_plus_bonus"] == [pytest.approx(1.75)]


def test_event_timestamps_follow_feast_names(loaded: Harness) -> None:
    out = loaded.get_online_features(["driver_stats:city"], [{"driver_id": 1}, {"driver_id": 99}]).to_dict(
        include_event_timestamps=True
    )
    assert out["city" + TIMESTAMP_POSTFIX] == [int((T0 + timedelta(hours=1)).timestamp()), 0]
    assert out["driver_id__ts"] == [0, 0]


def test_to_df_and_to_arrow(loaded: Harness) -> None:
    resp = loaded.get_online_features(["driver_stats:trips", "driver_stats:city"], [{"driver_id": 2}])
    assert resp.to_df().to_dict(orient="list") == {"driver_id": [2], "trips": [None], "city": ["c"]}
    table = resp.to_arrow()
    assert table.schema.field("trips").type == pa.int64() and table.column("trips").null_count == 1


def test_plan_is_reused_until_the_registry_changes(loaded: Harness) -> None:
    refs = ["driver_stats:city"]
    loaded.get_online_features(refs, [{"driver_id": 1}])
    plans = dict(loaded._online_reader._plans)
    loaded.get_online_features(refs, [{"driver_id": 2}])
    assert loaded._online_reader._plans == plans and len(plans) == 1


def test_entity_rows_as_dataframe_and_bad_shapes(loaded: Harness) -> None:
    import pandas as pd

    out = loaded.get_online_features(["driver_stats:city"], pd.DataFrame({"driver_id": [2, 1]})).to_dict()
    assert out == {"driver_id": [2, 1], "city": ["c", "b"]}
    with pytest.raises(RequestError, match="different lengths"):
        loaded.get_online_features(["driver_stats:city"], {"driver_id": [1, 2], "bonus": [1]})
    with pytest.raises(EntityKeyError, match="entity row 1 has no 'driver_id'"):
        loaded.get_online_features(["driver_stats:city"], [{"driver_id": 1}, {"bonus": 2}])
    assert loaded.get_online_features(["driver_stats:city"], []).to_dict() == {"city": []}


def test_reads_from_many_threads(loaded: Harness) -> None:
    import threading

    refs = ["driver_stats:city", "route_stats:duration"]
    expected = loaded.get_online_features(refs, [{"driver_id": 1, "origin": "x", "dest": "y"}]).to_dict()
    failures: list[object] = []

    def work() -> None:
        for _ in range(50):
            got = loaded.get_online_features(refs, [{"driver_id": 1, "origin": "x", "dest": "y"}]).to_dict()
            if got != expected:
                failures.append(got)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == [] and expected["city"] == ["b"]


def test_odfv_with_full_names_and_a_visible_input(loaded: Harness) -> None:
    out = loaded.get_online_features(
        ["rate_plus_bonus:rate_plus_bonus", "driver_stats:conv_rate"],
        [{"driver_id": 2, "bonus": 1}],
        full_feature_names=True,
    ).to_dict()
    assert out == {"driver_id": [2], "rate_plus_bonus__rate_plus_bonus": [1.25], "driver_stats__conv_rate": [0.25]}
