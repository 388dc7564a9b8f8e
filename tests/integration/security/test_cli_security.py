"""The security commands, run as a user would run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from featurevault.governance.audit_sinks import FileSink

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SRC = str(Path(__file__).resolve().parents[3] / "src")


def _cli(repo: Path, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "COLUMNS": "250"}
    env["FEATUREVAULT_PII_HASH_KEY"] = "cli-test-hash-key-0123456789"
    env.pop("FEATUREVAULT_TOKEN", None)
    if token:
        env["FEATUREVAULT_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "featurevault.cli.main", "-c", str(repo), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_security_commands_end_to_end(repo: Path) -> None:
    assert _cli(repo, "apply").returncode == 0  # the first apply installs the policies
    created = _cli(repo, "tokens", "create", "ci-bot", "--roles", "compliance,fraud-team", "--expires", "30d")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("fv1.ci-bot.")
    listed = _cli(repo, "tokens", "list")
    assert "ci-bot" in listed.stdout and "active" in listed.stdout and token.split(".")[2] not in listed.stdout

    check = ("permissions", "check", "--principal", "bob", "--action", "READ_ONLINE")
    allowed = _cli(repo, *check, "--roles", "fraud-team", "--resource", "feature_service:fraud_model_v2")
    assert allowed.returncode == 0 and "ALLOWED" in allowed.stdout
    refused = _cli(repo, *check, "--roles", "intern", "--resource", "feature_view:user_pii_features")
    assert refused.returncode == 1 and "DENIED" in refused.stderr and "bob" in refused.stderr
    bad = _cli(repo, "permissions", "check", "--action", "READ_ONLINE", "--resource", "'; DROP TABLE x; --")
    assert bad.returncode == 1 and "kind:name" in bad.stderr

    matrix = _cli(repo, "permissions", "matrix", "--actions", "READ_ONLINE")
    assert "role:fraud-team" in matrix.stdout and "feature_service:fraud_model_v2" in matrix.stdout
    report = json.loads(_cli(repo, "pii", "report", "--json").stdout)
    fields = {f["feature"]: f for f in report["fields"]}
    assert fields["user_pii_features:email"]["masking"] == "hash"
    assert fields["user_pii_features:email"]["derived_into"] == ["derived"]
    assert "role:compliance" in fields["user_pii_features:ssn"]["clear_readers"]
    assert "derived:amount_x2" in report["declassified"]

    # reads with the token, as the token's principal
    read = _cli(repo, "get-online-features", "-f", "user_pii_features:ssn", "-e", "user_id=1", token=token)
    assert read.returncode == 0, read.stderr

    assert _cli(repo, "tokens", "revoke", "ci-bot").returncode == 0
    revoked = _cli(repo, "get-online-features", "-f", "user_pii_features:ssn", "-e", "user_id=1", token=token)
    assert revoked.returncode == 1 and "revoked" in revoked.stderr

    auditor = _cli(repo, "tokens", "create", "auditor", "--roles", "platform-admin").stdout.strip()
    verified = _cli(repo, "audit", "verify", token=auditor)  # reading the trail needs DESCRIBE on the project
    assert verified.returncode == 0 and "intact" in verified.stdout
    queried = _cli(repo, "audit", "query", "--principal", "ci-bot", "--json")
    assert queried.returncode == 0 and "READ_ONLINE" in queried.stdout

    path = repo / "data" / "audit.jsonl"
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace('"outcome": "ok"', '"outcome": "OK"')
    path.write_text("\n".join(lines) + "\n")
    broken = _cli(repo, "audit", "verify", token=auditor)
    assert broken.returncode == 1 and "seq 2" in broken.stderr and "edited" in broken.stderr
    assert len(list(FileSink(path, 10**9, 5).read())) == len(lines) + 1  # the verify itself is audited

    path.write_text("\n".join(lines[:1] + [lines[1].replace('"outcome": "OK"', '"outcome": "ok"')]) + "\n")
    cut = _cli(repo, "audit", "verify", token=auditor)  # the tail was removed: only the registry's head can tell
    assert cut.returncode == 1 and "removed from the end" in cut.stderr
