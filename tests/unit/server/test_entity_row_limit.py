"""The feature server's cap on entity rows per online read comes from the repo's ``limits`` section."""

from __future__ import annotations

import io
from pathlib import Path

from featurevault._server import create_app
from tests.unit.online.repo_defs import ALL, Harness, open_store, source_tables
from tests.unit.server.testclient import TestClient


def test_server_limit_is_read_from_feature_store_yaml(tmp_path: Path) -> None:
    open_store(tmp_path, source_tables()).close()
    yaml_path = tmp_path / "feature_store.yaml"
    yaml_path.write_text(yaml_path.read_text() + "limits:\n  server_max_entity_rows: 5\n  max_entity_rows: 100\n")
    store = Harness(repo_path=tmp_path)
    store.apply(ALL)
    body = {"features": ["driver_stats:trips"]}
    with TestClient(create_app(store, access_log_stream=io.StringIO())) as client:
        assert client.post("/get-online-features", json={**body, "entities": {"driver_id": [1] * 5}}).status_code == 200
        r = client.post("/get-online-features", json={**body, "entities": {"driver_id": [1] * 6}})
    store.close()
    assert r.status_code == 413
    error = r.json()["error"]
    assert error["type"] == "TooManyEntityRowsError"
    assert "6 entity rows" in error["message"] and "limit of 5" in error["message"]
    assert "limits.server_max_entity_rows" in error["message"]


def test_the_sdk_limit_is_413_over_http_too(tmp_path: Path) -> None:
    open_store(tmp_path, source_tables()).close()
    yaml_path = tmp_path / "feature_store.yaml"
    yaml_path.write_text(yaml_path.read_text() + "limits:\n  max_entity_rows: 2\n")
    store = Harness(repo_path=tmp_path)
    store.apply(ALL)
    with TestClient(create_app(store, access_log_stream=io.StringIO())) as client:
        r = client.post(
            "/get-online-features", json={"features": ["driver_stats:trips"], "entities": {"driver_id": [1] * 3}}
        )
    store.close()
    assert r.status_code == 413 and "limits.max_entity_rows" in r.json()["error"]["message"]
