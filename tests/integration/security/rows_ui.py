"""Entry points of the dashboard's pages and JSON endpoints: rows of the entry-point table (see test_entry_points.py)."""

from __future__ import annotations

from typing import Any

from tests.integration.security.entry_row import Row

PII = "user_pii_features"
PROJECT = "project:secured"
VIEW = f"feature_view:{PII}"


def _page(env: Any, role: str, path: str) -> str:
    """A dashboard page (HTML) as ``role``: Refused on 403, else it must render."""
    from tests.integration.security.entry_point_env import Refused

    response = env.client.get(path, headers={"Authorization": f"Bearer {env.tokens[role]}"})
    if response.status_code == 403:
        raise Refused(response.text)
    assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
    return response.text


def _api(path: str, action: str, resource: str) -> Row:
    return Row(f"http:GET {path}", lambda e, r: e.http(r, "GET", _concrete(path)), action, resource)


def _html(path: str, action: str, resource: str) -> Row:
    return Row(f"http:GET {path}", lambda e, r: _page(e, r, _concrete(path)), action, resource)


def _concrete(path: str) -> str:
    return path.replace("{view}", PII)


ROWS: list[Row] = [
    _api("/ui/api/freshness", "DESCRIBE", PROJECT),
    _html("/ui/freshness", "DESCRIBE", PROJECT),
    _api("/ui/api/alerts", "DESCRIBE", PROJECT),
    _html("/ui/alerts", "DESCRIBE", PROJECT),
    _api("/ui/api/sparklines/{view}", "DESCRIBE", VIEW),
    _api("/ui/api/quality", "DESCRIBE", PROJECT),
    _html("/ui/quality", "DESCRIBE", PROJECT),
    _api("/ui/api/quality/{view}", "DESCRIBE", VIEW),
    _html("/ui/quality/{view}", "DESCRIBE", VIEW),
    _api("/ui/api/quality/{view}/quarantine", "READ_OFFLINE", VIEW),
    _html("/ui/quality/{view}/quarantine", "READ_OFFLINE", VIEW),
    _api("/ui/api/audit", "READ_AUDIT", PROJECT),
    _html("/ui/audit", "READ_AUDIT", PROJECT),
    _api("/ui/api/lint", "DESCRIBE", PROJECT),
    _html("/ui/lint", "DESCRIBE", PROJECT),
    _api("/ui/api/readiness", "DESCRIBE", PROJECT),
    _html("/ui/readiness", "DESCRIBE", PROJECT),
    _api("/ui/api/backups", "DESCRIBE", PROJECT),
    _html("/ui/backups", "DESCRIBE", PROJECT),
]
