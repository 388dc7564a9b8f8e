"""The dashboard's JSON endpoints and pages over HTTP: login, permission filtering, headers, audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.integration.security.governed_repo import ADMIN
from tests.unit.server.testclient import TestClient

from featurevault import FeatureStore
from featurevault._server import ServerSettings, create_app

pytestmark = pytest.mark.integration

Client = tuple[TestClient, dict[str, str], Path]


def _get(client: TestClient, token: str | None, path: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(path, headers=headers, follow_redirects=False)


def _names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [obj["name"] for obj in response.json()["objects"]]


def test_lists_show_only_what_the_principal_may_describe(ui_client: Client) -> None:
    client, tokens, _ = ui_client
    admin, analyst = tokens["platform-admin"], tokens["analyst"]
    assert _names(_get(client, admin, "/ui/api/objects/feature-views")) == ["user_pii_features", "user_public_features"]
    assert _names(_get(client, analyst, "/ui/api/objects/feature-views")) == ["user_public_features"]
    assert _names(_get(client, analyst, "/ui/api/objects/on-demand-feature-views")) == []
    assert _names(_get(client, admin, "/ui/api/objects/on-demand-feature-views")) == ["derived"]
    assert _names(_get(client, analyst, "/ui/api/objects/feature-services")) == []
    assert _names(_get(client, analyst, "/ui/api/objects/entities")) == ["user"]


def test_overview_counts_follow_permissions(ui_client: Client) -> None:
    client, tokens, _ = ui_client
    admin = _get(client, tokens["platform-admin"], "/ui/api/overview").json()
    analyst = _get(client, tokens["analyst"], "/ui/api/overview").json()
    assert admin["counts"]["feature-views"] == 2 and analyst["counts"]["feature-views"] == 1
    assert admin["counts"]["feature-services"] == 1 and analyst["counts"]["feature-services"] == 0
    assert analyst["features_per_view"] == {"user_public_features": 1}
    assert admin["health"] == {"registry": "ok", "online_store": "ok"}


def test_detail_is_refused_for_an_object_the_principal_may_not_describe(ui_client: Client) -> None:
    client, tokens, _ = ui_client
    assert _get(client, tokens["analyst"], "/ui/api/objects/feature-views/user_pii_features").status_code == 403
    assert _get(client, tokens["analyst"], "/ui/list/feature-views/user_pii_features").status_code == 403
    public = _get(client, tokens["analyst"], "/ui/api/objects/feature-views/user_public_features").json()
    assert public["object"]["name"] == "user_public_features"
    assert public["services"] == []  # fraud_model_v2 uses it, but the analyst may not describe that service


def test_detail_marks_pii_and_lists_services_and_shows_no_values(ui_client: Client) -> None:
    client, tokens, _ = ui_client
    body = _get(client, tokens["platform-admin"], "/ui/api/objects/feature-views/user_pii_features").json()
    assert body["pii"] == ["email", "phone", "ssn"]
    assert body["services"] == ["fraud_model_v2"]
    page = _get(client, tokens["platform-admin"], "/ui/list/feature-views/user_pii_features").text
    assert "PII" in page and "fraud_model_v2" in page
    for value in ("ann@example.com", "111-11-1111", "555-000-1111"):  # stored values never reach a page
        assert value not in page and value not in json.dumps(body)


@pytest.mark.parametrize(
    "kind", ["entities", "feature-views", "on-demand-feature-views", "feature-services", "data-sources"]
)
def test_every_listed_object_has_a_detail_page(ui_client: Client, kind: str) -> None:
    client, tokens, _ = ui_client
    names = _names(_get(client, tokens["platform-admin"], f"/ui/api/objects/{kind}"))
    assert names, kind
    for name in names:
        page = _get(client, tokens["platform-admin"], f"/ui/list/{kind}/{name}")
        assert page.status_code == 200 and f"<h1>{name}</h1>" in page.text, (kind, name)


def test_unknown_kind_and_object_are_404(ui_client: Client) -> None:
    client, tokens, _ = ui_client
    response = _get(client, tokens["platform-admin"], "/ui/api/objects/widgets")
    assert response.status_code == 404 and "widgets" in response.text
    assert _get(client, tokens["platform-admin"], "/ui/api/objects/feature-views/nope").status_code == 404


def test_without_credentials_api_is_401_and_pages_redirect_to_login(ui_client: Client) -> None:
    client, tokens, _ = ui_client
    assert _get(client, None, "/ui/api/overview").status_code == 401
    assert _get(client, "not-a-token", "/ui/api/objects/entities").status_code == 401
    page = _get(client, None, "/ui/")
    assert page.status_code == 303 and page.headers["location"] == "/ui/login"


def test_login_sets_an_httponly_strict_cookie_and_refuses_a_wrong_token(ui_client: Client) -> None:
    client, tokens, _ = ui_client
    wrong = client.post("/ui/login", data={"token": "fv_wrong"}, follow_redirects=False)
    assert wrong.status_code == 401 and "refused" in wrong.text and "set-cookie" not in wrong.headers
    good = client.post("/ui/login", data={"token": tokens["analyst"]}, follow_redirects=False)
    assert good.status_code == 303
    cookie = good.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    assert _names(client.get("/ui/api/objects/feature-views")) == ["user_public_features"]  # the cookie is enough
    page = client.get("/ui/list/feature-views")
    assert "user_public_features" in page.text and "user_pii_features" not in page.text
    client.post("/ui/logout", follow_redirects=False)
    client.cookies.clear()
    assert client.get("/ui/api/overview").status_code == 401


@pytest.mark.parametrize("path", ["/ui/", "/ui/list/entities", "/ui/api/overview", "/ui/login"])
def test_security_headers(ui_client: Client, path: str) -> None:
    client, tokens, _ = ui_client
    response = _get(client, tokens["platform-admin"], path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "<script>" not in response.text  # no inline script: the CSP would block it


def test_each_request_leaves_one_audit_record(ui_client: Client) -> None:
    client, tokens, repo = ui_client
    trail = repo / "data" / "audit.jsonl"
    store = client.app.state.store  # type: ignore[attr-defined]

    def records() -> list[dict[str, Any]]:
        store.guard.audit.flush()
        return [json.loads(line) for line in trail.read_text().splitlines()] if trail.exists() else []

    before = len(records())
    _get(client, tokens["analyst"], "/ui/api/objects/feature-views")
    new = records()[before:]
    assert len(new) == 1 and new[0]["action"] == "DESCRIBE" and new[0]["outcome"] == "ok"
    assert new[0]["principal"] == "tok-analyst"


def test_the_dashboard_can_be_turned_off(ui_repo: tuple[Path, dict[str, str]]) -> None:
    repo, tokens = ui_repo
    store = FeatureStore(repo_path=repo)
    try:
        with TestClient(create_app(store, ServerSettings(ui=False))) as client:
            assert _get(client, tokens["platform-admin"], "/ui/api/overview").status_code == 404
    finally:
        store.close()


def test_history_and_the_diff_between_two_versions(ui_client: Client) -> None:
    client, tokens, repo = ui_client
    admin = FeatureStore(repo_path=repo, principal=ADMIN)
    try:
        view = admin.get_feature_view("user_public_features")
        view.description = "ages, in years"
        admin.apply(view)
        secret = admin.get_feature_view("user_pii_features")
        secret.description = "contact details"
        admin.apply(secret)
    finally:
        admin.close()
    client.app.state.store.refresh_registry()  # type: ignore[attr-defined]
    versions = _get(client, tokens["platform-admin"], "/ui/api/history").json()["versions"]
    newest, oldest = versions[0]["version"], versions[-1]["version"]
    assert newest > oldest
    path = f"/ui/api/history/diff?old={oldest}&new={newest}"
    admin_changes = {(c["name"], c["action"]) for c in _get(client, tokens["platform-admin"], path).json()["changes"]}
    assert {("user_public_features", "update"), ("user_pii_features", "update")} <= admin_changes
    analyst = _get(client, tokens["analyst"], path).json()["changes"]
    assert [(c["name"], c["fields"]) for c in analyst] == [("user_public_features", ["description"])]
    page = _get(client, tokens["analyst"], f"/ui/history?old={oldest}&new={newest}").text
    assert "user_public_features" in page and "user_pii_features" not in page
    assert _get(client, tokens["platform-admin"], "/ui/history").status_code == 200
    assert _get(client, tokens["platform-admin"], f"/ui/api/history/diff?old=0&new={newest + 5}").status_code == 404


def test_lineage_follows_pii_and_permissions(ui_client: Client) -> None:
    client, tokens, _ = ui_client
    graph = _get(client, tokens["platform-admin"], "/ui/api/lineage").json()["columns"]
    nodes = {(n["kind"], n["name"]): n for column in graph.values() for n in column}
    assert nodes[("feature_view", "user_pii_features")]["inputs"] == ["users_push", "users_src"]
    assert nodes[("feature_view", "user_pii_features")]["pii"] is True
    assert nodes[("on_demand_feature_view", "derived")] == {
        "name": "derived",
        "kind": "on_demand_feature_view",
        "inputs": ["user_pii_features"],
        "pii": True,
    }
    assert nodes[("feature_service", "fraud_model_v2")]["pii"] is True  # it serves a view holding PII
    assert nodes[("feature_view", "user_public_features")]["pii"] is False
    analyst = _get(client, tokens["analyst"], "/ui/api/lineage").json()["columns"]
    assert [n["name"] for n in analyst["feature_view"]] == ["user_public_features"]
    assert analyst["on_demand_feature_view"] == [] and analyst["feature_service"] == []
    page = _get(client, tokens["analyst"], "/ui/lineage").text
    assert "user_public_features" in page and "user_pii_features" not in page


def test_serve_workers_leave_the_dashboard_out_when_told(
    ui_repo: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from featurevault._server.app import ENV_PREFIX, app_from_env

    repo, _ = ui_repo
    monkeypatch.setenv(f"{ENV_PREFIX}REPO", str(repo))
    statuses = {}
    for flag in ("1", "0"):
        monkeypatch.setenv(f"{ENV_PREFIX}UI", flag)  # what ``featurevault serve [--no-ui]`` sets
        with TestClient(app_from_env()) as client:
            statuses[flag] = (client.get("/ui/login").status_code, client.get("/ui/static/app.js").status_code)
    assert statuses == {"1": (200, 200), "0": (404, 404)}


def test_the_dashboard_is_not_part_of_the_openapi_contract(ui_client: Client) -> None:
    client, _, _ = ui_client
    paths = client.get("/openapi.json").json()["paths"]
    assert "/feature-views" in paths and not any(path.startswith("/ui") for path in paths)
