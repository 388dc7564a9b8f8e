"""What a refused credential claims to be, for the audit record, and never the credential itself."""

from __future__ import annotations

import jwt

from featurevault._governance.auth import claimed_identity, scrub


def test_a_token_claims_its_name_and_a_jwt_its_username_claim() -> None:
    assert claimed_identity("fv1.ci-bot." + "A" * 43) == "ci-bot"
    assert claimed_identity("fv1.ci-bot.short") == "ci-bot"  # malformed, but the name is readable
    unsigned = jwt.encode({"sub": "u-1", "preferred_username": "alice"}, "k" * 32, algorithm="HS256")
    assert claimed_identity(unsigned) == "u-1"
    assert claimed_identity(unsigned, "preferred_username") == "alice"
    for nothing in (None, "", "not-a-token", "a.b.c", "x" * 100_000):
        assert claimed_identity(nothing) is None


def test_scrub_removes_the_credential_and_its_secret() -> None:
    token = "fv1.ci-bot." + "S" * 43
    assert scrub(f"bad {token} here", token) == "bad <redacted> here"
    assert scrub(f"secret {'S' * 43} here", token) == "secret <redacted> here"
    assert scrub("token 'ci-bot' was revoked", token) == "token 'ci-bot' was revoked"
    assert scrub("nothing", None) == "nothing"
