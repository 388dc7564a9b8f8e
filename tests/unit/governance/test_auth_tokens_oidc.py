from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from featurevault._config import NoAuthConfig, OidcAuthConfig, TokenAuthConfig
from featurevault.errors import AuthenticationError, RequestError
from featurevault._governance.auth import (
    TOKEN_NAMESPACE,
    OidcAuthenticator,
    TokenStore,
    bearer_token,
    build_authenticator,
    parse_duration,
)
from featurevault._governance.principal import ANONYMOUS

ISSUER = "https://idp.example.com"
AUDIENCE = "featurevault"


def test_token_lifecycle_stores_only_a_salted_hash(registry: Any) -> None:
    store = TokenStore(registry, "proj")
    token = store.create("ci-bot", roles=["fraud-team", "ml-engineers"], expires_in=timedelta(days=30))
    stored = registry.get_state("proj", TOKEN_NAMESPACE)["ci-bot"]
    secret = token.split(".")[2]
    assert secret not in json.dumps(stored) and token not in json.dumps(stored)
    assert len(stored["salt"]) == 32 and len(stored["hash"]) == 64
    principal = store.verify(token)
    assert principal.name == "ci-bot" and principal.roles == ("fraud-team", "ml-engineers")
    assert [t.name for t in store.list()] == ["ci-bot"] and store.list()[0].active
    store.revoke("ci-bot")
    with pytest.raises(AuthenticationError, match="revoked"):
        store.verify(token)
    assert not store.list()[0].active


def test_same_secret_gives_different_hashes(registry: Any) -> None:
    store = TokenStore(registry, "proj")
    store.create("a", roles=["r"])
    store.revoke("a")
    store.create("a", roles=["r"])  # a revoked name may be reused
    with pytest.raises(RequestError, match="already exists"):
        store.create("a", roles=["r"])


@pytest.mark.parametrize(
    "credential",
    [
        None,
        "",
        "garbage",
        "fv1.ci-bot",
        "fv1.ci-bot.short",
        "fv1.'; DROP TABLE tokens; --." + "A" * 43,
        "fv1.ci-bot." + "A" * 43,  # right shape, wrong secret
        "fv1.nobody." + "A" * 43,  # unknown name
        "fv1.ci-bot.\x00" + "A" * 42,
        "x" * 1_000_000,
    ],
)
def test_every_bad_token_is_an_authentication_error(registry: Any, credential: str | None) -> None:
    TokenStore(registry, "proj").create("ci-bot", roles=["r"])
    auth = build_authenticator(TokenAuthConfig(type="token"), registry=registry, project="proj", resolve=Path)
    with pytest.raises(AuthenticationError):
        auth.authenticate(credential)


def test_expired_token_is_refused(registry: Any) -> None:
    store = TokenStore(registry, "proj")
    token = store.create("old", roles=["r"], expires_in=timedelta(seconds=1))
    record = registry.get_state("proj", TOKEN_NAMESPACE)["old"]
    registry.set_state("proj", TOKEN_NAMESPACE, "old", {**record, "expires_at": "2000-01-01T00:00:00+00:00"})
    with pytest.raises(AuthenticationError, match="expired"):
        store.verify(token)


@pytest.mark.parametrize("name", ["../../etc/passwd", "a b", "x" * 300, "'; DROP TABLE x"])
def test_token_names_are_plain(registry: Any, name: str) -> None:
    with pytest.raises(Exception, match="invalid"):
        TokenStore(registry, "proj").create(name, roles=["r"])


def test_durations() -> None:
    assert parse_duration("30d") == timedelta(days=30)
    assert parse_duration("2w") == timedelta(weeks=2)
    with pytest.raises(RequestError):
        parse_duration("forever")


def test_no_auth_is_anonymous() -> None:
    auth = build_authenticator(NoAuthConfig(), registry=None, project="p", resolve=Path)
    assert auth.authenticate("anything") is ANONYMOUS and not auth.enforce


def test_bearer_header_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token(None) is None
    for bad in ["Basic abc", "Bearer", "abc", "Bearer  "]:
        with pytest.raises(AuthenticationError):
            bearer_token(bad)


# -- OIDC --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec": ec.generate_private_key(ec.SECP256R1()),
        "other": rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }


