"""One pure ASGI middleware around every request: body-size limit, metrics, access log.

Written as raw ASGI (not ``BaseHTTPMiddleware``) so it adds no task or stream
per request on the hot path.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from featurevault.server.access_log import AccessLog
from featurevault.server.errors import error_body
from featurevault.server.metrics import ServerMetrics


class ServingMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: ServerMetrics, access_log: AccessLog, max_body_bytes: int) -> None:
        self.app = app
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
        else:
            status_box = [500]
            try:
                await self.app(scope, self._limited(receive), self._capture(send, status_box))
            finally:
                status = status_box[0]
        self._observe(scope, status, time.perf_counter() - start)

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


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
