"""``GET /recovery/backups`` and ``GET /recovery/status``: where an operator looks for backups and the last drill.

Each request is one guarded store call (permission check and one audit record).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from featurevault._governance.context import request_principal
from featurevault._server.auth import Principal, current_principal
from featurevault._server.schemas import ERROR_RESPONSES

router = APIRouter(tags=["recovery"])


def _json(payload: Any) -> Response:
    return Response(orjson.dumps(payload, default=str), media_type="application/json")


@router.get("/recovery/backups", responses=ERROR_RESPONSES, summary="Complete backups, newest first")
async def list_backups(request: Request, principal: Principal = Depends(current_principal)) -> Response:
    request_principal.set(principal)
    store = request.app.state.store
    manifests = await run_in_threadpool(store.list_backups)
    return _json({"backups": [m.summary() for m in manifests]})


@router.get("/recovery/status", responses=ERROR_RESPONSES, summary="Last backup, restore, DR drill, capacity plan")
async def recovery_status(request: Request, principal: Principal = Depends(current_principal)) -> Response:
    request_principal.set(principal)
    store = request.app.state.store
    return _json(await run_in_threadpool(lambda: store.recovery().status()))
