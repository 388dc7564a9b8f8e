"""Every route of a real ``featurevault serve`` on a real repo, through httpx."""

from __future__ import annotations

import math
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from featurevault._client import FeatureServerClient
from featurevault.errors import FeatureViewNotFoundError
from featurevault._store import FeatureStore
from tests.integration.server.harness import RunningServer

pytestmark = pytest.mark.integration

EPOCH = "1970-01-01T00:00:00Z"
FEATURES = ["driver_hourly_stats:conv_rate", "driver_hourly_stats:avg_daily_trips"]


def post(server: RunningServer, path: str, body: dict) -> httpx.Response:
    return httpx.post(server.url + path, json=body, timeout=10)


def in_process(repo: Path, features: object, entities: dict, full: bool = False) -> object:
    with FeatureStore(repo_path=repo) as store:
        if isinstance(features, str):
            features = store.get_feature_service(features)
        return store.get_online_features(features, entities, full)


def test_online_features_match_feast_shape_and_the_in_process_read(server: RunningServer, repo: Path) -> None:
    entities = {"driver_id": [1001, 1002, 99999]}
    r = post(server, "/get-online-features", {"features": FEATURES, "entities": entities})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"metadata", "results"}
    assert body["metadata"] == {"feature_names": ["driver_id", "conv_rate", "avg_daily_trips"]}
    key, rate, trips = body["results"]
    assert key == {"values": [1001, 1002, 99999], "statuses": ["PRESENT"] * 3, "event_timestamps": [EPOCH] * 3}
    expected = in_process(repo, FEATURES, entities)
    assert rate["values"] == expected.to_dict()["conv_rate"]
    assert trips["values"] == expected.to_dict()["avg_daily_trips"]
    assert rate["statuses"] == ["PRESENT", "PRESENT", "NOT_FOUND"] == trips["statuses"]
    assert rate["event_timestamps"][2] == EPOCH
    for stamp in rate["event_timestamps"][:2]:
        assert stamp.endswith("Z") and stamp[:2] == "20" and "T" in stamp


def test_feature_service_with_request_data_and_full_names(server: RunningServer, repo: Path) -> None:
    entities = {"driver_id": [1001, 1003], "val_to_add": [1, 2], "val_to_add_2": [10, 20]}
    body = {"feature_service": "driver_activity_v1", "entities": entities, "full_feature_names": True}
    r = post(server, "/get-online-features", body)
    assert r.status_code == 200, r.text
    names = r.json()["metadata"]["feature_names"]
    assert names == [
        "driver_id",
        "driver_hourly_stats__conv_rate",
        "transformed_conv_rate__conv_rate_plus_val1",
        "transformed_conv_rate__conv_rate_plus_val2",
    ]
    results = dict(zip(names, r.json()["results"], strict=True))
    rate = results["driver_hourly_stats__conv_rate"]["values"]
    plus = results["transformed_conv_rate__conv_rate_plus_val1"]
    assert plus["values"] == pytest.approx([rate[0] + 1, rate[1] + 2])
    assert plus["statuses"] == ["PRESENT", "PRESENT"] and plus["event_timestamps"] == [EPOCH, EPOCH]
    expected = in_process(repo, "driver_activity_v1", entities, full=True).to_dict()
    assert {n: results[n]["values"] for n in names} == expected


def test_client_returns_the_in_process_response(server: RunningServer, repo: Path) -> None:
    rows = [{"driver_id": 1001}, {"driver_id": 1004}, {"driver_id": 42}]
    with FeatureServerClient(server.url, timeout=5) as client:
        remote = client.get_online_features(features=FEATURES, entity_rows=rows)
        second = client.get_online_features(features=FEATURES, entity_rows=rows)  # same connection
    local = in_process(repo, FEATURES, {"driver_id": [1001, 1004, 42]})
    assert remote.to_dict() == local.to_dict() == second.to_dict()
    assert remote.statuses == local.statuses
    assert remote.event_timestamps == local.event_timestamps


def test_push_then_read_back(server: RunningServer) -> None:
    df = {
        "driver_id": [7001, 7002],
        "conv_rate": [0.25, 0.75],
        "acc_rate": [0.5, 0.5],
        "avg_daily_trips": [3, 4],
        "event_timestamp": ["2099-01-01T00:00:00Z", "2099-01-01T00:00:00Z"],
        "created": [None, None],
    }
    with FeatureServerClient(server.url, timeout=5) as client:
        assert client.push("driver_stats_push_source", df) == 2
        read = client.get_online_features(
            features=["driver_stats_fresh:conv_rate", "driver_stats_fresh:avg_daily_trips"],
            entity_rows={"driver_id": [7001, 7002]},
        ).to_dict()
    assert read["conv_rate"] == [0.25, 0.75] and read["avg_daily_trips"] == [3, 4]


