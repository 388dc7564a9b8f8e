"""Quarantined PII reads as online reads do: masked without READ_PII, clear (opened when sealed) with it.

The governed repo's ``user_pii_features`` gets a ``between`` rule on ``amount``; a push of
one row with a negative amount is quarantined with its PII (``email`` hashed, ``phone``
partial, ``ssn`` redacted, the PII join key ``user_id`` hashed for readers without READ_PII).
Every entry point is checked: SDK, CLI and HTTP, with PII encrypted at rest and without, with the
quarantine on local disk and in S3 (moto's server on loopback).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.integration.objects.moto_server import Location
from tests.integration.security.entry_point_env import ENV
from tests.integration.security.governed_repo import ADMIN, NOW, REPO, governed_builder
from tests.unit.server.testclient import TestClient
from typer.testing import CliRunner

from featurevault import FeatureStore
from featurevault._governance.auth import TokenStore
from featurevault._governance.principal import Principal
from featurevault._ops.repo import load_repo

pytestmark = pytest.mark.integration

VIEW = "user_pii_features"
BAD = {"user_id": 9, "email": "zed@example.com", "phone": "555-000-9999", "ssn": "999-99-9999", "amount": -5.0}
RULED = REPO.replace(
    '    schedule="@hourly",\n',
    '    schedule="@hourly",\n    rules=[between("amount", 0, 1000, on_fail="quarantine")],\n',
).replace("from featurevault.types import", "from featurevault._quality import between\nfrom featurevault.types import")
#: a reader of the view without READ_PII, and one with it
READER, COMPLIANCE = "data-scientists", "compliance"


class Env:
    def __init__(self, repo: Path, encrypted: bool, location: Location) -> None:
        quarantine = f"quarantine:\n  path: {location.uri}\n{location.settings()}"
        governed_builder(repo, RULED, ("pii:\n    encrypt_at_rest: true\n" if encrypted else "") + quarantine).write()
        self.repo = repo
        self.admin = FeatureStore(repo_path=repo, principal=ADMIN)
        self.admin.apply(load_repo(repo))
        frame = pd.DataFrame([{**BAD, "event_timestamp": NOW - timedelta(minutes=5), "age": 1}])
        assert self.admin.push("users_push", frame, to="online") == 0
        tokens = TokenStore(self.admin.registry.registry, self.admin.project)
        self.tokens = {role: tokens.create(f"tok-{role}", roles=[role]) for role in (READER, COMPLIANCE)}

    def sdk(self, role: str) -> FeatureStore:
        return self.admin.as_principal(Principal(f"tok-{role}", roles=[role]))

    def cli(self, role: str, *args: str) -> Any:
        from featurevault._cli.main import app

        result = CliRunner().invoke(
            app, ["-c", str(self.repo), *args, "--format", "json"], env={"FEATUREVAULT_TOKEN": self.tokens[role]}
        )
        assert result.exit_code == 0, result.output + str(result.exception)
        return json.loads(result.output)

    def audit(self) -> list[dict[str, Any]]:
        self.admin.guard.audit.flush()
        path = self.repo / "data" / "audit.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(params=[False, True], ids=["clear_at_rest", "encrypted_at_rest"])
def env(request: pytest.FixtureRequest, tmp_path: Path, location: Location) -> Iterator[Env]:
    saved = {k: os.environ.get(k) for k in [*ENV, "FEATUREVAULT_TOKEN"]}
    os.environ.update(ENV)
    os.environ.pop("FEATUREVAULT_TOKEN", None)
    built = Env(tmp_path / "repo", request.param, location)
    try:
        yield built
    finally:
        built.admin.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _masked(env: Env) -> dict[str, Any]:
    masker = env.admin.guard.masker
    return {
        "user_id": masker.hash_value(9),
        "email": masker.hash_value("zed@example.com"),
        "phone": "****9999",
        "ssn": None,
        "amount": -5.0,
    }


def _values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: values[k] for k in BAD}


def test_stored_row_keeps_pii_sealed_or_clear_as_configured(env: Env) -> None:
    (raw,) = env.admin.quarantine.list(VIEW)
    stored = raw.values
    if env.admin.guard.encrypts_at_rest:
        assert "$bytes" in stored["ssn"] and "999-99-9999" not in raw.row and "zed@" not in raw.row
    else:
        assert stored["ssn"] == "999-99-9999"


def test_sdk_masks_without_read_pii_and_opens_with_it(env: Env) -> None:
    (entry,) = env.sdk(READER).list_quarantined(VIEW)
    assert _values(entry.values) == _masked(env)
    assert _values(env.sdk(READER).get_quarantined(entry.id).values) == _masked(env)
    (clear,) = env.sdk(COMPLIANCE).list_quarantined(VIEW)
    assert _values(clear.values) == BAD
    assert _values(env.sdk(COMPLIANCE).get_quarantined(entry.id).values) == BAD
    assert clear.id == entry.id and clear.rule == "between_amount"


def test_masked_read_is_noted_in_its_audit_record(env: Env) -> None:
    env.sdk(READER).list_quarantined(VIEW)
    record = [r for r in env.audit() if (r.get("details") or {}).get("operation") == "quarantine_list"][-1]
    assert record["details"]["masked"] == [f"{VIEW}:{c}" for c in ("email", "phone", "ssn", "user_id")]
    env.sdk(COMPLIANCE).list_quarantined(VIEW)
    record = [r for r in env.audit() if (r.get("details") or {}).get("operation") == "quarantine_list"][-1]
    assert "masked" not in record["details"]


def test_cli_list_and_show_mask_as_the_sdk(env: Env) -> None:
    (listed,) = env.cli(READER, "quarantine", "list", "--view", VIEW)
    assert _values(listed["values"]) == _masked(env)
    shown = env.cli(READER, "quarantine", "show", listed["id"])
    assert _values(shown["values"]) == _masked(env)
    assert _values(env.cli(COMPLIANCE, "quarantine", "show", listed["id"])["values"]) == BAD


def test_cli_table_shows_no_raw_pii(env: Env) -> None:
    from featurevault._cli.main import app

    (entry,) = env.admin.quarantine.list(VIEW)
    result = CliRunner().invoke(
        app,
        ["-c", str(env.repo), "quarantine", "show", entry.id],
        env={"FEATUREVAULT_TOKEN": env.tokens[READER], "COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "999-99-9999" not in result.output and "zed@example.com" not in result.output
    assert "****9999" in result.output


def test_http_routes_mask_as_the_sdk(env: Env) -> None:
    from featurevault._server import create_app

    with FeatureStore(repo_path=env.repo) as server_store, TestClient(create_app(server_store)) as client:

        def get(role: str, path: str) -> Any:
            response = client.get(path, headers={"Authorization": f"Bearer {env.tokens[role]}"})
            assert response.status_code == 200, response.text
            return response.json()

        (listed,) = get(READER, f"/quality/quarantine?view={VIEW}")["entries"]
        assert _values(listed["values"]) == _masked(env)
        assert _values(get(READER, f"/quality/quarantine/{listed['id']}")["values"]) == _masked(env)
        (clear,) = get(COMPLIANCE, f"/quality/quarantine?view={VIEW}")["entries"]
        assert _values(clear["values"]) == BAD
        assert _values(get(COMPLIANCE, f"/quality/quarantine/{listed['id']}")["values"]) == BAD


def test_release_still_writes_the_original_values(env: Env) -> None:
    """Masking is for readers only: a released row is written with its real (opened) values."""
    (entry,) = env.admin.quarantine.list(VIEW)
    stored = json.loads(entry.row)
    stored["amount"] = 5.0
    fixed = type(entry)(**{**entry.__dict__, "row": json.dumps(stored, sort_keys=True)})
    env.admin.quarantine.remove([entry.id])
    env.admin.quarantine.add([fixed])
    assert env.admin.release_quarantined([fixed.id]).released == [fixed.id]
    out = env.admin.get_online_features([f"{VIEW}:ssn", f"{VIEW}:amount"], [{"user_id": 9}]).to_dict()
    assert out["ssn"] == ["999-99-9999"] and out["amount"] == [5.0]
