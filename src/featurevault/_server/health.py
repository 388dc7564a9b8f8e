"""``GET /health`` (the process answers) and ``GET /ready`` (registry served, online store reachable).

Neither waits for the registry: its state comes from the registry cache, which a
background thread keeps current. The online store's ping runs off the event loop
under the server's online timeout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from featurevault.errors import describe_error
from featurevault._server.errors import error_response
from featurevault._server.online import online_timeout
from featurevault._server.schemas import ERROR_RESPONSES, HealthResponse, ReadyResponse

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

router = APIRouter(tags=["health"])

_OK = orjson.dumps({"status": "ok"})


@router.get("/health", response_model=HealthResponse)
async def health() -> Response:
    return Response(_OK, media_type="application/json")


@router.get("/ready", response_model=ReadyResponse, responses={503: ERROR_RESPONSES[503]})
async def ready(request: Request) -> Response:
    store = request.app.state.store
    registry = registry_status(store)
    checks = {"registry": registry_check(store, registry), "online_store": await _online_check(request)}
    if all(v == "ok" or v.startswith("stale") for v in checks.values()):
        status = "ready" if checks["registry"] == "ok" else "degraded"
        body = {"status": status, "checks": checks, "registry": registry}
        return Response(orjson.dumps(body), media_type="application/json")
    failed = ", ".join(f"{k}: {v}" for k, v in checks.items() if v != "ok")
    return error_response(503, "NotReady", f"not ready ({failed})", checks)


def registry_status(store: FeatureStore) -> dict[str, Any]:
    """The registry cache's version, age, staleness and limit (empty for stores without one)."""
    status = getattr(store.registry, "status", None)
    return status() if status is not None else {}


def registry_check(store: FeatureStore, status: dict[str, Any]) -> str:
    """ "ok"; "stale: ..." while a stale copy is still served (ready, degraded); otherwise why not."""
    try:
        store.registry.contents()  # not list_feature_views: a probe is no audited DESCRIBE
    except Exception as exc:  # any failure means not ready; the reason goes in the answer
        return describe_error(exc)
    if not status.get("stale"):
        return "ok"
    limit = status.get("max_staleness_seconds")
    until = "without limit" if limit is None else f"for up to {limit:g}s"
    return (
        f"stale: registry unreachable, serving version {status.get('version')} confirmed "
        f"{status.get('age_seconds', 0):.0f}s ago {until} ({status.get('error')})"
    )


async def _online_check(request: Request) -> str:
    store = request.app.state.store
    offload = request.app.state.offload
    try:
        if offload is None:
            await run_in_threadpool(store.online_store.ping)
        else:
            timeout = request.app.state.settings.online_timeout_seconds
            await offload.run(timeout, lambda: online_timeout(timeout), store.online_store.ping)
    except Exception as exc:  # any failure means not ready; the reason goes in the answer
        return describe_error(exc)
    return "ok"
