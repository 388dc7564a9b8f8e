"""A small closed-loop HTTP/1.1 load generator (asyncio, keep-alive), bounded in requests and time.

Each of ``concurrency`` connections sends the next request as soon as the
previous answer is read, until ``requests`` have been sent in all or the
time budget is spent. Loopback only: the host is fixed to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    wall_s: float = 0.0


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    body = b""
    while True:  # chunked transfer encoding
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        chunk = await reader.readexactly(size + 2)
        if size == 0:
            return status, body
        body += chunk[:-2]


async def _connection(port: int, request: bytes, budget: list[int], deadline: float, out: LoadResult) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            start = time.perf_counter()
            try:
                writer.write(request)
                status, _ = await _read_response(reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                # a dropped connection is an error of the server's, counted; the client reconnects
                out.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
                continue
            out.latencies.append(time.perf_counter() - start)
            out.errors += status != 200
    finally:
        writer.close()


def build_request(port: int, path: str, payload: dict[str, Any]) -> bytes:
    body = json.dumps(payload).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


def run_load(
    port: int, path: str, payload: dict[str, Any], concurrency: int, requests: int, max_s: float
) -> LoadResult:
    """Send ``requests`` POSTs over ``concurrency`` keep-alive connections, stopping after ``max_s``."""
    request = build_request(port, path, payload)
    out = LoadResult()

    async def main() -> None:
        budget = [requests]
        deadline = time.perf_counter() + max_s
        await asyncio.gather(*(_connection(port, request, budget, deadline, out) for _ in range(concurrency)))

    start = time.perf_counter()
    asyncio.run(main())
    out.wall_s = time.perf_counter() - start
    return out
