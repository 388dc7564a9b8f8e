"""Idle, slow-header and slow-body connections are closed; raw sockets against ``featurevault serve``."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.integration.server.harness import RunningServer, serve

pytestmark = pytest.mark.integration

KEEP_ALIVE, HEADER, BODY = 1, 1.5, 1.5
SLACK = 3.0  # scheduling on a loaded 2-core machine; without the limits these connections stay open for minutes


@pytest.fixture(scope="module")
def guarded(repo: Path) -> Iterator[RunningServer]:
    limits = [
        "--keep-alive-timeout",
        str(KEEP_ALIVE),
        "--header-timeout",
        str(HEADER),
        "--body-timeout",
        str(BODY),
        "--max-header-bytes",
        "8192",
    ]
    with serve(repo, *limits) as running:
        yield running


def connect(server: RunningServer) -> socket.socket:
    url = urlsplit(server.url)
    sock = socket.create_connection((url.hostname, url.port), timeout=5)
    sock.settimeout(0.2)
    return sock


def read_until_closed(sock: socket.socket, limit: float, trickle: bytes = b"") -> tuple[bytes, float]:
    """Everything the server sends until it closes (sending ``trickle`` one byte per 0.2 s meanwhile)."""
    start = time.monotonic()
    received = b""
    sent = 0
    while time.monotonic() - start < limit:
        try:
            if sent < len(trickle):
                sock.sendall(trickle[sent : sent + 1])
                sent += 1
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return received, time.monotonic() - start
        if not chunk:
            return received, time.monotonic() - start
        received += chunk
    raise AssertionError(f"connection still open after {limit}s (received {received[:200]!r})")


def test_a_connection_that_sends_nothing_is_closed(guarded: RunningServer) -> None:
    with connect(guarded) as sock:
        received, elapsed = read_until_closed(sock, KEEP_ALIVE + SLACK)
    assert received == b"" and elapsed >= KEEP_ALIVE * 0.8


def test_a_slow_loris_head_gets_408_and_is_closed(guarded: RunningServer) -> None:
    with connect(guarded) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        trickle = b"X-Slow: " + b"a" * 200  # one byte every 0.2 s: never a complete head
        received, elapsed = read_until_closed(sock, HEADER + SLACK, trickle)
    assert received.startswith(b"HTTP/1.1 408"), received
    assert elapsed >= HEADER * 0.8


def test_an_idle_keep_alive_connection_is_closed_after_its_answer(guarded: RunningServer) -> None:
    with connect(guarded) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        received, elapsed = read_until_closed(sock, KEEP_ALIVE + SLACK)
    assert received.startswith(b"HTTP/1.1 200") and b'{"status":"ok"}' in received


def test_a_slow_body_is_cut_off(guarded: RunningServer) -> None:
    head = b"POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    with connect(guarded) as sock:
        sock.sendall(head + b'{"features": [')
        received, elapsed = read_until_closed(sock, BODY + SLACK, b'"a", ' * 40)
    assert b"200 OK" not in received and elapsed >= BODY * 0.8


def test_an_oversized_head_gets_431(guarded: RunningServer) -> None:
    with connect(guarded) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 10_000 + b"\r\n\r\n")
        received, _ = read_until_closed(sock, SLACK)
    assert received.startswith(b"HTTP/1.1 431"), received


def test_prompt_clients_are_served_on_kept_alive_connections(guarded: RunningServer) -> None:
    with httpx.Client(timeout=5) as client:
        for _ in range(3):
            assert client.get(guarded.url + "/health").status_code == 200
        body = {"features": ["driver_hourly_stats:conv_rate"], "entities": {"driver_id": [1001]}}
        assert client.post(guarded.url + "/get-online-features", json=body).status_code == 200


def test_a_large_body_after_a_small_head_is_not_mistaken_for_a_large_head(guarded: RunningServer) -> None:
    body = b'{"features": ["driver_hourly_stats:conv_rate"], "entities": {"driver_id": [' + b"1001, " * 5000 + b"1]}}"
    head = f"POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    with connect(guarded) as sock:
        sock.sendall(head.encode() + body)  # one write: head and body arrive together
        received, _ = read_until_closed(sock, KEEP_ALIVE + SLACK)
    assert received.startswith(b"HTTP/1.1 200"), received[:200]
