"""The security commands, run as a user would run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from featurevault._governance.audit_sinks import FileSink

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SRC = str(Path(__file__).resolve().parents[3] / "src")


def _cli(repo: Path, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "COLUMNS": "250"}
    env["FEATUREVAULT_PII_HASH_KEY"] = "cli-test-hash-key-0123456789"
    env.pop("FEATUREVAULT_TOKEN", None)
    if token:
        env["FEATUREVAULT_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "featurevault._cli.main", "-c", str(repo), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_security_commands_end_to_end(repo: Path) -> None:
    assert _cli(repo, "apply").returncode == 0  # the first apply installs the policies
    first = _cli(repo, "tokens", "create", "root", "--roles", "platform-admin")  # the bootstrap token
    assert first.returncode == 0, first.stderr
    root = first.stdout.strip()
    again = _cli(repo, "tokens", "create", "ci-bot", "--roles", "compliance")  # no longer without a grant
    assert again.returncode == 1 and "anonymous" in again.stderr and "UPDATE" in again.stderr
    created = _cli(
        repo, "tokens", "create", "ci-bot", "--roles", "compliance,fraud-team", "--expires", "30d", token=root
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("fv1.ci-bot.")
    listed = _cli(repo, "tokens", "list", token=root)
    assert "ci-bot" in listed.stdout and "active" in listed.stdout and token.split(".")[2] not in listed.stdout

    check = ("permissions", "check", "--principal", "bob", "--action", "READ_ONLINE")
    allowed = _cli(repo, *check, "--roles", "fraud-team", "--resource", "feature_service:fraud_model_v2", token=root)
    assert allowed.returncode == 0 and "ALLOWED" in allowed.stdout
    refused = _cli(repo, *check, "--roles", "intern", "--resource", "feature_view:user_pii_features", token=root)
    assert refused.returncode == 1 and "DENIED" in refused.stderr and "bob" in refused.stderr
    bad = _cli(repo, "permissions", "check", "--action", "READ_ONLINE", "--resource", "'; DROP TABLE x; --", token=root)
    assert bad.returncode == 1 and "kind:name" in bad.stderr

    matrix = _cli(repo, "permissions", "matrix", "--actions", "READ_ONLINE", token=root)
    assert "role:fraud-team" in matrix.stdout and "feature_service:fraud_model_v2" in matrix.stdout
    report = json.loads(_cli(repo, "pii", "report", "--json", token=root).stdout)
    fields = {f["feature"]: f for f in report["fields"]}
    assert fields["user_pii_features:email"]["masking"] == "hash"
    assert fields["user_pii_features:email"]["derived_into"] == ["derived"]
    assert "role:compliance" in fields["user_pii_features:ssn"]["clear_readers"]
    assert "derived:amount_x2" in report["declassified"]

    # reads with the token, as the token's principal
    read = _cli(repo, "get-online-features", "-f", "user_pii_features:ssn", "-e", "user_id=1", token=token)
    assert read.returncode == 0, read.stderr

    assert _cli(repo, "tokens", "revoke", "ci-bot", token=root).returncode == 0
    revoked = _cli(repo, "get-online-features", "-f", "user_pii_features:ssn", "-e", "user_id=1", token=token)
    assert revoked.returncode == 1 and "revoked" in revoked.stderr

    verified = _cli(repo, "audit", "verify", token=root)
    assert verified.returncode == 0 and "intact" in verified.stdout
    queried = _cli(repo, "audit", "query", "--principal", "ci-bot", "--json", token=root)
    assert queried.returncode == 0 and "READ_ONLINE" in queried.stdout

    path = repo / "data" / "audit.jsonl"
    lines = path.read_text().splitlines()
    assert '"outcome":"ok"' in lines[1]  # lines are the canonical JSON that was hashed, with the hash last
    lines[1] = lines[1].replace('"outcome":"ok"', '"outcome":"OK"')
    path.write_text("\n".join(lines) + "\n")
    broken = _cli(repo, "audit", "verify", token=root)
    assert broken.returncode == 1 and "seq 2" in broken.stderr and "edited" in broken.stderr
    assert len(list(FileSink(path, 10**9, 5).read())) == len(lines) + 1  # the verify itself is audited

    path.write_text("\n".join(lines[:1] + [lines[1].replace('"outcome":"OK"', '"outcome":"ok"')]) + "\n")
    cut = _cli(repo, "audit", "verify", token=root)  # the tail was removed: only the registry's head can tell
    assert cut.returncode == 1 and "removed from the end" in cut.stderr


def test_the_first_token_bootstrap_is_for_token_auth_only(repo: Path) -> None:
    from typer.testing import CliRunner

    from featurevault._cli.main import app

    config = repo / "feature_store.yaml"
    oidc = "    type: oidc\n    issuer: https://idp.example\n    audience: fv\n    jwks_path: jwks.json\n"
    config.write_text(config.read_text().replace("    type: token\n", oidc))
    env = {"FEATUREVAULT_PII_HASH_KEY": "cli-test-hash-key-0123456789", "FEATUREVAULT_TOKEN": ""}
    result = CliRunner().invoke(app, ["-c", str(repo), "tokens", "create", "root", "--roles", "admin"], env=env)
    assert result.exit_code == 1 and "may not UPDATE on project:secured" in str(result.exception)
