"""Authentication: turning presented credentials into a Principal.

One authenticator per ``auth`` config type:

* ``no_auth``: every caller is "anonymous" and nothing is enforced.
* ``token``: opaque bearer tokens ``fv1.<name>.<secret>``. Only a salted
  HMAC-SHA256 of the secret is stored, in the registry's ``tokens`` state; the
  secret has 256 random bits, so a slow KDF would add latency and no strength.
* ``oidc``: JWTs signed RS256/ES256, checked for signature, issuer, audience,
  expiry and not-before, keys from a JWKS file or URL (cached).

Every failure is an :class:`AuthenticationError` (HTTP 401), never another error.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from featurevault._config import NoAuthConfig, OidcAuthConfig, TokenAuthConfig
from featurevault.errors import AuthenticationError, RequestError, UnknownCredentialError
from featurevault._governance.principal import ANONYMOUS, Principal
from featurevault._model.base import validate_name

TOKEN_NAMESPACE = "tokens"
_TOKEN_RE = re.compile(r"^fv1\.([A-Za-z_][A-Za-z0-9_\-]{0,254})\.([A-Za-z0-9_\-]{43})$")


class Authenticator(Protocol):
    enforce: bool

    def authenticate(self, credential: str | None) -> Principal: ...


class NoAuthAuthenticator:
    """``no_auth``: the anonymous principal, nothing enforced."""

    enforce = False

    def authenticate(self, credential: str | None) -> Principal:
        return ANONYMOUS


# -- tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenInfo:
    """A stored token, without its secret."""

    name: str
    roles: tuple[str, ...]
    groups: tuple[str, ...]
    created_at: str
    expires_at: str | None
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not _expired(self.expires_at)


def parse_duration(text: str) -> timedelta:
    """``30d``, ``12h``, ``15m``, ``90s`` or ``2w``."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", text or "")
    if not match:
        raise RequestError(f"duration {text!r} must be a number and a unit: s, m, h, d or w (e.g. 30d)")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


def _now() -> datetime:
    return datetime.now(UTC)


def _expired(expires_at: str | None) -> bool:
    return expires_at is not None and datetime.fromisoformat(expires_at) <= _now()


def _digest(salt: bytes, secret: str) -> str:
    return hmac.new(salt, secret.encode("ascii"), hashlib.sha256).hexdigest()


class TokenStore:
    """Create, list, revoke and verify tokens kept in a registry's ``tokens`` state."""

    def __init__(self, registry: Any, project: str, state: Callable[[], Any] | None = None) -> None:
        self.registry = registry
        self.project = project
        #: the tokens as a registry cache holds them; verify() reads these instead of the registry
        self.state = state

    def create(
        self,
        name: str,
        roles: list[str],
        groups: list[str] | None = None,
        expires_in: timedelta | None = None,
    ) -> str:
        """Store a new token and return it; this is the only time the secret exists in clear."""
        validate_name("token", name)
        existing = self.registry.get_state(self.project, TOKEN_NAMESPACE).get(name)
        if existing is not None and existing.get("revoked_at") is None and not _expired(existing.get("expires_at")):
            raise RequestError(f"token {name!r} already exists; revoke it first")
        for role in [*roles, *(groups or [])]:
            if not re.fullmatch(r"[A-Za-z0-9_\-.:@*]{1,128}", role):
                raise RequestError(f"role or group {role!r:.80} must be 1-128 letters, digits or _-.:@")
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        now = _now()
        record = {
            "salt": salt.hex(),
            "hash": _digest(salt, secret),
            "roles": sorted(set(roles)),
            "groups": sorted(set(groups or [])),
            "created_at": now.isoformat(),
            "expires_at": (now + expires_in).isoformat() if expires_in else None,
            "revoked_at": None,
        }
        self.registry.set_state(self.project, TOKEN_NAMESPACE, name, record)
        return f"fv1.{name}.{secret}"

    def empty(self) -> bool:
        """Whether no token was ever created for the project (revoked ones still count)."""
        return not self.registry.get_state(self.project, TOKEN_NAMESPACE)

    def list(self) -> list[TokenInfo]:
        state = self.registry.get_state(self.project, TOKEN_NAMESPACE)
        return [_info(name, rec) for name, rec in sorted(state.items())]

    def revoke(self, name: str) -> TokenInfo:
        record = self.registry.get_state(self.project, TOKEN_NAMESPACE).get(name)
        if record is None:
            raise RequestError(f"no token named {name!r:.100}")
        record = {**record, "revoked_at": record.get("revoked_at") or _now().isoformat()}
        self.registry.set_state(self.project, TOKEN_NAMESPACE, name, record)
        return _info(name, record)

    def verify(self, token: str) -> Principal:
        match = _TOKEN_RE.match(token)
        if not match:
            raise AuthenticationError("malformed token")
        name, secret = match.groups()
        records = self.state() if self.state is not None else self.registry.get_state(self.project, TOKEN_NAMESPACE)
        record = records.get(name)
        if record is None or not hmac.compare_digest(_digest(bytes.fromhex(record["salt"]), secret), record["hash"]):
            raise UnknownCredentialError("unknown token")
        if record.get("revoked_at"):
            raise AuthenticationError(f"token {name!r} was revoked")
        if _expired(record.get("expires_at")):
            raise AuthenticationError(f"token {name!r} expired at {record['expires_at']}")
        return Principal(name, roles=record.get("roles", []), groups=record.get("groups", []))


def _info(name: str, record: dict[str, Any]) -> TokenInfo:
    return TokenInfo(
        name=name,
        roles=tuple(record.get("roles", [])),
        groups=tuple(record.get("groups", [])),
        created_at=record.get("created_at", ""),
        expires_at=record.get("expires_at"),
        revoked_at=record.get("revoked_at"),
    )


