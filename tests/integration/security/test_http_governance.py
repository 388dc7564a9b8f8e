"""The same policies over HTTP: bearer tokens, 401 for every bad credential, 403 for denials, masking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from featurevault import FeatureStore
from featurevault._governance.audit_verify import verify_chain
from featurevault._governance.auth import TokenStore
from featurevault._server import create_app
from tests.unit.server.testclient import TestClient


@pytest.fixture
def tokens(admin: FeatureStore) -> dict[str, str]:
    store = TokenStore(admin.registry.registry, "secured")
    roles = ("data-scientists", "compliance", "intern", "fraud-team", "data-platform", "platform-admin")
    made = {role: store.create(f"tok-{role}", roles=[role]) for role in roles}
    made["expired"] = store.create("tok-expired", roles=["compliance"], expires_in=timedelta(seconds=1))
    record = admin.registry.registry.get_state("secured", "tokens")["tok-expired"]
    expired = {**record, "expires_at": "2001-01-01T00:00:00+00:00"}
    admin.registry.registry.set_state("secured", "tokens", "tok-expired", expired)
    made["revoked"] = store.create("tok-revoked", roles=["compliance"])
    store.revoke("tok-revoked")
    return made


@pytest.fixture
def client(admin: FeatureStore) -> Iterator[TestClient]:
    server_store = FeatureStore(repo_path=admin.repo_path)  # no principal: each request brings its own
    with TestClient(create_app(server_store)) as test_client:
        yield test_client
    server_store.close()


def _online(
    client: TestClient, token: str | None, features: list[str] | None = None, service: str | None = None
) -> Any:
    body: dict[str, Any] = {"entities": {"user_id": [1, 2]}}
    if service:
        body["feature_service"] = service
    else:
        body["features"] = features or ["user_pii_features:ssn"]
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post("/get-online-features", json=body, headers=headers)


def _values(response: Any, name: str) -> list[Any]:
    body = response.json()
    return body["results"][body["metadata"]["feature_names"].index(name)]["values"]


def test_every_bad_credential_is_401_json(client: TestClient, tokens: dict[str, str]) -> None:
    good = tokens["compliance"]
    cases = {
        "missing": {},
        "empty bearer": {"Authorization": "Bearer "},
        "basic scheme": {"Authorization": "Basic dXNlcjpwYXNz"},
        "malformed": {"Authorization": "Bearer not-a-token"},
        "unknown": {"Authorization": "Bearer fv1.nobody." + "A" * 43},
        "wrong secret": {"Authorization": "Bearer " + good[:-4] + "AAAA"},
        "expired": {"Authorization": "Bearer " + tokens["expired"]},
        "revoked": {"Authorization": "Bearer " + tokens["revoked"]},
        "injection": {"Authorization": "Bearer fv1.'; DROP TABLE tokens; --." + "A" * 43},
        "huge": {"Authorization": "Bearer " + "x" * 200_000},
    }
    for case, headers in cases.items():
        body = {"features": ["user_pii_features:ssn"], "entities": {"user_id": [1]}}
        response = client.post("/get-online-features", json=body, headers=headers)
        assert response.status_code == 401, case
        body = response.json()
        assert body["error"]["type"] == "AuthenticationError", case
        assert "111-11-1111" not in response.text and "results" not in body, case
    for path in ("/feature-views", "/push"):
        response = client.get(path) if path == "/feature-views" else client.post(path, json={})
        assert response.status_code == 401, path


def test_denied_is_403_and_names_principal_action_resource(client: TestClient, tokens: dict[str, str]) -> None:
    response = _online(client, tokens["intern"])
    assert response.status_code == 403
    message = response.json()["error"]["message"]
    assert "tok-intern" in message and "READ_ONLINE" in message and "feature_view:user_pii_features" in message


def test_masking_over_http(client: TestClient, tokens: dict[str, str]) -> None:
    refs = ["user_pii_features:ssn", "user_pii_features:phone", "user_pii_features:amount"]
    masked = _online(client, tokens["data-scientists"], refs)
    assert masked.status_code == 200, masked.text
    assert _values(masked, "ssn") == [None, None]
    assert _values(masked, "phone") == ["****1111", "****2222"]
    assert _values(masked, "amount") == [10.0, 20.0]
    clear = _online(client, tokens["compliance"], refs)
    assert _values(clear, "ssn") == ["111-11-1111", "222-22-2222"]
    lineage = _online(client, tokens["data-scientists"], ["derived:amount_x2", "derived:email_domain"])
    assert _values(lineage, "email_domain") == [None, None] and _values(lineage, "amount_x2") == [20.0, 40.0]


HTTP_CELLS = {
    # role -> (pii view read, public view read, fraud service read)
    "data-scientists": (200, 200, 200),
    "compliance": (200, 200, 200),
    "fraud-team": (403, 200, 200),
    "intern": (403, 200, 403),
    "data-platform": (403, 200, 403),
    "platform-admin": (200, 200, 200),
}


@pytest.mark.parametrize("role", sorted(HTTP_CELLS))
def test_matrix_over_http(client: TestClient, tokens: dict[str, str], role: str) -> None:
    pii, public, service = HTTP_CELLS[role]
    assert _online(client, tokens[role], ["user_pii_features:amount"]).status_code == pii
    assert _online(client, tokens[role], ["user_public_features:age"]).status_code == public
    assert _online(client, tokens[role], service="fraud_model_v2").status_code == service


def test_registry_reads_need_describe(client: TestClient, tokens: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {tokens['data-scientists']}"}
    assert client.get("/feature-views/user_pii_features", headers=headers).status_code in (200, 404)
    denied = client.get("/feature-views/user_pii_features", headers={"Authorization": f"Bearer {tokens['intern']}"})
    assert denied.status_code == 403


def test_http_calls_are_audited_as_the_caller(admin: FeatureStore, client: TestClient, tokens: dict[str, str]) -> None:
    admin.guard.audit.flush()
    before = len(list(admin.guard.audit.sink.read()))
    for _ in range(3):
        _online(client, tokens["data-scientists"], ["user_public_features:age"])
        _online(client, tokens["intern"])
    client.app.state.store.guard.audit.flush()
    records = list(admin.guard.audit.sink.read())[before:]
    expected = [("tok-data-scientists", "ok"), ("tok-intern", "denied")] * 3
    assert [(r["principal"], r["outcome"]) for r in records] == expected
    assert verify_chain(list(admin.guard.audit.sink.read())).ok


def test_oidc_over_http(admin: FeatureStore, tmp_path: Any) -> None:
    import json
    import time

    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1", "alg": "RS256"}
    (admin.repo_path / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    yaml = admin.repo_path / "oidc.yaml"
    yaml.write_text(
        (admin.repo_path / "feature_store.yaml")
        .read_text()
        .replace(
            "auth:\n    type: token\n",
            "auth:\n    type: oidc\n    issuer: https://idp.test\n    audience: fv\n    jwks_path: jwks.json\n",
        )
    )

    def token(signer: Any = key, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": "https://idp.test", "aud": "fv", "sub": "oidc-user", "roles": ["compliance"], "exp": now + 60}
        body.update(claims)
        return jwt.encode(body, signer, algorithm="RS256", headers={"kid": "k1"})

    store = FeatureStore(repo_path=admin.repo_path, fs_yaml_file=yaml)
    with TestClient(create_app(store)) as oidc_client:
        good = _online(oidc_client, token())
        assert good.status_code == 200 and _values(good, "ssn") == ["111-11-1111", "222-22-2222"]
        expired = token(exp=int(time.time()) - 5)
        for bad in (expired, token(other), token(aud="other"), token(iss="https://evil"), "a.b.c"):
            response = _online(oidc_client, bad)
            assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")
            assert "111-11-1111" not in response.text
        assert _online(oidc_client, token(roles=["intern"])).status_code == 403
    store.close()


EVIL = ["'; DROP TABLE users; --", "../../etc/passwd", "a\x00b", "x" * 1_000_000]


@pytest.mark.parametrize("evil", EVIL, ids=["sql", "path", "nul", "1mb"])
def test_injection_over_http_is_rejected_or_harmless(client: TestClient, tokens: dict[str, str], evil: str) -> None:
    headers = {"Authorization": f"Bearer {tokens['data-scientists']}"}
    as_key = client.post(
        "/get-online-features",
        json={"features": ["user_public_features:age"], "entities": {"user_id": [evil, 1]}},
        headers=headers,
    )
    assert as_key.status_code in (200, 422), as_key.text[:200]
    if as_key.status_code == 200:
        assert _values(as_key, "age") == [None, 31]
    as_name = client.post(
        "/get-online-features", json={"features": [f"{evil}:age"], "entities": {"user_id": [1]}}, headers=headers
    )
    assert as_name.status_code in (403, 404, 422), as_name.text[:200]
    from urllib.parse import quote

    assert client.get(f"/feature-views/{quote(evil[:2000], safe='')}", headers=headers).status_code in (403, 404, 422)
    # the data and the trail are intact
    assert _values(_online(client, tokens["compliance"], ["user_public_features:age"]), "age") == [31, 42]
    client.app.state.store.guard.audit.flush()
    assert verify_chain(list(client.app.state.store.guard.audit.sink.read())).ok
