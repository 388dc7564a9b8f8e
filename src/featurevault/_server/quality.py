"""``GET /quality/...``: the quarantine, stored profiles and the last validation, as JSON.

Each route calls the store facade, whose guard checks the caller's permission and writes
one audit record (reading quarantined rows needs READ_OFFLINE on their view).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from featurevault.errors import NotFoundError
from featurevault._server.auth import Principal, authorize, current_principal
from featurevault._server.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/quality", tags=["quality"])


def _json(payload: Any) -> Response:
    return Response(orjson.dumps(payload, default=str), media_type="application/json")


@router.get("/quarantine", responses=ERROR_RESPONSES, summary="Quarantined rows, oldest first")
async def list_quarantine(
    request: Request,
    view: str | None = Query(default=None, description="Only this feature view."),
    limit: int | None = Query(default=None, ge=1, le=100_000, description="At most this many rows."),
    principal: Principal = Depends(current_principal),
) -> Response:
    authorize(request, principal, "read_offline", [("feature_view", view or "*")])
    entries = await run_in_threadpool(request.app.state.store.list_quarantined, view, limit)
    return _json({"entries": [e.to_dict() for e in entries]})


@router.get("/quarantine/{entry_id}", responses=ERROR_RESPONSES, summary="One quarantined row")
async def show_quarantine(
    entry_id: str, request: Request, principal: Principal = Depends(current_principal)
) -> Response:
    authorize(request, principal, "read_offline", [("feature_view", "*")])
    entry = await run_in_threadpool(request.app.state.store.get_quarantined, entry_id)
    return _json(entry.to_dict())


@router.get("/profiles/{view}", responses=ERROR_RESPONSES, summary="A feature view's last (or one) stored profile")
async def get_profile(
    view: str,
    request: Request,
    id: str | None = Query(default=None, description="This stored profile (see /quality/profiles/{view}/history)."),
    principal: Principal = Depends(current_principal),
) -> Response:
    authorize(request, principal, "read_offline", [("feature_view", view)])  # the store call checks
    profile = await run_in_threadpool(request.app.state.store.get_profile, view, id)
    if profile is None:
        if id is not None:
            raise NotFoundError(
                f"feature view {view!r} has no stored profile with id {id!r}; "
                f"list them with `featurevault profile {view} --history`"
            )
        raise NotFoundError(f"feature view {view!r} has no stored profile; run `featurevault profile {view}`")
    return _json(profile.to_dict())


@router.get("/profiles/{view}/history", responses=ERROR_RESPONSES, summary="Every stored profile of a view")
async def profile_history(
    view: str,
    request: Request,
    start: datetime | None = Query(default=None, description="Only profiles whose range starts at or after this."),
    end: datetime | None = Query(default=None, description="Only profiles whose range ends at or before this."),
    principal: Principal = Depends(current_principal),
) -> Response:
    authorize(request, principal, "read_offline", [("feature_view", view)])  # the store call checks
    profiles = await run_in_threadpool(request.app.state.store.list_profiles, view, start, end)
    return _json({"view": view, "profiles": [p.summary() for p in profiles]})


@router.get("/validation", responses=ERROR_RESPONSES, summary="The last validate run's report")
async def last_validation(request: Request, principal: Principal = Depends(current_principal)) -> Response:
    authorize(request, principal, "read_offline", [("registry", "validation")])  # the store call checks
    report = await run_in_threadpool(request.app.state.store.last_validation)
    if report is None:
        raise NotFoundError("no validate run is recorded; run `featurevault validate`")
    return _json(report)