class TokenAuthenticator:
    """``token``: bearer tokens verified against the registry."""

    enforce = True

    def __init__(self, tokens: TokenStore) -> None:
        self.tokens = tokens

    def authenticate(self, credential: str | None) -> Principal:
        if not credential:
            raise AuthenticationError("missing credentials: send 'Authorization: Bearer <token>'")
        return self.tokens.verify(credential)


# -- OIDC -------------------------------------------------------------------------------------

ALGORITHMS = ["RS256", "ES256"]


class _JwksFile:
    """Keys from a JWKS file, re-read when the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime = -1.0
        self._keys: dict[str | None, Any] = {}
        self._lock = threading.Lock()

    def key_for(self, kid: str | None) -> Any:
        import jwt

        with self._lock:
            try:
                mtime = self.path.stat().st_mtime
            except OSError as exc:
                raise AuthenticationError(f"cannot read JWKS file {self.path}: {exc.strerror}") from None
            if mtime != self._mtime:
                jwks = jwt.PyJWKSet.from_dict(json.loads(self.path.read_text()))
                self._keys = {k.key_id: k for k in jwks.keys}
                self._mtime = mtime
            keys = self._keys
        if kid in keys:
            return keys[kid].key
        if kid is None and len(keys) == 1:
            return next(iter(keys.values())).key
        raise AuthenticationError(f"token signed with unknown key id {kid!r:.80}")


class _JwksUrl:
    def __init__(self, url: str, lifespan: float) -> None:
        import jwt

        self.client = jwt.PyJWKClient(url, cache_keys=True, lifespan=max(int(lifespan), 1), timeout=5)

    def key_for(self, kid: str | None) -> Any:
        import jwt

        try:
            if kid is None:
                return self.client.get_signing_keys()[0].key
            return self.client.get_signing_key(kid).key
        except jwt.PyJWKClientError as exc:
            raise AuthenticationError(f"cannot find the token's signing key: {exc}") from None


class OidcAuthenticator:
    """``oidc``: RS256/ES256 JWTs checked against the configured issuer, audience and keys."""

    enforce = True

    def __init__(self, config: OidcAuthConfig, resolve: Callable[[str], Path]) -> None:
        self.config = config
        self.keys: _JwksFile | _JwksUrl = (
            _JwksFile(resolve(config.jwks_path))
            if config.jwks_path
            else _JwksUrl(str(config.jwks_url), config.jwks_cache_seconds)
        )

    def authenticate(self, credential: str | None) -> Principal:
        import jwt

        if not credential:
            raise AuthenticationError("missing credentials: send 'Authorization: Bearer <token>'")
        try:
            header = jwt.get_unverified_header(credential)
            if header.get("alg") not in ALGORITHMS:
                raise AuthenticationError(f"token algorithm {header.get('alg')!r:.20} is not one of {ALGORITHMS}")
            key = self.keys.key_for(header.get("kid"))
            claims = jwt.decode(
                credential,
                key,
                algorithms=ALGORITHMS,
                audience=self.config.audience,
                issuer=self.config.issuer,
                leeway=self.config.leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("token expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthenticationError("token not valid yet (nbf)") from None
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"invalid token: {exc}") from None
        except (ValueError, TypeError) as exc:  # key material of the wrong shape
            raise AuthenticationError(f"invalid token: {exc}") from None
        name = _claim(claims, self.config.username_claim)
        if not isinstance(name, str) or not name:
            raise AuthenticationError(f"token has no {self.config.username_claim!r} claim")
        return Principal(
            name[:256],
            roles=_claim_list(claims, self.config.roles_claim),
            groups=_claim_list(claims, self.config.groups_claim),
        )


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _claim_list(claims: dict[str, Any], path: str) -> list[str]:
    value = _claim(claims, path)
    if isinstance(value, str):
        return [v for v in re.split(r"[\s,]+", value) if v]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v]
    return []


def build_authenticator(
    config: NoAuthConfig | TokenAuthConfig | OidcAuthConfig,
    *,
    registry: Any,
    project: str,
    resolve: Callable[[str], Path],
    token_state: Callable[[], Any] | None = None,
) -> NoAuthAuthenticator | TokenAuthenticator | OidcAuthenticator:
    """The authenticator for the repo's ``auth`` section (tokens from ``token_state`` when given)."""
    if isinstance(config, TokenAuthConfig):
        return TokenAuthenticator(TokenStore(registry, project, token_state))
    if isinstance(config, OidcAuthConfig):
        return OidcAuthenticator(config, resolve)
    return NoAuthAuthenticator()


def claimed_identity(credential: str | None, username_claim: str = "sub") -> str | None:
    """Who a credential says it is, unverified (for the audit of a refusal): a token's name, a JWT's user."""
    if not credential:
        return None
    match = re.match(r"fv1\.([A-Za-z_][A-Za-z0-9_\-]{0,254})\.", credential)
    if match:
        return match.group(1)
    if credential.count(".") != 2 or len(credential) > 16_384:
        return None
    try:
        import jwt

        claims = jwt.decode(credential, options={"verify_signature": False})
    except Exception:  # anything unreadable claims nobody
        return None
    name = _claim(claims, username_claim)
    return name[:256] if isinstance(name, str) and name else None


def scrub(text: str, credential: str | None) -> str:
    """``text`` without the credential or its secret part in it."""
    if not credential:
        return text
    for part in (credential, credential.rpartition(".")[2]):
        if len(part) >= 8:
            text = text.replace(part, "<redacted>")
    return text


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None when absent."""
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("malformed Authorization header: expected 'Bearer <token>'")
    return token.strip()
