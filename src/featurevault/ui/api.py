"""``/ui/api/...``: the JSON the dashboard's pages and charts read."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from featurevault.ui import data, history, lineage
from featurevault.ui.access import SECURITY_HEADERS, principal_of

router = APIRouter(tags=["dashboard"])


def json_response(payload: Any) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json", headers=SECURITY_HEADERS)


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
