"""Responses and frames shaped as Feast gives them: echoed entity columns, one column order,
plain Python values, text timestamps in entity frames, and online=False views refused online."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from featurevault import FeatureService, FeatureView, Field
from featurevault.errors import EntityKeyError, RequestError
from featurevault.types import Float32
from tests.unit.online.repo_defs import ALL, T0, Harness, driver, driver_source, service


@pytest.fixture
def loaded(repo: Harness) -> Harness:
    repo.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2))
    return repo


def test_service_echoes_every_entity_column_passed(loaded: Harness) -> None:
    rows = [{"driver_id": 1, "customer_id": 7, "bonus": 1}, {"driver_id": 2, "customer_id": 8, "bonus": 2}]
    response = loaded.get_online_features(service, rows)
    expected = ["driver_id", "customer_id", "conv_rate", "city", "rate_plus_bonus"]
    out = response.to_dict()
    assert list(out) == expected and out["customer_id"] == [7, 8]
    assert list(response.to_df().columns) == expected
    assert response.to_arrow().column_names == expected
    assert response.to_arrow().column("customer_id").to_pylist() == [7, 8]


def test_to_dict_holds_plain_python_values(loaded: Harness) -> None:
    entities = {"driver_id": np.array([1, 2], dtype=np.int64), "bonus": [np.int64(1), np.int64(2)]}
    out = loaded.get_online_features(
        ["driver_stats:conv_rate", "driver_stats:trips", "driver_stats:city", "rate_plus_bonus:rate_plus_bonus"],
        entities,
    ).to_dict()
    for name, values in out.items():
        for value in values:
            assert value is None or type(value) in (int, float, str, bool, datetime, list), (name, type(value))
    assert out["driver_id"] == [1, 2] and type(out["driver_id"][0]) is int


def test_online_and_historical_share_one_column_order(loaded: Harness) -> None:
    refs = ["rate_plus_bonus:rate_plus_bonus", "driver_stats:city", "driver_stats:trips"]
    online = loaded.get_online_features(refs, [{"driver_id": 1, "bonus": 1}]).to_dict()
    entity_df = pd.DataFrame({"driver_id": [1], "bonus": [1], "event_timestamp": [T0 + timedelta(hours=1)]})
    training = loaded.get_historical_features(entity_df, refs).to_df()
    features = ["city", "trips", "rate_plus_bonus"]
    assert list(online) == ["driver_id", *features]
    assert list(training.columns) == ["driver_id", "bonus", "event_timestamp", *features]


@pytest.mark.parametrize(
    "stamp", ["2024-01-01T01:00:00", "2024-01-01T01:00:00Z", "2024-01-01T02:00:00+01:00", "2024-01-01 01:00:00"]
)
def test_text_timestamps_in_entity_df_are_utc(loaded: Harness, stamp: str) -> None:
    entity_df = pd.DataFrame({"driver_id": [1], "event_timestamp": [stamp]})
    training = loaded.get_historical_features(entity_df, ["driver_stats:city"]).to_df()
    assert training["city"].tolist() == ["b"]  # the row at T0 + 1h, not the one at T0
    assert training["event_timestamp"][0] == pd.Timestamp(T0 + timedelta(hours=1))


def test_date_only_text_timestamp_is_midnight_utc(loaded: Harness) -> None:
    entity_df = pd.DataFrame({"driver_id": [1, 3], "event_timestamp": ["2024-01-01", "2024-01-01"]})
    training = loaded.get_historical_features(entity_df, ["driver_stats:city"]).to_df()
    assert training["city"].tolist() == ["a", "d"]


def test_unparseable_text_timestamp_names_the_column(loaded: Harness) -> None:
    entity_df = pd.DataFrame({"driver_id": [1], "event_timestamp": ["yesterday"]})
    with pytest.raises(EntityKeyError, match="event_timestamp.*ISO 8601"):
        loaded.get_historical_features(entity_df, ["driver_stats:city"])


def test_offline_only_view_requested_online_is_refused_by_name(repo: Harness) -> None:
    archive = FeatureView(
        name="driver_archive",
        entities=[driver],
        ttl=timedelta(days=1),
        online=False,
        schema=[Field(name="conv_rate", dtype=Float32)],
        source=driver_source,
    )
    repo.apply([*ALL, archive, FeatureService(name="with_archive", features=[archive])])
    with pytest.raises(RequestError, match="'driver_archive'.*online=False"):
        repo.get_online_features(["driver_archive:conv_rate"], [{"driver_id": 1}])
    with pytest.raises(RequestError, match="'driver_archive'"):
        repo.get_online_features(repo.get_feature_service("with_archive"), [{"driver_id": 1}])
    training = repo.get_historical_features(
        pd.DataFrame({"driver_id": [1], "event_timestamp": [T0]}), ["driver_archive:conv_rate"]
    ).to_df()
    assert training["conv_rate"].tolist() == [0.5]


@pytest.mark.parametrize("fast_online", [True, False], ids=["fast-path", "fastapi-route"])
def test_http_response_echoes_entity_columns(loaded: Harness, fast_online: bool) -> None:
    import io

    from featurevault._server import ServerSettings, create_app
    from tests.unit.server.testclient import TestClient

    app = create_app(loaded, ServerSettings(fast_online=fast_online), access_log_stream=io.StringIO())
    body = {"feature_service": "driver_service", "entities": {"driver_id": [1], "customer_id": [7], "bonus": [1]}}
    with TestClient(app) as client:
        answer = client.post("/get-online-features", json=body).json()
    assert answer["metadata"]["feature_names"] == ["driver_id", "customer_id", "conv_rate", "city", "rate_plus_bonus"]
    assert answer["results"][1]["values"] == [7]
