"""``POST /push`` and ``POST /write-to-online-store``.

JSON has no timestamp type, so the columns the registry declares as event or
created timestamps are parsed here (ISO 8601 strings or epoch seconds) before
the rows reach the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from featurevault.errors import SchemaMismatchError
from featurevault._model import DataSource, PushSource
from featurevault._server.auth import Principal, authorize, current_principal, registered
from featurevault._server.schemas import (
    ERROR_RESPONSES,
    PushRequest,
    WriteResponse,
    WriteToOnlineStoreRequest,
    request_body_schema,
)
from featurevault._server.validation import parse_body

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

router = APIRouter(tags=["writes"])

PUSH_ACTIONS = {
    "online": ["write_online"],
    "offline": ["write_offline"],
    "online_and_offline": ["write_online", "write_offline"],
}


@router.post(
    "/push",
    response_model=WriteResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=request_body_schema(PushRequest),
    summary="Write rows to every feature view fed by a push source",
)
async def push(request: Request, principal: Principal = Depends(current_principal)) -> Response:
    body = parse_body(PushRequest, await request.body())
    for action in PUSH_ACTIONS[body.to]:
        authorize(request, principal, action, [("push_source", body.push_source_name)])
    store = request.app.state.store
    rows = await run_in_threadpool(_push, store, body)
    metrics = request.app.state.metrics
    metrics.pushes.labels(body.push_source_name, body.to).inc()
    metrics.push_rows.labels(body.push_source_name, body.to).inc(rows)
    return _written(rows)


@router.post(
    "/write-to-online-store",
    response_model=WriteResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=request_body_schema(WriteToOnlineStoreRequest),
    summary="Write rows straight to one feature view's online table",
)
async def write_to_online_store(request: Request, principal: Principal = Depends(current_principal)) -> Response:
    body = parse_body(WriteToOnlineStoreRequest, await request.body())
    authorize(request, principal, "write_online", [("feature_view", body.feature_view_name)])
    store = request.app.state.store
    rows = await run_in_threadpool(_write, store, body)
    request.app.state.metrics.write_rows.labels(body.feature_view_name).inc(rows)
    return _written(rows)


def _push(store: FeatureStore, body: PushRequest) -> int:
    source = registered(store, "data_source", body.push_source_name)
    batch = source.batch_source if isinstance(source, PushSource) else source
    frame = columns_to_frame(body.df, _timestamp_columns(batch))
    written = store.push(body.push_source_name, frame, to=body.to)
    return len(frame) if written is None else int(written)


def _write(store: FeatureStore, body: WriteToOnlineStoreRequest) -> int:
    view = registered(store, "feature_view", body.feature_view_name)
    frame = columns_to_frame(body.df, _timestamp_columns(view.batch_source))
    written = store.write_to_online_store(body.feature_view_name, frame)
    return len(frame) if written is None else int(written)


def _timestamp_columns(source: DataSource) -> list[str]:
    return [c for c in (source.timestamp_field, source.created_timestamp_column) if c]


def columns_to_frame(columns: dict[str, list[Any]], timestamp_columns: list[str]) -> pd.DataFrame:
    """A DataFrame of the posted columns, with timestamp columns parsed to UTC datetimes."""
    frame = pd.DataFrame(columns)
    for name in timestamp_columns:
        if name in frame.columns:
            frame[name] = _parse_timestamps(name, frame[name])
    return frame


def _parse_timestamps(name: str, values: pd.Series) -> pd.Series:
    """Epoch seconds where a value is a number, ISO 8601 where it is text; a column may mix both."""
    if pd.api.types.is_bool_dtype(values):
        raise SchemaMismatchError(f"column {name!r}: expected ISO 8601 timestamps or epoch seconds, got booleans")
    try:
        numbers = pd.to_numeric(values, errors="coerce")
        parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
        is_number = numbers.notna()
        if is_number.any():
            parsed[is_number] = pd.to_datetime(numbers[is_number], unit="s", utc=True)
        is_text = ~is_number & values.notna()
        if is_text.any():
            parsed[is_text] = pd.to_datetime(values[is_text].astype(str), utc=True, format="ISO8601")
    except (ValueError, TypeError, OverflowError) as exc:
        raise SchemaMismatchError(f"column {name!r}: expected ISO 8601 timestamps or epoch seconds ({exc})") from None
    return parsed


def _written(rows: int) -> Response:
    return Response(WriteResponse(rows=rows).model_dump_json(), media_type="application/json")
