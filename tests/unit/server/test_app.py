import io
import json
from collections.abc import Iterator

import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.unit.server.testclient import TestClient

from featurevault.errors import PermissionDeniedError
from featurevault._server import ServerSettings, create_app
from featurevault._server.auth import ANONYMOUS, Principal
from tests.unit.server.fake_store import FakeStore


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture(params=[True, False], ids=["fast-path", "fastapi-route"])
def client(store: FakeStore, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    settings = ServerSettings(max_body_bytes=4096, fast_online=request.param)
    app = create_app(store, settings, access_log_stream=io.StringIO())
    with TestClient(app) as c:
        yield c


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text, or None."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


def read(client: TestClient, **body: object) -> object:
    return client.post("/get-online-features", json=body)


def test_online_answer_has_feasts_shape_field_by_field(client: TestClient) -> None:
    r = read(client, features=["driver_stats:conv_rate"], entities={"driver_id": [1001, 1002]})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {
        "metadata": {"feature_names": ["driver_id", "conv_rate"]},
        "results": [
            {
                "values": [1001, 1002],
                "statuses": ["PRESENT", "PRESENT"],
                "event_timestamps": ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"],
            },
            {
                "values": [0.5, None],
                "statuses": ["PRESENT", "NOT_FOUND"],
                "event_timestamps": ["2024-01-02T03:04:05Z", "1970-01-01T00:00:00Z"],
            },
        ],
    }


def test_feature_service_and_full_names_reach_the_store(client: TestClient, store: FakeStore) -> None:
    r = read(client, feature_service="driver_v1", entities={"driver_id": [1001]}, full_feature_names=True)
    assert r.status_code == 200
    assert r.json()["metadata"]["feature_names"] == ["driver_id", "driver_stats__conv_rate"]
    features, entities, full = store.reads[-1]
    assert features is store.service and entities == {"driver_id": [1001]} and full is True


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"entities": {"driver_id": [1]}}, "features"),
        ({"features": ["driver_stats:conv_rate"], "feature_service": "driver_v1", "entities": {"driver_id": [1]}}, ""),
        ({"features": ["driver_stats:conv_rate"], "entities": {}}, "entities"),
        ({"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1, 2], "x": [1]}}, "differ"),
        ({"features": "driver_stats:conv_rate", "entities": {"driver_id": [1]}}, "features"),
        ({"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [{"a": 1}]}}, "entities"),
        ({"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1]}, "full_feature_names": "yes"}, ""),
        ({"feature": ["driver_stats:conv_rate"], "entities": {"driver_id": [1]}}, "features"),
    ],
)
def test_malformed_bodies_are_422_with_the_error_shape(client: TestClient, body: dict, where: str) -> None:
    r = client.post("/get-online-features", json=body)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["type"] == "ValidationError"
    assert where in json.dumps(error)
    assert "Traceback" not in r.text


def test_unknown_keys_are_ignored_as_feast_does(client: TestClient) -> None:
    body = {"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1001]}, "some_newer_field": True}
    assert client.post("/get-online-features", json=body).status_code == 200


def test_integers_beyond_64_bits_are_numbers_not_500s(client: TestClient, store: FakeStore) -> None:
    r = read(client, features=["driver_stats:conv_rate"], entities={"driver_id": [2**70]})
    assert r.status_code == 200
    assert store.reads[-1][1] == {"driver_id": [float(2**70)]}


def test_invalid_json_is_422(client: TestClient) -> None:
    r = client.post("/get-online-features", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["error"]["type"] == "ValidationError"


def test_unknown_feature_view_and_service_are_404(client: TestClient) -> None:
    r = read(client, features=["nope:conv_rate"], entities={"driver_id": [1]})
    assert r.status_code == 404
    assert r.json()["error"] == {
        "type": "FeatureViewNotFoundError",
        "message": "feature reference 'nope:conv_rate': no feature view named 'nope'",
        "detail": None,
    }
    r = read(client, feature_service="nope", entities={"driver_id": [1]})
    assert r.status_code == 404
    assert r.json()["error"]["type"] == "FeatureServiceNotFoundError"


def test_backend_down_is_503(client: TestClient, store: FakeStore) -> None:
    store.online_store.down = True
    r = read(client, features=["driver_stats:conv_rate"], entities={"driver_id": [1]})
    assert r.status_code == 503
    assert r.json()["error"]["type"] == "BackendUnavailableError"
    r = client.get("/ready")
    assert r.status_code == 503
    assert r.json()["error"]["detail"]["online_store"].startswith("BackendUnavailableError")
    assert client.get("/health").status_code == 200


def test_body_over_the_limit_is_413_with_or_without_content_length(client: TestClient) -> None:
    big = {"features": ["driver_stats:conv_rate"], "entities": {"driver_id": list(range(2000))}}
    r = client.post("/get-online-features", json=big)
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "BodyTooLargeError"

    def chunks() -> Iterator[bytes]:
        payload = json.dumps(big).encode()
        for i in range(0, len(payload), 1000):
            yield payload[i : i + 1000]

    r = client.post("/get-online-features", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["error"]["type"] == "BodyTooLargeError"


def test_unknown_route_and_method_use_the_error_shape(client: TestClient) -> None:
    assert client.get("/nope").json()["error"]["type"] == "NotFound"
    r = client.get("/get-online-features")
    assert r.status_code == 405 and r.json()["error"]["type"] == "MethodNotAllowed"


def test_push_parses_timestamps_and_counts(client: TestClient, store: FakeStore) -> None:
    body = {
        "push_source_name": "driver_push",
        "df": {
            "driver_id": [1001, 1002],
            "conv_rate": [0.1, 0.2],
            "event_timestamp": ["2024-01-02T03:04:05Z", 1704164645],
        },
        "to": "online_and_offline",
    }
    r = client.post("/push", json=body)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok", "rows": 2}
    name, frame, to = store.pushed[-1]
    assert (name, to) == ("driver_push", "online_and_offline")
    assert list(frame["event_timestamp"]) == [pd.Timestamp("2024-01-02T03:04:05Z")] * 2
    metrics = client.get("/metrics").text
    assert sample(metrics, "featurevault_push_rows_total", push_source="driver_push", to="online_and_offline") == 2


def test_push_errors(client: TestClient) -> None:
    r = client.post("/push", json={"push_source_name": "nope", "df": {"a": [1]}})
    assert r.status_code == 404
    bad_time = {"push_source_name": "driver_push", "df": {"driver_id": [1], "event_timestamp": ["yesterday"]}}
    r = client.post("/push", json=bad_time)
    assert r.status_code == 422
    assert "event_timestamp" in r.json()["error"]["message"]
    r = client.post("/push", json={"push_source_name": "driver_push", "df": {"a": [1]}, "to": "elsewhere"})
    assert r.status_code == 422


def test_write_to_online_store(client: TestClient, store: FakeStore) -> None:
    body = {"feature_view_name": "driver_stats", "df": {"driver_id": [7], "conv_rate": [0.3], "event_timestamp": [0]}}
    r = client.post("/write-to-online-store", json=body)
    assert r.status_code == 200 and r.json()["rows"] == 1
    assert client.post("/write-to-online-store", json={**body, "feature_view_name": "x"}).status_code == 404


def test_registry_routes(client: TestClient) -> None:
    views = client.get("/feature-views").json()["feature_views"]
    assert [(v["kind"], v["name"]) for v in views] == [("feature_view", "driver_stats")]
    assert views[0]["ttl_seconds"] == 86400.0
    one = client.get("/feature-views/driver_stats").json()
    assert one == views[0]
    assert client.get("/feature-views/nope").status_code == 404
    services = client.get("/feature-services").json()["feature_services"]
    assert services[0]["name"] == "driver_v1" and services[0]["kind"] == "feature_service"


def test_health_ready_and_metrics(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["status"] == "ready" and ready["checks"] == {"registry": "ok", "online_store": "ok"}
    assert ready["registry"]["version"] == 3 and ready["registry"]["stale"] is False
    read(client, feature_service="driver_v1", entities={"driver_id": [1001, 1002, 1003]})
    read(client, feature_service="nope", entities={"driver_id": [1]})
    text = client.get("/metrics").text
    route = "/get-online-features"
    ok = {"route": route, "method": "POST", "status": "200", "feature_service": "driver_v1"}
    assert sample(text, "featurevault_requests_total", **ok) == 1
    assert sample(text, "featurevault_request_errors_total", route=route, status="404", feature_service="") == 1
    assert 'feature_service="nope"' not in text  # an unknown name from the request is not a label
    assert sample(text, "featurevault_request_latency_seconds_count", route=route, feature_service="driver_v1") == 1
    assert sample(text, "featurevault_entities_per_request_sum") == 3  # the 404 read nothing
    assert sample(text, "featurevault_online_read_latency_seconds_count", feature_service="driver_v1") == 1
    assert sample(text, "featurevault_registry_age_seconds") == 1.5
    assert sample(text, "featurevault_registry_stale") == 0
    assert sample(text, "featurevault_registry_max_staleness_seconds") == 600
    assert sample(text, "featurevault_registry_version") == 3
    stamp = sample(text, "featurevault_materialization_last_success_timestamp_seconds", feature_view="driver_stats")
    assert stamp == 1704164645.0


def test_each_app_has_its_own_metrics(store: FakeStore) -> None:
    first, second = create_app(store), create_app(store)
    with TestClient(first) as a, TestClient(second) as b:
        a.get("/health")
        assert 'route="/health"' in a.get("/metrics").text
        assert 'route="/health"' not in b.get("/metrics").text


def test_access_log_is_json_lines(store: FakeStore) -> None:
    stream = io.StringIO()
    with TestClient(create_app(store, access_log_stream=stream)) as c:
        read(c, feature_service="driver_v1", entities={"driver_id": [1001]})
    line = json.loads(stream.getvalue().splitlines()[0])
    assert line["method"] == "POST" and line["route"] == "/get-online-features" and line["status"] == 200
    assert line["feature_service"] == "driver_v1" and line["entities"] == 1 and line["principal"] == "anonymous"
    assert line["duration_ms"] >= 0 and line["logger"] == "featurevault._server.access"


def test_auth_seam_sees_principal_action_and_resources(store: FakeStore) -> None:
    seen: list[tuple[str, str, tuple[str, str]]] = []
    alice = Principal("alice", groups=["fraud"])

    def authorize(principal: Principal, action: str, resource: tuple[str, str]) -> None:
        seen.append((principal.name, action, resource))
        if resource == ("feature_service", "driver_v1"):
            raise PermissionDeniedError(f"{principal.name} may not read feature service driver_v1")

    app = create_app(store, authenticate=lambda request: alice, authorize=authorize, access_log_stream=io.StringIO())
    with TestClient(app) as c:
        ok = read(c, features=["driver_stats:conv_rate"], entities={"driver_id": [1]})
        denied = read(c, feature_service="driver_v1", entities={"driver_id": [1]})
        c.post("/push", json={"push_source_name": "driver_push", "df": {"driver_id": [1]}, "to": "online_and_offline"})
    assert ok.status_code == 200
    assert denied.status_code == 403 and denied.json()["error"]["type"] == "PermissionDeniedError"
    assert seen == [
        ("alice", "read_online", ("feature_view", "driver_stats")),
        ("alice", "read_online", ("feature_service", "driver_v1")),
        ("alice", "write_online", ("push_source", "driver_push")),
        ("alice", "write_offline", ("push_source", "driver_push")),
    ]
    assert ANONYMOUS.authenticated is False


def test_unexpected_errors_are_500_without_a_trace(store: FakeStore) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    store.get_online_features = broken  # type: ignore[method-assign]
    with TestClient(create_app(store, access_log_stream=io.StringIO()), raise_server_exceptions=False) as c:
        r = read(c, features=["driver_stats:conv_rate"], entities={"driver_id": [1]})
    assert r.status_code == 500
    assert r.json()["error"] == {
        "type": "InternalError",
        "message": "internal server error; see the server log",
        "detail": None,
    }
    assert "secret" not in r.text


def test_threaded_reads_answer_the_same(store: FakeStore) -> None:
    body = {"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1001, 1002]}}
    answers = []
    for threaded in (False, True):
        app = create_app(store, ServerSettings(threaded_reads=threaded), access_log_stream=io.StringIO())
        with TestClient(app) as c:
            answers.append(c.post("/get-online-features", json=body).json())
    assert answers[0] == answers[1] and answers[0]["results"][1]["values"] == [0.5, None]


def test_authentication_failures_are_401_and_the_principal_reaches_the_store(store: FakeStore) -> None:
    from featurevault.errors import AuthenticationError
    from featurevault._governance.context import request_principal

    alice = Principal("alice")
    seen_by_store: list[str] = []
    read = store.get_online_features

    def authenticate(request: object) -> Principal:
        if request.headers.get("authorization") != "Bearer good":  # type: ignore[attr-defined]
            raise AuthenticationError("missing credentials: send 'Authorization: Bearer <token>'")
        return alice

    def reading_store(*args: object, **kwargs: object) -> object:
        principal = request_principal.get()
        seen_by_store.append(principal.name if principal else "nobody")
        return read(*args, **kwargs)

    store.get_online_features = reading_store  # type: ignore[method-assign]
    body = {"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1001]}}
    for fast, threaded in ((True, False), (True, True), (False, False)):
        settings = ServerSettings(threaded_reads=threaded, fast_online=fast)
        app = create_app(store, settings, authenticate=authenticate, access_log_stream=io.StringIO())
        with TestClient(app) as c:
            denied = c.post("/get-online-features", json=body)
            ok = c.post("/get-online-features", json=body, headers={"authorization": "Bearer good"})
        assert denied.status_code == 401 and denied.json()["error"]["type"] == "AuthenticationError"
        assert denied.headers["www-authenticate"] == 'Bearer realm="featurevault"'
        assert ok.status_code == 200
    assert seen_by_store == ["alice", "alice", "alice"]


def test_entity_rows_over_the_limit_are_413_naming_limit_and_key(store: FakeStore) -> None:
    for fast in (True, False):
        settings = ServerSettings(max_entity_rows=3, fast_online=fast)
        with TestClient(create_app(store, settings, access_log_stream=io.StringIO())) as c:
            assert read(c, features=["driver_stats:conv_rate"], entities={"driver_id": [1, 2, 3]}).status_code == 200
            reads_before = len(store.reads)
            r = read(c, features=["driver_stats:conv_rate"], entities={"driver_id": [1, 2, 3, 4]})
            assert r.status_code == 413
            error = r.json()["error"]
            assert error["type"] == "TooManyEntityRowsError"
            assert "4 entity rows" in error["message"] and "limit of 3" in error["message"]
            assert "limits.server_max_entity_rows" in error["message"]
            assert len(store.reads) == reads_before  # refused before the store is asked


def test_default_entity_row_limit_is_ten_thousand(store: FakeStore) -> None:
    with TestClient(create_app(store, access_log_stream=io.StringIO())) as c:
        body = {"features": ["driver_stats:conv_rate"]}
        assert c.post("/get-online-features", json={**body, "entities": {"driver_id": [7] * 10_000}}).status_code == 200
        r = c.post("/get-online-features", json={**body, "entities": {"driver_id": [7] * 10_001}})
        assert r.status_code == 413 and "limit of 10000" in r.json()["error"]["message"]


def test_a_sealed_value_failing_its_check_is_500_not_a_retryable_503() -> None:
    from featurevault.errors import EncryptionKeyError, SealedValueIntegrityError
    from featurevault._server.errors import status_for

    assert status_for(SealedValueIntegrityError("moved value")) == 500  # retrying will not help
    assert status_for(EncryptionKeyError("no master key")) == 503  # the operator sets the key
