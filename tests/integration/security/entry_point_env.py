"""A governed repo reachable through every entry point (SDK, CLI, HTTP) as any role, and its audit trail.

``EntryPointEnv`` builds the repo of ``governed_repo.py`` (applied and materialized as its
administrator), a bearer token per role, and a feature server over the same repo. Each
call is made as a role's principal and ends with the trail flushed, so that the records
a call left can be counted: see ``test_entry_points.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.integration.security.governed_repo import ADMIN, NOW, governed_builder
from tests.unit.server.testclient import TestClient
from typer.testing import CliRunner

from featurevault import FeatureStore
from featurevault.errors import PermissionDeniedError
from featurevault._governance.auth import TokenStore
from featurevault._governance.principal import Principal
from featurevault._ops.repo import load_repo

#: roles the tests act as: one granted everything, one granted nothing on the resources the rows touch
ROLES = ("platform-admin", "intern")
ENV = {
    "FEATUREVAULT_PII_HASH_KEY": "entry-point-test-hash-key-0123456789",
    "FEATUREVAULT_MASTER_KEY": "11" * 32,
}


class Refused(Exception):
    """A CLI command or HTTP route refused the caller (exit 1 naming the denial, or 403)."""


REFUSED = (PermissionDeniedError, Refused)


def write_repo(repo: Path) -> Path:
    return governed_builder(repo).write()


class EntryPointEnv:
    """The governed repo, its administrator store, one token per role, and a feature server."""

    def __init__(self, repo: Path) -> None:
        self.repo = write_repo(repo)
        self._saved = {k: os.environ.get(k) for k in [*ENV, "FEATUREVAULT_TOKEN"]}
        os.environ.update(ENV)
        os.environ.pop("FEATUREVAULT_TOKEN", None)
        self.admin = FeatureStore(repo_path=repo, principal=ADMIN)
        self.admin.apply(load_repo(repo))
        self.admin.materialize(NOW - timedelta(days=1), NOW)
        tokens = TokenStore(self.admin.registry.registry, self.admin.project)
        self.tokens = {role: tokens.create(f"tok-{role}", roles=[role]) for role in ROLES}
        tokens.create("victim", roles=["intern"])  # a token the revoke rows revoke
        self.audit_path = repo / "data" / "audit.jsonl"
        self.server_store = FeatureStore(repo_path=repo)
        self._client: TestClient | None = None
        self.runner = CliRunner()

    # -- acting as a role ----------------------------------------------------------------------

    def principal(self, role: str) -> Principal:
        return Principal(f"tok-{role}", roles=[role])

    def sdk(self, role: str) -> FeatureStore:
        return self.admin.as_principal(self.principal(role))

    def cli(self, role: str, *args: str) -> str:
        from featurevault._cli.main import app

        env = {"FEATUREVAULT_TOKEN": self.tokens[role], "COLUMNS": "200"}
        result = self.runner.invoke(app, ["-c", str(self.repo), *args], env=env)
        text = result.output + (str(result.exception) if result.exception else "")
        if result.exit_code != 0:
            if isinstance(result.exception, PermissionDeniedError) or "may not" in text:
                raise Refused(text)
            raise AssertionError(f"featurevault {' '.join(args)} failed ({result.exit_code}): {text}")
        return result.output

    @property
    def client(self) -> TestClient:
        if self._client is None:
            from featurevault._server import create_app

            self._client = TestClient(create_app(self.server_store)).__enter__()
        return self._client

    def http(self, role: str, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        response = self.client.request(method, path, json=body, headers=headers)
        if response.status_code == 403:
            raise Refused(response.text)
        assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    # -- the trail -----------------------------------------------------------------------------

    def flush(self) -> None:
        for store in (self.admin, self.server_store):
            if "guard" in store.__dict__:
                store.guard.audit.flush()

    def records(self) -> list[dict[str, Any]]:
        self.flush()
        if not self.audit_path.exists():
            return []
        return [json.loads(line) for line in self.audit_path.read_text().splitlines() if line.strip()]

    @contextmanager
    def new_records(self) -> Iterator[list[dict[str, Any]]]:
        """The records written while the block runs (filled in when it ends)."""
        before = len(self.records())
        found: list[dict[str, Any]] = []
        try:
            yield found
        finally:
            found.extend(self.records()[before:])

    def close(self) -> None:
        if self._client is not None:
            self._client.__exit__(None, None, None)
        self.server_store.close()
        self.admin.close()
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
