"""``POST /get-online-features``: the hot path.

Bytes -> pydantic (``model_validate_json``, no intermediate dicts) -> one
``store.get_online_features`` call -> Feast-shape columns -> orjson bytes.

A network online store (Redis, PostgreSQL) can hang, so its reads run off the
event loop (:class:`~featurevault._server.offload.Offloader`), under the server's
online timeout: past it the request gets 503 with ``Retry-After`` while
``/health``, ``/metrics`` and other requests keep being answered. An embedded
SQLite store is read on the loop: a read takes tens of microseconds and never
waits on a network, while a thread hand-off costs more than the read.
``ServerSettings.threaded_reads`` moves those reads off the loop too (slow
on-demand views).
"""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from featurevault.errors import OnlineStoreTimeoutError, TooManyEntityRowsError
from featurevault._server.auth import Resource, authorize, current_principal, registered
from featurevault._server.feast_shape import feast_body
from featurevault._server.metrics import ServerMetrics
from featurevault._server.schemas import (
    ERROR_RESPONSES,
    GetOnlineFeaturesRequest,
    OnlineFeaturesResponse,
    request_body_schema,
)
from featurevault._server.validation import parse_body

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

router = APIRouter(tags=["online"])


@router.post(
    "/get-online-features",
    response_model=OnlineFeaturesResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=request_body_schema(GetOnlineFeaturesRequest),
    summary="Latest feature values for entity rows (Feast's feature-server shape)",
)
async def get_online_features(request: Request) -> Response:
    return Response(await answer_online(request, await request.body()), media_type="application/json")


async def answer_online(request: Request, raw: bytes) -> bytes:
    """The JSON answer to one online read; raises the library's errors (mapped by server/errors.py).

    Shared by the route above and the middleware's fast path, which calls it without
    FastAPI's routing and dependency solving.
    """
    principal = await current_principal(request)
    body = parse_body(GetOnlineFeaturesRequest, raw)
    state = request.state
    state.entity_count = body.entity_count
    app_state = request.app.state
    features: Any = body.features
    if body.feature_service:
        authorize(request, principal, "read_online", [("feature_service", body.feature_service)])
        # The read below is what is authorized and audited; the lookup is part of it, not a DESCRIBE.
        features = registered(app_state.store, "feature_service", body.feature_service)
        # Only a registered name becomes a metric label: request text must not grow the label set.
        state.feature_service = body.feature_service
    else:
        authorize(request, principal, "read_online", _views_of(body.features))
    app_state.metrics.entities.observe(body.entity_count)
    if body.entity_count > app_state.max_entity_rows:
        raise TooManyEntityRowsError(body.entity_count, app_state.max_entity_rows, "limits.server_max_entity_rows")
    offload = app_state.offload
    if offload is not None:
        # One hop for the whole blocking part: read, shaping, encoding.
        timeout = app_state.settings.online_timeout_seconds
        encoded: bytes = await offload.run(
            timeout,
            lambda: online_timeout(timeout),
            _read_and_encode,
            app_state.store,
            app_state.metrics,
            features,
            body,
        )
        return encoded
    return _read_and_encode(app_state.store, app_state.metrics, features, body)


def online_timeout(seconds: float) -> OnlineStoreTimeoutError:
    return OnlineStoreTimeoutError(
        f"the online store did not answer within {seconds:g}s (featurevault serve --online-timeout); retry later"
    )


def _read_and_encode(
    store: FeatureStore, metrics: ServerMetrics, features: Any, body: GetOnlineFeaturesRequest
) -> bytes:
    start = time.perf_counter()
    result = store.get_online_features(features, body.entities, body.full_feature_names)
    metrics.online_read_latency.labels(body.feature_service or "").observe(time.perf_counter() - start)
    return orjson.dumps(feast_body(result))


def _views_of(refs: list[str]) -> tuple[Resource, ...]:
    return _views_of_refs(tuple(refs))


@functools.lru_cache(maxsize=256)
def _views_of_refs(refs: tuple[str, ...]) -> tuple[Resource, ...]:
    """The views a request's feature refs name, in order (a request's refs recur: worked out once)."""
    views = dict.fromkeys(ref.split(":", 1)[0] for ref in refs)
    return tuple(("feature_view", name) for name in views)
