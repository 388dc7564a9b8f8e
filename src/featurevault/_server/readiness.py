"""``GET /readiness``: the production-readiness checklist, as ``featurevault readiness --format json`` reports it.

The definitions judged are the registry's current ones; the recorded state (backups, drills,
the last validate run, promotions, rollbacks, flags) is read from the registry. One DESCRIBE
on the project authorizes and audits the request. Not to be confused with ``GET /ready``,
the load balancer's probe of the backends.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from featurevault._server.auth import Principal, authorize, current_principal
from featurevault._server.schemas import ERROR_RESPONSES

router = APIRouter(tags=["quality"])


@router.get("/readiness", responses=ERROR_RESPONSES, summary="The production-readiness report")
async def readiness(request: Request, principal: Principal = Depends(current_principal)) -> Response:
    """Score, counts and every checklist item with its status, evidence and next step."""
    from featurevault._lifecycle.readiness_facts import readiness_report

    authorize(request, principal, "describe", [("registry", "readiness")])
    report = await run_in_threadpool(readiness_report, request.app.state.store)
    return Response(orjson.dumps(report.to_dict()), media_type="application/json")