def test_push_to_online_and_offline(server: RunningServer, repo: Path) -> None:
    df = {
        "driver_id": [7003],
        "conv_rate": [0.5],
        "acc_rate": [0.5],
        "avg_daily_trips": [5],
        "event_timestamp": ["2099-01-02T00:00:00Z"],
        "created": ["2099-01-02T00:00:00Z"],
    }
    r = post(server, "/push", {"push_source_name": "driver_stats_push_source", "df": df, "to": "online_and_offline"})
    assert r.status_code == 200, r.text
    assert r.json()["rows"] >= 1
    read = post(
        server,
        "/get-online-features",
        {"features": ["driver_stats_fresh:avg_daily_trips"], "entities": {"driver_id": [7003]}},
    ).json()
    assert read["results"][1]["values"] == [5]


def test_write_to_online_store_then_read_back(server: RunningServer) -> None:
    body = {
        "feature_view_name": "driver_stats_fresh",
        "df": {
            "driver_id": [8001],
            "conv_rate": [0.5],
            "acc_rate": [0.5],
            "avg_daily_trips": [9],
            "event_timestamp": [4070908800],
        },
    }
    r = post(server, "/write-to-online-store", body)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok", "rows": 1}
    r = post(
        server,
        "/get-online-features",
        {"features": ["driver_stats_fresh:avg_daily_trips"], "entities": {"driver_id": [8001]}},
    )
    assert r.json()["results"][1] == {
        "values": [9],
        "statuses": ["PRESENT"],
        "event_timestamps": ["2099-01-01T00:00:00Z"],
    }


def test_feast_remote_store_bodies(server: RunningServer) -> None:
    """The exact shapes Feast's remote online store sends: naive ISO times, extra flags."""
    write = {
        "feature_view_name": "driver_stats_fresh",
        "df": {
            "driver_id": [8101],
            "conv_rate": [0.125],
            "acc_rate": [0.5],
            "avg_daily_trips": [2],
            "event_timestamp": ["2099-03-01T12:00:00"],
            "created": [None],
        },
        "allow_registry_cache": False,
    }
    assert post(server, "/write-to-online-store", write).status_code == 200
    read = {
        "entities": {"driver_id": [8101]},
        "full_feature_names": False,
        "include_feature_view_version_metadata": False,
        "features": ["driver_stats_fresh:conv_rate"],
    }
    r = post(server, "/get-online-features", read)
    assert r.status_code == 200
    assert r.json()["results"][1] == {
        "values": [0.125],
        "statuses": ["PRESENT"],
        "event_timestamps": ["2099-03-01T12:00:00Z"],
    }


def test_registry_routes(server: RunningServer) -> None:
    views = httpx.get(server.url + "/feature-views").json()["feature_views"]
    by_name = {v["name"]: v for v in views}
    assert {"driver_hourly_stats", "driver_stats_fresh", "transformed_conv_rate", "slow_conv_rate"} <= set(by_name)
    assert by_name["driver_hourly_stats"]["kind"] == "feature_view"
    assert by_name["driver_hourly_stats"]["ttl_seconds"] == 86400.0
    odfv = by_name["transformed_conv_rate"]
    assert odfv["kind"] == "on_demand_feature_view" and "udf_pickle" not in odfv and "conv_rate" in odfv["udf_string"]
    one = httpx.get(server.url + "/feature-views/transformed_conv_rate")
    assert one.status_code == 200 and one.json() == odfv
    services = httpx.get(server.url + "/feature-services").json()["feature_services"]
    assert {s["name"] for s in services} == {"driver_activity_v1", "driver_activity_v2", "slow_v1"}


def test_health_ready_metrics(server: RunningServer) -> None:
    assert httpx.get(server.url + "/health").json() == {"status": "ok"}
    ready = httpx.get(server.url + "/ready").json()
    assert ready["status"] == "ready" and ready["checks"] == {"registry": "ok", "online_store": "ok"}
    assert ready["registry"]["stale"] is False and ready["registry"]["max_staleness_seconds"] == 600
    post(
        server,
        "/get-online-features",
        {
            "feature_service": "driver_activity_v2",
            "entities": {"driver_id": [1001, 1002], "val_to_add": [1, 1], "val_to_add_2": [1, 1]},
        },
    )
    text = httpx.get(server.url + "/metrics").text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }
    ok = (
        ("feature_service", "driver_activity_v2"),
        ("method", "POST"),
        ("route", "/get-online-features"),
        ("status", "200"),
    )
    assert samples[("featurevault_requests_total", ok)] >= 1
    assert (
        samples[("featurevault_online_read_latency_seconds_count", (("feature_service", "driver_activity_v2"),))] >= 1
    )
    assert samples[("featurevault_entities_per_request_count", ())] >= 1
    age = samples[("featurevault_registry_age_seconds", ())]
    assert 0 <= age < 60
    stamp = samples[
        ("featurevault_materialization_last_success_timestamp_seconds", (("feature_view", "driver_hourly_stats"),))
    ]
    assert not math.isnan(stamp) and stamp > 1.7e9