def _jwk(key: Any, kid: str, alg: str) -> dict[str, Any]:
    algo = jwt.algorithms.RSAAlgorithm if alg == "RS256" else jwt.algorithms.ECAlgorithm
    data = json.loads(algo.to_jwk(key.public_key()))
    return {**data, "kid": kid, "alg": alg, "use": "sig"}


@pytest.fixture
def oidc(tmp_path: Path, keys: dict[str, Any]) -> OidcAuthenticator:
    jwks = {"keys": [_jwk(keys["rsa"], "rsa1", "RS256"), _jwk(keys["ec"], "ec1", "ES256")]}
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    config = OidcAuthConfig(
        type="oidc",
        issuer=ISSUER,
        audience=AUDIENCE,
        jwks_path="jwks.json",
        roles_claim="realm_access.roles",
        groups_claim="groups",
        username_claim="preferred_username",
    )
    return OidcAuthenticator(config, resolve=lambda p: tmp_path / p)


def _token(key: Any, kid: str = "rsa1", alg: str = "RS256", **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u-1",
        "preferred_username": "alice",
        "realm_access": {"roles": ["fraud-team"]},
        "groups": ["risk"],
        "iat": now,
        "nbf": now - 10,
        "exp": now + 300,
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def test_oidc_accepts_rs256_and_es256_with_roles_and_groups(oidc: OidcAuthenticator, keys: dict[str, Any]) -> None:
    for key, kid, alg in [(keys["rsa"], "rsa1", "RS256"), (keys["ec"], "ec1", "ES256")]:
        principal = oidc.authenticate(_token(key, kid, alg))
        assert principal.name == "alice" and principal.roles == ("fraud-team",) and principal.groups == ("risk",)


def _bad_tokens(keys: dict[str, Any]) -> dict[str, str]:
    now = int(time.time())
    return {
        "expired": _token(keys["rsa"], exp=now - 60),
        "not yet valid": _token(keys["rsa"], nbf=now + 3600),
        "wrong issuer": _token(keys["rsa"], iss="https://evil.example.com"),
        "wrong audience": _token(keys["rsa"], aud="someone-else"),
        "no exp": _token(keys["rsa"], exp=None),
        "wrongly signed": _token(keys["other"], kid="rsa1"),
        "unknown kid": _token(keys["rsa"], kid="nope"),
        "alg none": jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "exp": now + 60}, None, algorithm="none"),
        "hs256 confusion": jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "exp": now + 60}, "s" * 32, algorithm="HS256"),
        "malformed": "not.a.jwt",
        "truncated": _token(keys["rsa"])[:-10],
        "empty": "",
    }


def test_oidc_rejects_every_bad_token(oidc: OidcAuthenticator, keys: dict[str, Any]) -> None:
    for case, token in _bad_tokens(keys).items():
        with pytest.raises(AuthenticationError):
            oidc.authenticate(token)
        assert case  # the loop names the case on failure via the traceback


def test_oidc_config_needs_exactly_one_key_source() -> None:
    with pytest.raises(ValueError):
        OidcAuthConfig(type="oidc", issuer="i", audience="a")
    with pytest.raises(ValueError):
        OidcAuthConfig(type="oidc", issuer="i", audience="a", jwks_path="x", jwks_url="http://y")


def test_oidc_keys_from_a_jwks_url_are_fetched_and_cached(keys: dict[str, Any]) -> None:
    import http.server
    import threading

    body = json.dumps({"keys": [_jwk(keys["rsa"], "rsa1", "RS256")]}).encode()
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
        config = OidcAuthConfig(
            type="oidc", issuer=ISSUER, audience=AUDIENCE, jwks_url=url, roles_claim="realm_access.roles"
        )
        oidc = OidcAuthenticator(config, resolve=Path)
        assert oidc.authenticate(_token(keys["rsa"])).roles == ("fraud-team",)
        assert oidc.authenticate(_token(keys["rsa"])).name
        assert hits == ["/.well-known/jwks.json"]  # the second token used the cached keys
        with pytest.raises(AuthenticationError):
            oidc.authenticate(_token(keys["other"], kid="rsa1"))
    finally:
        server.shutdown()
        server.server_close()
