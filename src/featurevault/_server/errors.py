"""HTTP status mapping for the library's exception tree, and the JSON error shape.

Every error answer is ``{"error": {"type": ..., "message": ..., "detail": ...}}``.
The message is the exception's own text (which names the object or key that was
wrong); a stack trace never reaches a response. Bad input is never a 500.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from featurevault import errors

logger = logging.getLogger(__name__)

# Checked in order: the first class the exception is an instance of wins, so subclasses come first.
STATUS_BY_ERROR: list[tuple[type[Exception], int]] = [
    (errors.NotFoundError, 404),
    (errors.BackupNotFoundError, 404),
    (errors.BackupIntegrityError, 422),
    (errors.RecoveryError, 409),
    (errors.PermissionDeniedError, 403),
    (errors.AuthenticationError, 401),
    (errors.AuditError, 503),
    (errors.SealedValueIntegrityError, 500),
    (errors.EncryptionKeyError, 503),
    (errors.RequestError, 422),
    (errors.DefinitionError, 422),
    (errors.RegistryConflictError, 409),
    (errors.BackendUnavailableError, 503),
    (errors.BackendError, 503),
    (errors.RegistryError, 503),
    (errors.DataSourceError, 503),
]


#: sent with every 401, so clients know to present a bearer token
UNAUTHORIZED_HEADERS = [(b"www-authenticate", b'Bearer realm="featurevault"')]
#: seconds a client should wait before retrying a 503 (a backend or the registry is unavailable)
RETRY_AFTER_SECONDS = 1
UNAVAILABLE_HEADERS = [(b"retry-after", str(RETRY_AFTER_SECONDS).encode())]


class BodyTooLargeError(errors.RequestError):
    """A request body exceeds the server's ``max_body_bytes``."""


def status_for(exc: Exception) -> int:
    """The HTTP status an exception maps to (500 only for what is not the caller's fault)."""
    if isinstance(exc, (BodyTooLargeError, errors.TooManyEntityRowsError)):
        return 413
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(exc, error_type):
            return status
    return 500


def error_response(status: int, error_type: str, message: str, detail: Any = None) -> Response:
    body = {"error": {"type": error_type, "message": message, "detail": detail}}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def error_body(status: int, error_type: str, message: str, detail: Any = None) -> bytes:
    return orjson.dumps({"error": {"type": error_type, "message": message, "detail": detail}})


def error_for(exc: Exception, method: str, path: str) -> tuple[int, bytes]:
    """The status and JSON body answering ``exc``: the one mapping every route and the fast path use."""
    if isinstance(exc, RequestValidationError):
        detail = [_plain_validation_item(e) for e in exc.errors()]
        first = detail[0] if detail else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"]) or "body"
        return 422, error_body(422, "ValidationError", f"{where}: {first['msg']}", detail)
    if isinstance(exc, StarletteHTTPException):
        status = exc.status_code
        kind = {404: "NotFound", 405: "MethodNotAllowed", 413: "BodyTooLargeError"}.get(status, "HTTPError")
        return status, error_body(status, kind, str(exc.detail))
    if isinstance(exc, errors.FeatureVaultError):
        status = status_for(exc)
        if status >= 500:
            logger.warning("%s %s failed: %s", method, path, errors.describe_error(exc))
        return status, error_body(status, type(exc).__name__, str(exc))
    logger.error("%s %s: unexpected error", method, path, exc_info=exc)
    return 500, error_body(500, "InternalError", "internal server error; see the server log")


def _plain_validation_item(item: dict[str, Any]) -> dict[str, Any]:
    # pydantic puts the offending input and the exception object in ctx: keep only what is JSON-safe.
    return {"loc": [str(p) for p in item.get("loc", ())], "msg": str(item.get("msg", "")), "type": item.get("type")}


def error_headers(status: int) -> list[tuple[bytes, bytes]]:
    """Headers an error answer carries besides its content type."""
    if status == 401:
        return UNAUTHORIZED_HEADERS
    return UNAVAILABLE_HEADERS if status == 503 else []


async def _answer_error(request: Request, exc: Exception) -> Response:
    status, body = error_for(exc, request.method, request.url.path)
    response = Response(body, status_code=status, media_type="application/json")
    for name, value in error_headers(status):
        response.headers[name.decode()] = value.decode()
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception through one JSON shape."""
    for kind in (errors.FeatureVaultError, RequestValidationError, StarletteHTTPException, Exception):
        app.add_exception_handler(kind, _answer_error)
