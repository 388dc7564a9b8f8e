"""One pure ASGI middleware around every request: body-size limit, metrics, access log.

Written as raw ASGI (not ``BaseHTTPMiddleware``) so it adds no task or stream
per request. It also answers ``POST /get-online-features`` itself (the fast
path): the same handler as the FastAPI route (:func:`online.answer_online`)
and the same error mapping, without routing and dependency solving, which
cost more than the read itself. The FastAPI route stays for the OpenAPI
schema and when the fast path is off.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from featurevault._server.access_log import AccessLog
from featurevault._server.errors import error_body, error_for, error_headers
from featurevault._server.metrics import ServerMetrics
from featurevault._server.online import answer_online

ONLINE_PATH = "/get-online-features"


class _FastRoute:
    """Stands in for the matched route in the scope, so metrics label the fast path like the route."""

    path = ONLINE_PATH


FAST_ROUTE = _FastRoute()


class ServingMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: ServerMetrics,
        access_log: AccessLog,
        max_body_bytes: int,
        fast_online: bool = True,
    ) -> None:
        self.app = app
        self.fast_online = fast_online
        self.metrics = metrics
        self.access_log = access_log
        self.max_body_bytes = max_body_bytes
        self._children: dict[tuple[str, str, int, str], tuple[Any, Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            status = 413
            await self._too_large(send)
        elif self.fast_online and scope["path"] == ONLINE_PATH and scope["method"] == "POST":
            scope["route"] = FAST_ROUTE
            status = await self._online(scope, receive, send)
        else:
            status_box = [500]
            try:
                await self.app(scope, self._limited(receive), self._capture(send, status_box))
            finally:
                status = status_box[0]
        self._observe(scope, status, time.perf_counter() - start)

    async def _online(self, scope: Scope, receive: Receive, send: Send) -> int:
        request = Request(scope, receive)
        try:
            raw = await _read_body(receive, self.max_body_bytes)
            status, payload = 200, await answer_online(request, raw)
        except Exception as exc:  # every failure becomes the JSON error shape, as on the routes
            status, payload = error_for(exc, "POST", ONLINE_PATH)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        if status != 200:
            headers += error_headers(status)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
        return status

    def _limited(self, receive: Receive) -> Receive:
        # A chunked body has no Content-Length: count what arrives.
        seen = 0
        limit = self.max_body_bytes

        async def receive_limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # HTTPException passes through FastAPI's body parsing to the JSON error handler.
                    raise HTTPException(413, f"request body is larger than the server's limit of {limit} bytes")
            return message

        return receive_limited

    @staticmethod
    def _capture(send: Send, status_box: list[int]) -> Send:
        async def send_capturing(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
            await send(message)

        return send_capturing

    async def _too_large(self, send: Send) -> None:
        body = error_body(
            413, "BodyTooLargeError", f"request body is larger than the server's limit of {self.max_body_bytes} bytes"
        )
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _label(self, template: str, method: str, status: int, service: str) -> tuple[Any, Any, Any]:
        # labels() hashes and locks on every call; the children are looked up once per label set.
        m = self.metrics
        errors = m.errors.labels(template, str(status), service) if status >= 400 else None
        return m.requests.labels(template, method, str(status), service), m.latency.labels(template, service), errors

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        state: dict[str, Any] = scope.get("state") or {}
        service = state.get("feature_service") or ""
        key = (template, scope["method"], status, service)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = self._label(*key)
        children[0].inc()
        children[1].observe(seconds)
        if children[2] is not None:
            children[2].inc()
        principal = state.get("principal")
        self.access_log.record(
            {
                "method": scope["method"],
                "path": scope["path"],
                "route": template,
                "status": status,
                "duration_ms": round(seconds * 1000.0, 3),
                "client": scope["client"][0] if scope.get("client") else None,
                "feature_service": service or None,
                "entities": state.get("entity_count"),
                "principal": getattr(principal, "name", None),
            }
        )


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise HTTPException(400, "client disconnected before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"request body is larger than the server's limit of {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
