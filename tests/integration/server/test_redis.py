"""The server on the Redis online store: same answers as in-process, and 503 when Redis is gone."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from featurevault._client import FeatureServerClient
from featurevault._store import FeatureStore
from tests.integration.server.harness import make_repo, redis_yaml, serve

pytestmark = pytest.mark.integration

FEATURES = ["driver_hourly_stats:conv_rate", "driver_hourly_stats:avg_daily_trips"]


@pytest.fixture
def redis_repo(tmp_path: Path) -> Iterator[Path]:
    repo = make_repo(tmp_path, redis_yaml(f"fv_server_test_{uuid.uuid4().hex[:8]}_"))
    yield repo
    with FeatureStore(repo_path=repo) as store:
        store.teardown()


def test_reads_and_pushes_on_redis(redis_repo: Path) -> None:
    with serve(redis_repo) as server:
        assert httpx.get(server.url + "/ready").json()["checks"] == {"registry": "ok", "online_store": "ok"}
        with FeatureServerClient(server.url, timeout=5) as client:
            remote = client.get_online_features(features=FEATURES, entity_rows={"driver_id": [1001, 1002, 5]})
            df = {
                "driver_id": [9001],
                "conv_rate": [0.5],
                "acc_rate": [0.25],
                "avg_daily_trips": [6],
                "event_timestamp": ["2099-01-01T00:00:00Z"],
            }
            assert client.push("driver_stats_push_source", df) == 1
            pushed = client.get_online_features(
                features=["driver_stats_fresh:avg_daily_trips"], entity_rows=[{"driver_id": 9001}]
            )
        with FeatureStore(repo_path=redis_repo) as store:
            local = store.get_online_features(FEATURES, {"driver_id": [1001, 1002, 5]})
        assert remote.to_dict() == local.to_dict() and remote.statuses == local.statuses
        assert remote.to_dict()["conv_rate"][0] is not None
        assert pushed.to_dict()["avg_daily_trips"] == [6]


def test_redis_unreachable_is_503(redis_repo: Path) -> None:
    broken = redis_repo / "broken.yaml"
    text = (redis_repo / "feature_store.yaml").read_text()
    broken.write_text(text.replace("127.0.0.1:6379", "127.0.0.1:1"))
    with serve(redis_repo, yaml_file=broken) as server:
        r = httpx.post(
            server.url + "/get-online-features",
            json={"features": FEATURES, "entities": {"driver_id": [1001]}},
            timeout=10,
        )
        assert r.status_code == 503, r.text
        assert r.json()["error"]["type"] == "BackendUnavailableError"
        assert httpx.get(server.url + "/ready").status_code == 503
