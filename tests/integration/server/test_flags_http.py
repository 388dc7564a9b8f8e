"""Flags over HTTP: a running server serves FLAG_OFF as soon as its registry cache sees the change;
GET /flags and GET /history show what an operator needs during a rollout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.server.testclient import TestClient

from featurevault import FeatureStore
from featurevault._ops.repo import load_repo
from featurevault._server import create_app
from tests.unit.lifecycle.fraud_repo import NOW, write_repo

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = write_repo(tmp_path_factory.mktemp("flags-http") / "repo")
    with FeatureStore(repo, env="prod") as admin:  # prod: registry cache TTL 0
        admin.apply(load_repo(repo))
        admin.materialize_incremental(NOW)
    return repo


@pytest.fixture(scope="module")
def client(repo: Path) -> Iterator[TestClient]:
    with FeatureStore(repo, env="prod") as served, TestClient(create_app(served)) as client:
        yield client


def _statuses(client: TestClient, users: list[int]) -> list[str]:
    body = {"feature_service": "fraud_model_v3", "entities": {"user_id": users}}
    response = client.post("/get-online-features", json=body)
    assert response.status_code == 200, response.text
    names = response.json()["metadata"]["feature_names"]
    return response.json()["results"][names.index("user_device_risk_score")]["statuses"]


def _eventually(client: TestClient, users: list[int], expected: list[str], seconds: float = 10.0) -> None:
    """The server's registry cache picks the change up within its refresh interval."""
    deadline = time.monotonic() + seconds
    while _statuses(client, users) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _statuses(client, users) == expected


def test_a_flag_set_elsewhere_is_served_by_the_running_server(repo: Path, client: TestClient) -> None:
    assert _statuses(client, [1, 2, 3]) == ["PRESENT"] * 3
    with FeatureStore(repo, env="prod") as operator:
        operator.set_flag("fraud_model_v3", enabled=False)
        _eventually(client, [1, 2, 3], ["FLAG_OFF"] * 3)
        operator.set_flag("fraud_model_v3", enabled=True, percent=0, allow=["2"])
        _eventually(client, [1, 2, 3], ["FLAG_OFF", "PRESENT", "FLAG_OFF"])
        operator.set_flag("fraud_model_v3", percent=10, allow=[])
        statuses = _statuses(client, list(range(1, 10_001)))
        for _ in range(100):  # until the server's registry cache has the 10% setting
            if statuses.count("PRESENT") > 3:
                break
            time.sleep(0.1)
            statuses = _statuses(client, list(range(1, 10_001)))
        assert 900 <= statuses.count("PRESENT") <= 1100
        assert _statuses(client, list(range(1, 10_001))) == statuses  # sticky
        sdk = operator.get_online_features(
            operator.get_feature_service("fraud_model_v3"), {"user_id": list(range(1, 10_001))}
        )
        assert [s.name for s in sdk.statuses["user_device_risk_score"]] == statuses  # HTTP and SDK agree
        operator.remove_flag("fraud_model_v3")
    _eventually(client, [1, 2, 3], ["PRESENT"] * 3)


def test_flags_and_history_routes(repo: Path, client: TestClient) -> None:
    with FeatureStore(repo, env="prod") as operator:
        operator.set_flag("user_risk_daily", percent=25)
    try:
        flags = client.get("/flags").json()["flags"]
        assert [(f["target"], f["percent"], f["updated_by"]) for f in flags] == [
            ("feature_view:user_risk_daily", 25.0, "anonymous")
        ]
        history = client.get("/history", params={"limit": 5}).json()
        assert history["environment"] == "prod"
        assert history["history"][0]["version"] == 1 and history["history"][0]["environment"] == "prod"
        assert client.get("/history", params={"limit": 0}).status_code == 422
    finally:
        with FeatureStore(repo, env="prod") as operator:
            operator.remove_flag("user_risk_daily")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"percent": 0}, "FLAG_OFF"),
        ({"percent": 100}, "PRESENT"),
        ({"percent": 100, "enabled": False}, "FLAG_OFF"),
    ],
)
def test_zero_and_hundred_percent_over_http_agree_with_the_sdk(
    repo: Path, client: TestClient, settings: dict[str, object], expected: str
) -> None:
    users = list(range(1, 201))
    with FeatureStore(repo, env="prod") as operator:
        try:
            operator.set_flag("fraud_model_v3", **settings)  # type: ignore[arg-type]
            _eventually(client, users, [expected] * len(users))
            sdk = operator.get_online_features(operator.get_feature_service("fraud_model_v3"), {"user_id": users})
            assert [s.name for s in sdk.statuses["user_device_risk_score"]] == [expected] * len(users)
        finally:
            operator.remove_flag("fraud_model_v3")
