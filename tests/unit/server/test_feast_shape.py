import math
from datetime import UTC, datetime

from featurevault._ops.online_response import FieldStatus, OnlineResponse, ResponseColumn
from featurevault._server.feast_shape import EPOCH, feast_body, json_values, rfc3339_micros
from featurevault.types import Bytes, Float64, Int64, String

P, N, O = FieldStatus.PRESENT, FieldStatus.NOT_FOUND, FieldStatus.OUTSIDE_MAX_AGE


def test_timestamps_print_like_feast() -> None:
    micros = [0, None, 1704164645_000000, 1704164645_123000, 1704164645_123456, 1704164645_120000]
    assert rfc3339_micros(micros, 6) == [
        EPOCH,
        EPOCH,
        "2024-01-02T03:04:05Z",
        "2024-01-02T03:04:05.123Z",
        "2024-01-02T03:04:05.123456Z",
        "2024-01-02T03:04:05.120Z",
    ]
    assert rfc3339_micros(None, 2) == [EPOCH, EPOCH]


def test_values_follow_protobuf_json() -> None:
    assert json_values([1.5, float("nan"), None, float("inf"), -math.inf, 0.0]) == [
        1.5,
        "NaN",
        None,
        "Infinity",
        "-Infinity",
        0.0,
    ]
    assert json_values([b"\x00\x01", None]) == ["AAE=", None]
    assert json_values([datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), None]) == [1704164645, None]
    assert json_values([[1.0, float("nan")], None]) == [[1.0, "NaN"], None]
    same = [1, 2, None]
    assert json_values(same) is same


def test_body_from_a_real_online_response() -> None:
    response = OnlineResponse(
        [
            ResponseColumn("driver_id", [1, 2, 3], None),
            ResponseColumn("rate", [0.5, None, None], Float64, [P, O, N], [1704164645_000000, 1704000000_000000, None]),
            ResponseColumn("trips", [7, None, None], Int64, [P, O, N], [1704164645_000000, 1704000000_000000, None]),
            ResponseColumn("label", ["a", None, "c"], String),
            ResponseColumn("blob", [b"x", None, b"z"], Bytes),
        ]
    )
    body = feast_body(response)
    assert body["metadata"] == {"feature_names": ["driver_id", "rate", "trips", "label", "blob"]}
    key, rate, trips, label, blob = body["results"]
    assert key == {"values": [1, 2, 3], "statuses": ["PRESENT"] * 3, "event_timestamps": [EPOCH] * 3}
    assert rate == {
        "values": [0.5, None, None],
        "statuses": ["PRESENT", "OUTSIDE_MAX_AGE", "NOT_FOUND"],
        "event_timestamps": ["2024-01-02T03:04:05Z", "2023-12-31T05:20:00Z", EPOCH],
    }
    assert trips["statuses"] == rate["statuses"]
    assert label == {
        "values": ["a", None, "c"],
        "statuses": ["PRESENT", "NULL_VALUE", "PRESENT"],
        "event_timestamps": [EPOCH] * 3,
    }
    assert blob["values"] == ["eA==", None, "eg=="]
