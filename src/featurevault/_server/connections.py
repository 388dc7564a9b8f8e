"""Connection limits for slow or idle clients: uvicorn's HTTP protocol with deadlines.

uvicorn closes a keep-alive connection that stays idle after a response
(``timeout_keep_alive``), but nothing else: a connection that never sends a
byte, or sends its request head one byte at a time (slow loris), or its body
that way, is held for as long as the client likes, and each one holds a
socket and memory. :class:`GuardedHttpToolsProtocol` adds:

* an idle deadline from the moment a connection opens (the keep-alive timeout,
  as between requests);
* a deadline for the whole request head (``header_timeout``), counted from
  the connection's start or the end of the previous response; trickling bytes
  does not extend it. Past it the client gets 408 and the connection closes;
* a cap on the head's size (``max_header_bytes``): 431, then close;
* a deadline for the body (``body_timeout``), from the end of the head; past it
  the connection closes and the request sees a disconnect.

``featurevault serve`` passes the class to uvicorn as its ``http`` protocol; the
limits come from ``FEATUREVAULT_SERVE_*`` variables, so worker processes see them.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

ENV_PREFIX = "FEATUREVAULT_SERVE_"
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 30.0
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
DEFAULT_KEEP_ALIVE_TIMEOUT = 5


@dataclass(frozen=True)
class ConnectionLimits:
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES

    def to_env(self) -> dict[str, str]:
        return {
            f"{ENV_PREFIX}HEADER_TIMEOUT": repr(self.header_timeout),
            f"{ENV_PREFIX}BODY_TIMEOUT": repr(self.body_timeout),
            f"{ENV_PREFIX}MAX_HEADER_BYTES": str(self.max_header_bytes),
        }


@lru_cache(maxsize=1)
def limits_from_env() -> ConnectionLimits:
    env = os.environ
    return ConnectionLimits(
        header_timeout=float(env.get(f"{ENV_PREFIX}HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT)),
        body_timeout=float(env.get(f"{ENV_PREFIX}BODY_TIMEOUT", DEFAULT_BODY_TIMEOUT)),
        max_header_bytes=int(env.get(f"{ENV_PREFIX}MAX_HEADER_BYTES", DEFAULT_MAX_HEADER_BYTES)),
    )


_408 = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_431 = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with idle, head and body deadlines and a head-size cap."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits_from_env()
        self._head_deadline: asyncio.TimerHandle | None = None
        self._body_deadline: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._awaiting_head = False
        self._tail = b""  # the last bytes of the head so far, to find an end split across reads

    # -- the head -----------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # idle before the first byte: closed like an idle keep-alive connection
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)
        self._await_head()

    def _await_head(self) -> None:
        self._awaiting_head = True
        self._head_bytes = 0
        self._tail = b""
        self._cancel_head_deadline()
        self._head_deadline = self.loop.call_later(self.limits.header_timeout, self._head_too_slow)

    def data_received(self, data: bytes) -> None:
        if self._awaiting_head:
            self._head_bytes += self._head_part(data)
            if self._head_bytes > self.limits.max_header_bytes:
                self._refuse(_431)
                return
        super().data_received(data)

    def _head_part(self, data: bytes) -> int:
        """How many bytes of ``data`` belong to the request head (the body may follow in the same read)."""
        across = (self._tail + data[:3]).find(b"\r\n\r\n")
        if across >= 0:
            return across + 4 - len(self._tail)
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            return end + 4
        self._tail = (self._tail + data)[-3:]
        return len(data)

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
        self._cancel_head_deadline()
        super().on_headers_complete()
        if not self.transport.is_closing():
            self._body_deadline = self.loop.call_later(self.limits.body_timeout, self._body_too_slow)

    def on_message_complete(self) -> None:
        self._cancel_body_deadline()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # uvicorn armed its keep-alive timer: the connection now waits for the next request's head
        if self.timeout_keep_alive_task is not None and not self.transport.is_closing():
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        self._cancel_body_deadline()
        super().connection_lost(exc)

    # -- deadlines ----------------------------------------------------------------------------------

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if self._awaiting_head and not self.transport.is_closing():
            self._refuse(_408 if self._head_bytes else b"")

    def _body_too_slow(self) -> None:
        self._body_deadline = None
        if not self.transport.is_closing():
            self.logger.info("closing a connection whose request body took over %gs", self.limits.body_timeout)
            self.transport.close()

    def _refuse(self, answer: bytes) -> None:
        self._awaiting_head = False
        self._cancel_head_deadline()
        if answer:
            self.transport.write(answer)
        self.transport.close()

    def _cancel_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _cancel_body_deadline(self) -> None:
        if self._body_deadline is not None:
            self._body_deadline.cancel()
            self._body_deadline = None
