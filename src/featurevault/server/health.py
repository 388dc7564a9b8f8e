"""``GET /health`` (the process answers) and ``GET /ready`` (registry loaded, online store reachable)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from featurevault.server.errors import error_response
from featurevault.server.schemas import ERROR_RESPONSES, HealthResponse, ReadyResponse

router = APIRouter(tags=["health"])

_OK = orjson.dumps({"status": "ok"})


@router.get("/health", response_model=HealthResponse)
async def health() -> Response:
    return Response(_OK, media_type="application/json")


@router.get("/ready", response_model=ReadyResponse, responses={503: ERROR_RESPONSES[503]})
async def ready(request: Request) -> Response:
    checks = await run_in_threadpool(readiness_checks, request.app.state.store)
    if all(v == "ok" for v in checks.values()):
        return Response(orjson.dumps({"status": "ready", "checks": checks}), media_type="application/json")
    failed = ", ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok")
    return error_response(503, "NotReady", f"not ready ({failed})", checks)


def readiness_checks(store: Any) -> dict[str, str]:
    """Each check's outcome: "ok", or the error that made it fail."""
    return {
        "registry": _check(lambda: store.registry.contents()),
        "online_store": _check(lambda: store.online_store.ping()),
    }


def _check(probe: Any) -> str:
    try:
        probe()
    except Exception as exc:  # any failure means not ready; the reason goes in the answer
        return f"{type(exc).__name__}: {exc}"
    return "ok"