@pytest.mark.parametrize(
    ("path", "body", "status", "error_type"),
    [
        (
            "/get-online-features",
            {"features": ["nope:x"], "entities": {"driver_id": [1]}},
            404,
            "FeatureViewNotFoundError",
        ),
        (
            "/get-online-features",
            {"features": ["driver_hourly_stats:nope"], "entities": {"driver_id": [1]}},
            404,
            "FeatureNotFoundError",
        ),
        (
            "/get-online-features",
            {"feature_service": "nope", "entities": {"driver_id": [1]}},
            404,
            "FeatureServiceNotFoundError",
        ),
        ("/get-online-features", {"features": FEATURES, "entities": {"rider_id": [1]}}, 422, "EntityKeyError"),
        ("/get-online-features", {"features": FEATURES}, 422, "ValidationError"),
        ("/get-online-features", {"features": FEATURES, "entities": {"driver_id": "1001"}}, 422, "ValidationError"),
        (
            "/get-online-features",
            {"feature_service": "driver_activity_v1", "entities": {"driver_id": [1]}},
            422,
            "RequestError",
        ),
        (
            "/get-online-features",
            {"features": FEATURES, "entities": {"driver_id": ["not-an-int"]}},
            422,
            "SchemaMismatchError",
        ),
        (
            "/get-online-features",
            {"features": FEATURES, "entities": {"driver_id": [2**70]}},
            422,
            "SchemaMismatchError",
        ),
        (
            "/get-online-features",
            {"features": FEATURES, "entities": {"driver_id": [1001.5]}},
            422,
            "SchemaMismatchError",
        ),
        ("/push", {"push_source_name": "nope", "df": {"driver_id": [1]}}, 404, "DataSourceNotFoundError"),
        (
            "/push",
            {"push_source_name": "driver_stats_push_source", "df": {"driver_id": [1]}, "to": "x"},
            422,
            "ValidationError",
        ),
        (
            "/write-to-online-store",
            {"feature_view_name": "nope", "df": {"driver_id": [1]}},
            404,
            "FeatureViewNotFoundError",
        ),
    ],
)
def test_errors(server: RunningServer, path: str, body: dict, status: int, error_type: str) -> None:
    r = post(server, path, body)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert set(error) == {"type", "message", "detail"} and error["message"]
    if error_type != "RequestError":
        assert error["type"] == error_type
    assert "Traceback" not in r.text


def test_join_key_values_are_converted_to_the_declared_type(server: RunningServer) -> None:
    as_ints = post(server, "/get-online-features", {"features": FEATURES, "entities": {"driver_id": [1001, 1002]}})
    converted = post(
        server, "/get-online-features", {"features": FEATURES, "entities": {"driver_id": ["1001", 1002.0]}}
    )
    assert converted.status_code == 200, converted.text
    assert converted.json() == as_ints.json()
    assert converted.json()["results"][0]["values"] == [1001, 1002]


def test_join_key_type_error_names_key_value_and_type(server: RunningServer) -> None:
    r = post(server, "/get-online-features", {"features": FEATURES, "entities": {"driver_id": [1001, "not-an-int"]}})
    assert r.status_code == 422
    message = r.json()["error"]["message"]
    assert "join key 'driver_id'" in message and "'not-an-int'" in message and "Int64" in message


def test_body_too_large_is_413(server: RunningServer) -> None:
    big = {"features": FEATURES, "entities": {"driver_id": list(range(20000))}}
    r = post(server, "/get-online-features", big)
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "BodyTooLargeError"
    assert httpx.get(server.url + "/health").status_code == 200


def test_client_raises_library_errors(server: RunningServer) -> None:
    with FeatureServerClient(server.url, timeout=5) as client, pytest.raises(FeatureViewNotFoundError):
        client.get_online_features(features=["nope:x"], entity_rows=[{"driver_id": 1}])


def test_access_log_is_json(server: RunningServer) -> None:
    post(server, "/get-online-features", {"features": FEATURES, "entities": {"driver_id": [1001]}})
    import json
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
        if any(line.get("route") == "/get-online-features" for line in lines):
            break
        time.sleep(0.1)
    entry = next(line for line in lines if line.get("route") == "/get-online-features")
    assert entry["method"] == "POST" and entry["status"] in (200, 404, 422) and entry["duration_ms"] >= 0
