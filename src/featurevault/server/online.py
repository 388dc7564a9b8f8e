"""``POST /get-online-features``: the hot path.

Bytes -> pydantic (``model_validate_json``, no intermediate dicts) -> one
``store.get_online_features`` call in the thread pool -> Feast-shape columns
built per column with Arrow -> orjson bytes.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from featurevault.server.auth import Principal, Resource, authorize, current_principal
from featurevault.server.feast_shape import feast_body
from featurevault.server.metrics import ServerMetrics
from featurevault.server.schemas import (
    ERROR_RESPONSES,
    GetOnlineFeaturesRequest,
    OnlineFeaturesResponse,
    request_body_schema,
)
from featurevault.server.validation import parse_body

router = APIRouter(tags=["online"])


@router.post(
    "/get-online-features",
    response_model=OnlineFeaturesResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=request_body_schema(GetOnlineFeaturesRequest),
    summary="Latest feature values for entity rows (Feast's feature-server shape)",
)
async def get_online_features(request: Request, principal: Principal = Depends(current_principal)) -> Response:
    body = parse_body(GetOnlineFeaturesRequest, await request.body())
    state = request.state
    state.entity_count = body.entity_count
    if body.feature_service:
        state.feature_service = body.feature_service
        authorize(request, principal, "read_online", [("feature_service", body.feature_service)])
    else:
        authorize(request, principal, "read_online", _views_of(body.features))
    app_state = request.app.state
    app_state.metrics.entities.observe(body.entity_count)
    # One hop to the thread pool for the whole blocking part: lookup, read, shaping, encoding.
    payload = await run_in_threadpool(_read_and_encode, app_state.store, app_state.metrics, body)
    return Response(payload, media_type="application/json")


def _read_and_encode(store: Any, metrics: ServerMetrics, body: GetOnlineFeaturesRequest) -> bytes:
    features: Any = store.get_feature_service(body.feature_service) if body.feature_service else body.features
    start = time.perf_counter()
    result = store.get_online_features(features, body.entities, body.full_feature_names)
    metrics.online_read_latency.labels(body.feature_service or "").observe(time.perf_counter() - start)
    return orjson.dumps(feast_body(result))


def _views_of(refs: list[str]) -> list[Resource]:
    views = dict.fromkeys(ref.split(":", 1)[0] for ref in refs)
    return [("feature_view", name) for name in views]
