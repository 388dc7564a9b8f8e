from __future__ import annotations

import pytest
from pydantic import ValidationError

from featurevault._config import AuditConfig, NoAuthConfig, OidcAuthConfig, RepoConfig, TokenAuthConfig
from featurevault.errors import ConfigError


def test_auth_is_a_discriminated_union() -> None:
    assert isinstance(RepoConfig(project="p").auth, NoAuthConfig)
    assert isinstance(RepoConfig(project="p", auth={"type": "token"}).auth, TokenAuthConfig)
    oidc = RepoConfig(
        project="p", auth={"type": "oidc", "issuer": "i", "audience": "a", "jwks_url": "https://x/jwks"}
    ).auth
    assert isinstance(oidc, OidcAuthConfig) and oidc.roles_claim == "roles"


@pytest.mark.parametrize(
    "auth",
    [{"type": "kerberos"}, {"type": "token", "secret": "x"}, {"type": "oidc", "issuer": "i"}],
)
def test_bad_auth_sections_are_refused(auth: dict) -> None:
    with pytest.raises(ConfigError, match="'auth"):
        RepoConfig(project="p", auth=auth)


def test_audit_defaults_and_checks() -> None:
    audit = RepoConfig(project="p").audit
    assert audit.sink == "file" and not audit.fail_closed
    with pytest.raises(ValidationError):
        AuditConfig(sink="postgres")  # needs a dsn
    with pytest.raises(ValidationError):
        AuditConfig(sink="postgres", dsn="postgresql://x", table="audit; DROP TABLE x")
    with pytest.raises(ValidationError):
        AuditConfig(unknown=1)
