"""``/ui/api/...``: the JSON the dashboard's pages and charts read."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from featurevault._ui import audit_view, data, history, lineage, monitor_data, quality_data, reports
from featurevault._ui.access import SECURITY_HEADERS, principal_of

router = APIRouter(tags=["dashboard"])


def json_response(payload: Any) -> Response:
    return Response(orjson.dumps(payload, default=str), media_type="application/json", headers=SECURITY_HEADERS)


@router.get("/api/overview")
def api_overview(request: Request) -> Response:
    principal = principal_of(request)
    return json_response(data.overview(request.app.state.store, principal))


@router.get("/api/objects/{kind}")
def api_listing(kind: str, request: Request) -> Response:
    principal = principal_of(request)
    return json_response({"kind": kind, "objects": data.listing(request.app.state.store, principal, kind)})


@router.get("/api/objects/{kind}/{name}")
def api_detail(kind: str, name: str, request: Request) -> Response:
    principal = principal_of(request)
    return json_response(data.detail(request.app.state.store, principal, kind, name))


@router.get("/api/history")
def api_history(request: Request) -> Response:
    principal = principal_of(request)
    return json_response({"versions": history.versions(request.app.state.store, principal)})


@router.get("/api/history/diff")
def api_history_diff(request: Request, old: int, new: int) -> Response:
    principal = principal_of(request)
    return json_response(history.version_diff(request.app.state.store, principal, old, new))


@router.get("/api/lineage")
def api_lineage(request: Request) -> Response:
    principal = principal_of(request)
    return json_response(lineage.lineage(request.app.state.store, principal))


@router.get("/api/freshness")
def api_freshness(request: Request) -> Response:
    principal = principal_of(request)
    return json_response(monitor_data.freshness_board(request.app.state.store, principal))


@router.get("/api/alerts")
def api_alerts(request: Request, state: str | None = None) -> Response:
    principal = principal_of(request)
    return json_response(monitor_data.alerts(request.app.state.store, principal, state))


@router.get("/api/sparklines/{view}")
def api_sparklines(view: str, request: Request) -> Response:
    principal = principal_of(request)
    return json_response(monitor_data.sparklines(request.app.state.store, principal, view))


@router.get("/api/quality")
def api_quality_index(request: Request) -> Response:
    principal = principal_of(request)
    return json_response(quality_data.quality_index(request.app.state.store, principal))


@router.get("/api/quality/{view}")
def api_quality(view: str, request: Request) -> Response:
    principal = principal_of(request)
    return json_response(quality_data.view_quality(request.app.state.store, principal, view))


@router.get("/api/quality/{view}/quarantine")
def api_quarantine(view: str, request: Request, limit: int = Query(quality_data.MAX_ROWS, ge=1, le=1000)) -> Response:
    principal = principal_of(request)
    return json_response(quality_data.quarantined_rows(request.app.state.store, principal, view, limit))


@router.get("/api/audit")
def api_audit(
    request: Request,
    principal: str | None = None,
    action: str | None = None,
    resource: str | None = None,
    since: str | None = None,
    until: str | None = None,
    page: int = 1,
    page_size: int = audit_view.PAGE_SIZE,
) -> Response:
    caller = principal_of(request)
    where = audit_view.AuditFilter.parse(
        principal=principal, action=action, resource=resource, since=since, until=until
    )
    return json_response(audit_view.audit_page(request.app.state.store, caller, where, page, page_size))


@router.get("/api/lint")
def api_lint(request: Request) -> Response:
    principal = principal_of(request)
    return json_response(reports.lint(request.app.state.store, principal))


@router.get("/api/readiness")
def api_readiness(request: Request) -> Response:
    principal = principal_of(request)
    return json_response(reports.readiness(request.app.state.store, principal))


@router.get("/api/backups")
def api_backups(request: Request) -> Response:
    principal = principal_of(request)
    return json_response(reports.backups(request.app.state.store, principal))
