"""``GET /flags``, ``GET /history``, ``GET /schedule/runs``: where an operator looks during a rollout or an incident.

Each route authorizes (and audits) DESCRIBE on the project once, then reads the registry
directly, so that one request leaves one record.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from featurevault._server.auth import Principal, authorize, current_principal
from featurevault._server.schemas import ERROR_RESPONSES

router = APIRouter(tags=["lifecycle"])


def _json(payload: Any) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json")


@router.get("/flags", responses=ERROR_RESPONSES)
async def list_flags(request: Request, principal: Principal = Depends(current_principal)) -> Response:
    """Every feature flag: target, enabled, percent, allow-list, who changed it last and when."""
    from featurevault._lifecycle.flags import load_flags

    authorize(request, principal, "describe", [("registry", "flags")])
    store = request.app.state.store
    flags = await run_in_threadpool(load_flags, store.registry.registry, store.project)
    return _json({"flags": [f.to_dict() for f in sorted(flags.flags.values(), key=lambda f: f.target)]})


@router.get("/history", responses=ERROR_RESPONSES)
async def registry_history(
    request: Request,
    principal: Principal = Depends(current_principal),
    limit: int = Query(20, ge=1, le=1000, description="At most this many versions, newest first."),
) -> Response:
    """Registry versions, newest first: version, time, principal, environment, summary, changes."""
    from featurevault._lifecycle.history import history

    authorize(request, principal, "describe", [("registry", "history")])
    store = request.app.state.store
    entries = await run_in_threadpool(history, store.registry.registry, store.project, limit)
    return _json({"environment": store.config.environment, "history": [e.to_dict() for e in entries]})


@router.get("/schedule/runs", responses=ERROR_RESPONSES)
async def schedule_runs(
    request: Request,
    principal: Principal = Depends(current_principal),
    view: str | None = Query(None, description="Only this feature view."),
    limit: int = Query(20, ge=1, le=1000, description="At most this many runs, newest first."),
) -> Response:
    """Recorded scheduled materialization runs, newest first, and each scheduled view's last run and totals."""
    from featurevault._lifecycle.schedule_record import last_runs, recorded_runs

    authorize(request, principal, "describe", [("registry", "schedule")])
    store = request.app.state.store
    runs = await run_in_threadpool(recorded_runs, store.registry.registry, store.project, view, limit)
    last = await run_in_threadpool(last_runs, store.registry.registry, store.project)
    if view is not None:
        last = {view: last[view]} if view in last else {}
    return _json({"runs": [r.to_dict() for r in runs], "last": last})
