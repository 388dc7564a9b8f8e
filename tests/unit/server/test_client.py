import json

import httpx
import pandas as pd
import pytest

from featurevault._client import FeatureServerClient, entity_columns, frame_columns
from featurevault.errors import BackendUnavailableError, EntityKeyError, FeatureServiceNotFoundError, RequestError
from featurevault._ops.online_response import FieldStatus

FEAST_ANSWER = {
    "metadata": {"feature_names": ["driver_id", "conv_rate", "trips", "plus_one"]},
    "results": [
        {"values": [1001, 1002, 1003], "statuses": ["PRESENT"] * 3, "event_timestamps": ["1970-01-01T00:00:00Z"] * 3},
        {
            "values": [0.5, None, "NaN"],
            "statuses": ["PRESENT", "NOT_FOUND", "PRESENT"],
            "event_timestamps": ["2024-01-02T03:04:05.123456Z", "1970-01-01T00:00:00Z", "2024-01-02T03:04:05Z"],
        },
        {
            "values": [3, None, None],
            "statuses": ["PRESENT", "NOT_FOUND", "OUTSIDE_MAX_AGE"],
            "event_timestamps": ["2024-01-02T03:04:05Z", "1970-01-01T00:00:00Z", "2023-01-01T00:00:00Z"],
        },
        {
            "values": [1.5, None, 2.0],
            "statuses": ["PRESENT", "NULL_VALUE", "PRESENT"],
            "event_timestamps": ["1970-01-01T00:00:00Z"] * 3,
        },
    ],
}


def make_client(handler: object) -> FeatureServerClient:
    return FeatureServerClient("http://feature-server", timeout=1.0, transport=httpx.MockTransport(handler))


def test_online_features_come_back_as_an_online_response() -> None:
    sent: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json=FEAST_ANSWER)

    with make_client(handler) as client:
        response = client.get_online_features(
            features=["driver_stats:conv_rate"],
            entity_rows=[{"driver_id": 1001}, {"driver_id": 1002}, {"driver_id": 1003}],
        )
        client.get_online_features(feature_service="driver_v1", entity_rows={"driver_id": [1]}, full_feature_names=True)
    assert sent[0] == {
        "entities": {"driver_id": [1001, 1002, 1003]},
        "full_feature_names": False,
        "features": ["driver_stats:conv_rate"],
    }
    assert sent[1] == {"entities": {"driver_id": [1]}, "full_feature_names": True, "feature_service": "driver_v1"}
    data = response.to_dict()
    assert data["driver_id"] == [1001, 1002, 1003]
    assert data["conv_rate"][:2] == [0.5, None] and data["conv_rate"][2] != data["conv_rate"][2]
    assert data["trips"] == [3, None, None]
    statuses = response.statuses
    assert statuses["trips"] == [FieldStatus.PRESENT, FieldStatus.NOT_FOUND, FieldStatus.OUTSIDE_MAX_AGE]
    assert statuses["plus_one"] == [FieldStatus.PRESENT, FieldStatus.NULL_VALUE, FieldStatus.PRESENT]
    assert response.event_timestamps["conv_rate"] == [1704164645123456, None, 1704164645000000]
    assert "plus_one" not in response.event_timestamps
    assert response.to_df().shape == (3, 4)


def test_error_answers_raise_the_librarys_exceptions() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        error = {"type": "FeatureServiceNotFoundError", "message": "no feature service named 'x'", "detail": None}
        return httpx.Response(404, json={"error": error})

    with make_client(handler) as client, pytest.raises(FeatureServiceNotFoundError, match="no feature service"):
        client.get_online_features(feature_service="x", entity_rows=[{"driver_id": 1}])


def test_unreachable_server_is_backend_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with make_client(handler) as client:
        with pytest.raises(BackendUnavailableError, match="unreachable"):
            client.push("src", {"a": [1]})
        assert client.health() is False


def test_push_sends_columns_with_iso_timestamps() -> None:
    sent: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"status": "ok", "rows": 2})

    frame = pd.DataFrame(
        {
            "driver_id": [1, 2],
            "rate": [0.1, float("nan")],
            "event_timestamp": pd.to_datetime(["2024-01-02", None], utc=True),
        }
    )
    with make_client(handler) as client:
        assert client.push("driver_push", frame, to="online_and_offline") == 2
    assert sent[0] == {
        "push_source_name": "driver_push",
        "to": "online_and_offline",
        "df": {"driver_id": [1, 2], "rate": [0.1, None], "event_timestamp": ["2024-01-02T00:00:00+00:00", None]},
    }


def test_entity_rows_and_frames() -> None:
    assert entity_columns([{"a": 1, "b": "x"}, {"b": "y", "a": 2}]) == {"a": [1, 2], "b": ["x", "y"]}
    with pytest.raises(EntityKeyError, match="entity row 1"):
        entity_columns([{"a": 1}, {"b": 2}])
    with pytest.raises(RequestError):
        entity_columns([])
    with pytest.raises(RequestError, match="DataFrame"):
        frame_columns([1, 2])
