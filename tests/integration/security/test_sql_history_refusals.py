"""Entity SQL needs its own grant and reads no files; applies name their principal; 401/403 are audited."""

from __future__ import annotations

import getpass
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from tests.integration.security.governed_repo import NOW
from tests.unit.server.testclient import TestClient

from featurevault import Entity, FeatureStore
from featurevault.errors import DataSourceError, PermissionDeniedError
from featurevault._governance.auth import TokenStore
from featurevault._governance.principal import Principal
from featurevault._server import create_app

pytestmark = pytest.mark.integration

FEATURES = ["user_pii_features:amount"]
ENTITY_SQL = f"SELECT 1 AS user_id, TIMESTAMPTZ '{NOW.isoformat()}' AS event_timestamp"


def _records(store: FeatureStore) -> list[dict[str, Any]]:
    store.guard.audit.flush()
    path = store.repo_path / "data" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def _sha(sql: str) -> str:
    return hashlib.sha256(sql.encode()).hexdigest()


def test_entity_sql_is_refused_without_the_query_sql_grant(admin: FeatureStore) -> None:
    scientist = admin.as_principal(Principal("dana", roles=["data-scientists"]))  # may read the view offline
    with pytest.raises(PermissionDeniedError, match="QUERY_SQL"):
        scientist.get_historical_features(ENTITY_SQL, FEATURES)
    record = _records(admin)[-1]
    assert (record["principal"], record["action"], record["outcome"]) == ("dana", "READ_OFFLINE", "denied")
    assert record["details"]["entity_sql_sha256"] == _sha(ENTITY_SQL)
    assert ENTITY_SQL not in json.dumps(record)
    # the same rows as a DataFrame need no such grant
    frame = scientist.get_historical_features(admin.offline_store.query(ENTITY_SQL).to_pandas(), FEATURES).to_df()
    assert frame["amount"].tolist() == [10.0]


def test_entity_sql_with_the_grant_computes_rows_but_reads_no_file(admin: FeatureStore, repo: Path) -> None:
    frame = admin.get_historical_features(ENTITY_SQL, FEATURES).to_df()
    assert frame["amount"].tolist() == [10.0]
    record = _records(admin)[-1]
    assert (record["action"], record["outcome"]) == ("READ_OFFLINE", "ok")
    assert record["details"]["entity_sql_sha256"] == _sha(ENTITY_SQL)

    source = repo / "data" / "users.parquet"
    attempts = [
        "SELECT * FROM read_csv('/etc/passwd')",
        f"SELECT user_id, event_timestamp FROM read_parquet('{source}')",
        "SELECT 1 AS user_id, now() AS event_timestamp FROM glob('/*')",
        f"ATTACH '{repo / 'data' / 'registry.db'}' AS reg",
    ]
    for sql in attempts:
        with pytest.raises(PermissionDeniedError, match="reads no files"):
            admin.get_historical_features(sql, FEATURES).to_df()
    for sql in ("SET enable_external_access = true", "SET allowed_paths = ['/etc/passwd']"):
        with pytest.raises(DataSourceError, match="locked"):
            admin.get_historical_features(sql, FEATURES).to_df()


def test_entity_sql_keeps_reading_files_without_auth(tmp_path: Path, repo: Path) -> None:
    (repo / "feature_store.yaml").write_text(
        (repo / "feature_store.yaml").read_text().replace("    type: token\n", "    type: no_auth\n")
    )
    with FeatureStore(repo_path=repo) as store:
        store.apply(Entity(name="plain", join_keys=["k"]))
        source = repo / "data" / "users.parquet"
        rows = store.offline_store.query(f"SELECT count(*) AS n FROM read_parquet('{source}')")
        assert rows.column("n").to_pylist() == [3]


def test_registry_history_names_the_principal_and_the_os_user(admin: FeatureStore) -> None:
    admin.apply(Entity(name="audited_entity", join_keys=["x"]))
    latest = admin.registry_history(1)[0]
    assert latest.author == "root-admin"
    assert latest.meta["principal"] == "root-admin"
    assert latest.meta["os_user"] == getpass.getuser()


def test_an_apply_that_changes_nothing_still_needs_describe(admin: FeatureStore, repo: Path) -> None:
    from featurevault._ops.repo import load_repo

    intern = admin.as_principal(Principal("ivy", roles=["intern"]))
    with pytest.raises(PermissionDeniedError, match="DESCRIBE on project:secured"):
        intern.apply(load_repo(repo))
    assert admin.apply(load_repo(repo)).committed is False
    record = _records(admin)[-1]
    assert (record["principal"], record["action"], record["outcome"]) == ("root-admin", "DESCRIBE", "ok")
    assert record["details"] == {"operation": "apply", "changes": []}


def test_refused_http_requests_are_audited_without_the_token(admin: FeatureStore) -> None:
    tokens = TokenStore(admin.registry.registry, "secured")
    intern = tokens.create("tok-intern", roles=["intern"])
    revoked = tokens.create("tok-gone", roles=["compliance"])
    tokens.revoke("tok-gone")
    forged = "fv1.mallory." + "Q" * 43
    server_store = FeatureStore(repo_path=admin.repo_path)
    body = {"features": FEATURES, "entities": {"user_id": [1]}}
    try:
        with TestClient(create_app(server_store)) as client:
            answers = [
                client.post("/get-online-features", json=body, headers={"Authorization": f"Bearer {forged}"}),
                client.get("/feature-views", headers={"Authorization": f"Bearer {revoked}"}),
                client.get("/feature-views", headers={"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}),
                client.post("/get-online-features", json=body, headers={"Authorization": f"Bearer {intern}"}),
            ]
        assert [a.status_code for a in answers] == [401, 401, 401, 403]
    finally:
        server_store.close()
    trail = (admin.repo_path / "data" / "audit.jsonl").read_text()
    for secret in (forged, revoked, intern, forged[12:], revoked.rsplit(".", 1)[1], intern.rsplit(".", 1)[1]):
        assert secret not in trail
    assert "dXNlcjpwYXNzd29yZA" not in trail
    refusals = [r for r in map(json.loads, trail.splitlines()) if r["outcome"] == "denied"][-4:]
    first, second, third, fourth = refusals
    assert (first["action"], first["details"]["claimed_principal"]) == ("AUTHENTICATE", "mallory")
    assert first["details"]["route"] == "POST /get-online-features" and first["error"] == "unknown token"
    assert second["details"] == {"route": "GET /feature-views", "claimed_principal": "tok-gone"}
    assert "revoked" in second["error"]
    assert third["details"] == {"route": "GET /feature-views"} and "malformed" in third["error"]
    assert (fourth["principal"], fourth["action"]) == ("tok-intern", "READ_ONLINE")
    assert fourth["details"]["route"] == "POST /get-online-features" and "may not" in fourth["error"]
