"""The dashboard's operational pages over HTTP: freshness, alerts, quality and drift, quarantine, audit, reports.

A governed repo with a view expected every 10 minutes whose data is an hour old (stale), two alerts
with runbooks, a drift baseline, a profile and a quarantined row of the PII view; an "analyst" may
describe only the public view, an "auditor" may only read the audit trail, a "viewer" may only describe the PII view.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from tests.integration.security.governed_repo import NOW
from tests.integration.ui.conftest import prepare_ops_repo, write_ops_repo
from tests.unit.server.testclient import TestClient

from featurevault import FeatureStore
from featurevault._server import create_app

pytestmark = pytest.mark.integration

PII = "user_pii_features"
CLEAR = ("ann@example.com", "555-000-1111", "111-11-1111")


@pytest.fixture(scope="module")
def ops_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str], FeatureStore]]:
    mp = pytest.MonkeyPatch()
    mp.setenv("FEATUREVAULT_PII_HASH_KEY", "ui-ops-hash-key-0123456789abcdef")
    mp.delenv("FEATUREVAULT_TOKEN", raising=False)
    repo = write_ops_repo(tmp_path_factory.mktemp("ui-ops") / "repo")
    tokens = prepare_ops_repo(repo)
    store = FeatureStore(repo_path=repo)
    with TestClient(create_app(store)) as client:
        yield client, tokens, store
    store.close()
    mp.undo()


Client = tuple[TestClient, dict[str, str], FeatureStore]


def _get(client: TestClient, token: str, path: str) -> Any:
    return client.get(path, headers={"Authorization": f"Bearer {token}"}, follow_redirects=False)


def _json(client: TestClient, token: str, path: str) -> Any:
    response = _get(client, token, path)
    assert response.status_code == 200, (path, response.status_code, response.text)
    return response.json()


def test_freshness_board_puts_stale_views_first_and_follows_permissions(ops_client: Client) -> None:
    client, tokens, _ = ops_client
    board = _json(client, tokens["platform-admin"], "/ui/api/freshness")
    views = [r["view"] for r in board["views"]]
    assert views[0] == "user_activity" and set(views) == {"user_activity", PII, "user_public_features"}
    first = board["views"][0]
    assert first["stale"] is True and first["expected_interval_seconds"] == 600.0
    assert first["freshness_seconds"] > 3000 and first["ratio"] > 2 and first["measured_at"]
    assert board["stale"] == 1 and not any(r["stale"] for r in board["views"][1:])
    analyst = _json(client, tokens["analyst"], "/ui/api/freshness")
    assert [r["view"] for r in analyst["views"]] == ["user_public_features"]
    page = _get(client, tokens["platform-admin"], "/ui/freshness").text
    assert page.index("user_activity") < page.index("user_public_features") and "status-stale" in page


def test_alerts_carry_their_state_and_a_safely_rendered_runbook(ops_client: Client) -> None:
    client, tokens, _ = ops_client
    listing = _json(client, tokens["platform-admin"], "/ui/api/alerts")
    by_name = {a["alert"]: a for a in listing["alerts"]}
    assert by_name["activity_stale"]["state"] == "firing" and by_name["public_far_stale"]["state"] == "inactive"
    assert listing["counts"]["firing"] == 1 and listing["alerts"][0]["alert"] == "activity_stale"
    html = by_name["activity_stale"]["runbook_html"]
    assert "<h1>Stale activity</h1>" in html and "<strong>materialize</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    page = _get(client, tokens["platform-admin"], "/ui/alerts").text
    assert "<strong>materialize</strong>" in page and "<script>alert" not in page
    assert _json(client, tokens["analyst"], "/ui/api/alerts")["alerts"] == []  # no alert it may describe
    readiness = _json(client, tokens["platform-admin"], "/ui/api/readiness")  # the overview shows it once evaluated
    overview = _json(client, tokens["platform-admin"], "/ui/api/overview")
    assert [a["alert"] for a in overview["alerts_firing"]] == ["activity_stale"]
    assert overview["readiness"]["score"] == readiness["score"] and 0 < readiness["score"] < 100
    assert overview["readiness"]["failing"] == readiness["failing"] != []
    assert _json(client, tokens["analyst"], "/ui/api/overview")["alerts_firing"] == []


def test_sparklines_of_a_view(ops_client: Client) -> None:
    client, tokens, _ = ops_client
    spark = _json(client, tokens["platform-admin"], f"/ui/api/sparklines/{PII}")
    assert len(spark["freshness"]) == 1 and spark["freshness"][0][1] > 0
    assert spark["quarantined"] == [[spark["quarantined"][0][0], 1]]
    assert _get(client, tokens["analyst"], f"/ui/api/sparklines/{PII}").status_code == 403
    assert _get(client, tokens["platform-admin"], "/ui/api/sparklines/nope").status_code == 404
    page = _get(client, tokens["platform-admin"], f"/ui/list/feature-views/{PII}").text
    assert f'data-source="/ui/api/sparklines/{PII}"' in page


def test_quality_of_a_view_leaves_pii_out_of_histograms(ops_client: Client) -> None:
    client, tokens, _ = ops_client
    q = _json(client, tokens["platform-admin"], f"/ui/api/quality/{PII}")
    assert q["quarantined"] == 1 and list(q["rule_failures"]) == ["amount_positive"]
    assert list(q["histograms"]) == ["amount"]  # email, phone and ssn are PII
    amount = q["histograms"]["amount"]
    assert amount["baseline"]["kind"] == "numeric" and sum(amount["baseline"]["shares"]) == pytest.approx(1.0)
    assert sum(amount["current"]["shares"]) == pytest.approx(1.0)
    assert q["drift"]["psi"]["amount"] and q["drift"]["js"]["amount"] and q["drift"]["ks"]["amount"]
    assert not any(f in q["drift"]["null_rate"] for f in ("email", "phone", "ssn"))
    assert all(value not in json.dumps(q) for value in CLEAR)
    index = _json(client, tokens["platform-admin"], "/ui/api/quality")["views"]
    assert {v["view"]: v["quarantined"] for v in index} == {PII: 1, "user_activity": 0, "user_public_features": 0}
    assert _get(client, tokens["analyst"], f"/ui/api/quality/{PII}").status_code == 403
    viewer = _json(client, tokens["viewer"], f"/ui/api/quality/{PII}")
    assert viewer["histograms"] is None and viewer["quarantined"] == 1  # distributions need READ_OFFLINE
    assert [v["view"] for v in _json(client, tokens["analyst"], "/ui/api/quality")["views"]] == ["user_public_features"]


def test_quarantined_rows_are_masked_even_for_a_principal_who_may_read_pii(ops_client: Client) -> None:
    client, tokens, _ = ops_client
    rows = _json(client, tokens["platform-admin"], f"/ui/api/quality/{PII}/quarantine")
    assert rows["total"] == 1 and rows["masked"] == ["email", "phone", "ssn", "user_id"]
    values = rows["rows"][0]["values"]
    assert values["amount"] == 10.0 and values["phone"] == "****1111"
    assert values["email"] and values["email"] != "ann@example.com" and len(values["email"]) == 64  # keyed hash
    page = _get(client, tokens["platform-admin"], f"/ui/quality/{PII}/quarantine").text
    for value in CLEAR:
        assert value not in json.dumps(rows) and value not in page
    assert _get(client, tokens["analyst"], f"/ui/api/quality/{PII}/quarantine").status_code == 403
    assert _get(client, tokens["viewer"], f"/ui/api/quality/{PII}/quarantine").status_code == 403  # DESCRIBE only


def test_audit_needs_its_own_grant_and_filters_and_pages(ops_client: Client) -> None:
    client, tokens, store = ops_client
    assert _get(client, tokens["analyst"], "/ui/api/audit").status_code == 403  # DESCRIBE is not enough
    assert _get(client, tokens["analyst"], "/ui/audit").status_code == 403
    _json(client, tokens["analyst"], "/ui/api/objects/entities")
    trail = _json(client, tokens["auditor"], "/ui/api/audit?principal=tok-analyst&action=describe")
    assert trail["total"] >= 1 and trail["verify"]["ok"] is True
    assert {r["principal"] for r in trail["records"]} == {"tok-analyst"}
    assert {r["action"] for r in trail["records"]} == {"DESCRIBE"}
    refused = _json(client, tokens["auditor"], "/ui/api/audit?principal=tok-analyst&action=READ_AUDIT")
    assert refused["records"][0]["outcome"] == "denied"  # the analyst's refused look is itself recorded
    pages = _json(client, tokens["platform-admin"], "/ui/api/audit?page_size=2&page=2")
    first = _json(client, tokens["platform-admin"], "/ui/api/audit?page_size=2")
    assert (
        pages["pages"] > 2 and len(pages["records"]) == 2 and pages["records"][0]["seq"] < first["records"][-1]["seq"]
    )
    bad = _get(client, tokens["auditor"], "/ui/api/audit?since=yesterday")
    assert bad.status_code == 422 and "since='yesterday'" in bad.text
    future = (NOW + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert _json(client, tokens["auditor"], f"/ui/api/audit?since={future}")["total"] == 0
    page = _get(client, tokens["auditor"], "/ui/audit?resource=feature_view:").text
    assert "Chain verified" in page and "feature_view:" in page
    assert _get(client, tokens["auditor"], "/ui/api/freshness").status_code == 403  # the grant is for the trail only


def test_lint_readiness_and_backups(ops_client: Client) -> None:
    client, tokens, _ = ops_client
    lint = _json(client, tokens["platform-admin"], "/ui/api/lint")
    assert lint["objects_checked"] > 5 and lint["findings"]
    analyst = _json(client, tokens["analyst"], "/ui/api/lint")
    hidden = {PII, "user_activity", "derived", "fraud_model_v2"}
    assert any(f["object"] in hidden for f in lint["findings"])
    assert not any(f["object"] in hidden for f in analyst["findings"])
    readiness = _json(client, tokens["platform-admin"], "/ui/api/readiness")
    assert len(readiness["items"]) == sum(readiness["counts"].values()) and readiness["failing"]
    backups = _json(client, tokens["platform-admin"], "/ui/api/backups")
    assert len(backups["backups"]) == 1 and backups["recorded"]["last_backup"]
    page = _get(client, tokens["platform-admin"], "/ui/backups").text
    assert backups["backups"][0]["backup_id"] in page
    assert _get(client, tokens["intern"], "/ui/api/backups").status_code == 403


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/ui/freshness", 'data-refresh="30"'),
        ("/ui/freshness?refresh=0", 'data-refresh="0"'),
        ("/ui/alerts?refresh=1", 'data-refresh="2"'),
        ("/ui/?refresh=5", 'data-refresh="5"'),
        ("/ui/lint", 'data-refresh="0"'),
    ],
)
def test_auto_refresh_is_on_for_overview_freshness_and_alerts(ops_client: Client, path: str, expected: str) -> None:
    client, tokens, _ = ops_client
    page = _get(client, tokens["platform-admin"], path)
    assert page.status_code == 200 and expected in page.text and "<script>" not in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/ui/freshness",
        "/ui/alerts",
        "/ui/quality",
        f"/ui/quality/{PII}",
        f"/ui/quality/{PII}/quarantine",
        "/ui/audit",
        "/ui/lint",
        "/ui/readiness",
        "/ui/backups",
    ],
)
def test_every_new_page_renders_with_the_security_headers_and_links_to_all(ops_client: Client, path: str) -> None:
    client, tokens, _ = ops_client
    page = _get(client, tokens["platform-admin"], path)
    assert page.status_code == 200, page.text
    assert (
        "unsafe-inline" not in page.headers["content-security-policy"] and page.headers["cache-control"] == "no-store"
    )
    for target in ("freshness", "quality", "alerts", "audit", "lint", "readiness", "backups"):
        assert f'href="/ui/{target}"' in page.text
    assert client.get(path, follow_redirects=False).headers["location"] == "/ui/login"
