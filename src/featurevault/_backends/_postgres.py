"""What the PostgreSQL backends share: connection settings, pools, deadlines, error messages.

Imported only by the PostgreSQL modules (online store, registry, offline
source), so psycopg loads only when one of them is configured.

A server that stops answering (host gone, process frozen, network cut) would
leave a blocked read waiting forever: libpq has no read timeout. A
:class:`Deadline` watches each operation and, when it overruns, shuts the
connection's socket down, which wakes the blocked call with an error; the
pool then discards that connection and the next call opens a fresh one.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from featurevault.errors import BackendError, BackendUnavailableError, missing_dependency, one_line

try:
    import psycopg
    import psycopg_pool
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise missing_dependency("psycopg", "postgres") from exc

logger = logging.getLogger(__name__)

# psycopg's pool logs each failed background connection attempt, and threads it could not stop at
# shutdown, as warnings. With no logging configured, Python would print those on stderr (its "last
# resort" handler) long after the call that failed has raised its own one-line error. A NullHandler
# keeps them off the terminal; an application that configures logging still receives them.
logging.getLogger("psycopg").addHandler(logging.NullHandler())


# -- errors -----------------------------------------------------------------------------------


def connection_error(exc: BaseException, *, where: str, settings: dict[str, str]) -> BackendError:
    """A one-line error for a failed connection, naming the setting that is wrong.

    ``settings`` maps a role ("host", "password", "database", "user",
    "sslmode") to the config key a user would edit, e.g. ``online_store.password``.
    """
    text = one_line(exc)
    role = _wrong_setting(text.lower())
    if role in settings:
        return BackendError(f"{where}: {_SUMMARIES[role]} ({settings[role]}): {text}")
    return error_unavailable(where, settings, text)


_SUMMARIES = {
    "password": "password rejected",
    "database": "database does not exist",
    "user": "user (role) does not exist",
    "sslmode": "TLS negotiation failed",
}


def _wrong_setting(text: str) -> str | None:
    if "password authentication failed" in text or "no password supplied" in text:
        return "password"
    if "database" in text and "does not exist" in text:
        return "database"
    if "role" in text and "does not exist" in text:
        return "user"
    if "ssl" in text:
        return "sslmode"
    return None


def error_unavailable(where: str, settings: dict[str, str], text: str) -> BackendUnavailableError:
    return BackendUnavailableError(f"{where}: cannot reach the server ({settings.get('host', 'host')}): {text}")


# -- deadlines --------------------------------------------------------------------------------


class _DeadlineMonitor:
    """One daemon thread that fires callbacks whose deadline has passed."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, seconds: float, callback: Callable[[], None]) -> int:
        token = next(self._ids)
        with self._lock:
            self._callbacks[token] = callback
            heapq.heappush(self._heap, (time.monotonic() + seconds, token))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="featurevault-deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0][1] == token:
                self._lock.notify()
        return token

    def remove(self, token: int) -> None:
        # the heap entry stays; it is skipped when it comes up
        self._callbacks.pop(token, None)

    def _run(self) -> None:
        while True:
            with self._lock:
                while self._heap and self._heap[0][1] not in self._callbacks:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._lock.wait()
                    continue
                due, token = self._heap[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                heapq.heappop(self._heap)
                callback = self._callbacks.pop(token, None)
            if callback is not None:
                try:
                    callback()
                except Exception:  # a dying socket may complain; the waiter reports it
                    logger.debug("deadline callback failed", exc_info=True)


_MONITOR = _DeadlineMonitor()


class Deadline:
    """Abort a connection's blocked call if it runs past ``seconds``."""

    def __init__(self, conn: Any, seconds: float) -> None:
        self.conn = conn
        self.seconds = seconds
        self.fired = False

    def _fire(self) -> None:
        self.fired = True
        shutdown_socket(self.conn)

    def __enter__(self) -> Deadline:
        self._token = _MONITOR.add(self.seconds, self._fire)
        return self

    def __exit__(self, *exc: object) -> None:
        _MONITOR.remove(self._token)


def shutdown_socket(conn: Any) -> None:
    """Shut the connection's socket down so that a blocked read returns at once."""
    try:
        fd = conn.pgconn.socket
    except Exception:  # already closed
        return
    sock = socket.socket(fileno=fd)
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        sock.detach()  # the fd belongs to libpq


# -- pools ------------------------------------------------------------------------------------


def make_pool(
    conninfo: str, kwargs: dict[str, Any], *, min_size: int, max_size: int, name: str
) -> psycopg_pool.ConnectionPool:
    """An opened pool of autocommit connections (no BEGIN/ROLLBACK round trips on reads)."""
    pool = psycopg_pool.ConnectionPool(
        conninfo,
        kwargs={**kwargs, "autocommit": True},
        min_size=min_size,
        max_size=max_size,
        open=False,
        name=name,
        reconnect_timeout=60,
    )
    pool.open(wait=False)
    return pool


@contextmanager
def pooled(
    pool: psycopg_pool.ConnectionPool,
    *,
    timeout: float,
    conninfo: str,
    kwargs: dict[str, Any],
    where: str,
    settings: dict[str, str],
) -> Iterator[Any]:
    """A connection from ``pool``; when none comes in ``timeout``, a direct one, or one line saying why.

    After an outage the pool reconnects with a growing back-off; connecting
    directly meanwhile lets calls succeed as soon as the server is back.
    """
    try:
        conn = pool.getconn(timeout=timeout)
    except psycopg_pool.PoolTimeout:
        direct = connect_direct(conninfo, kwargs, where=where, settings=settings, timeout=timeout)
        try:
            yield direct
        finally:
            direct.close()
        return
    try:
        yield conn
    finally:
        pool.putconn(conn)


def connect_direct(
    conninfo: str, kwargs: dict[str, Any], *, where: str, settings: dict[str, str], timeout: float
) -> Any:
    """One autocommit connection outside the pool; a failure becomes a one-line error naming the setting."""
    try:
        return psycopg.connect(
            conninfo, **{**kwargs, "autocommit": True, "connect_timeout": max(2, int(timeout + 0.999))}
        )
    except psycopg.Error as exc:
        raise connection_error(exc, where=where, settings=settings) from None


def is_connection_lost(exc: BaseException, conn: Any) -> bool:
    """True when ``exc`` left ``conn`` unusable (server gone, socket shut down)."""
    return isinstance(exc, psycopg.OperationalError) and bool(getattr(conn, "broken", False) or conn.closed)


__all__ = [
    "Deadline",
    "connection_error",
    "connect_direct",
    "is_connection_lost",
    "make_pool",
    "pooled",
    "psycopg",
    "psycopg_pool",
    "shutdown_socket",
]
