"""The audit trail: one record per read, write, definition change, token change and denial.

Records are queued by the caller and written by one background thread, in
batches of up to ``buffer_size`` or every ``flush_interval_ms``, so the request
path pays for a dict and a queue put, not for I/O.

What a crash can lose: records still queued or in the batch being written, at
most ``buffer_size`` records and, in steady state, about ``flush_interval_ms``
worth of traffic. A clean ``close()`` (FeatureStore.close, server shutdown,
interpreter exit) flushes everything. Written lines reach the OS page cache
(not fsync'd): a machine crash may also lose what the OS had not written.
"""

from __future__ import annotations

import atexit
import collections
import itertools
import logging
import os
import threading
import time
import uuid
import weakref
from datetime import UTC, datetime
from collections.abc import Callable
from typing import Any

from featurevault.errors import AuditError
from featurevault._governance.audit_anchor import AUDIT_NAMESPACE, TrailAnchor
from featurevault._governance.audit_chain import clip
from featurevault._governance.audit_sinks import AuditSink, NullSink

logger = logging.getLogger(__name__)

__all__ = ["AUDIT_NAMESPACE", "AuditLog", "make_record", "new_request_id"]

_STOP = object()
#: seconds between two registry writes of the trail's head (see AuditLog._record_head)
_ANCHOR_INTERVAL = 1.0
_PUT_TIMEOUT = 5.0


_ID_PREFIX = uuid.uuid4().hex[:12]
_ID_COUNTER = itertools.count(1)
#: the random prefix and this process's id, as request ids start (renewed in a forked child)
_ID_HEAD = f"{_ID_PREFIX}{os.getpid():x}-"


def _renew_id_head() -> None:
    global _ID_HEAD
    _ID_HEAD = f"{_ID_PREFIX}{os.getpid():x}-"


os.register_at_fork(after_in_child=_renew_id_head)


def new_request_id() -> str:
    """Unique per process start and call: a random prefix, the process id and a counter (cheaper than uuid4)."""
    return f"{_ID_HEAD}{next(_ID_COUNTER):x}"


def make_record(
    *,
    principal: str,
    roles: tuple[str, ...] | list[str],
    action: str,
    resource: list[str] | str,
    outcome: str,
    request_id: str | None = None,
    features: list[str] | None = None,
    entity_count: int | None = None,
    entity_sample: list[Any] | None = None,
    latency_ms: float | None = None,
    error: str | None = None,
    details: dict[str, Any] | None = None,
    at: float | None = None,
) -> dict[str, Any]:
    """One audit record (before the sink numbers and chains it). Caller data is clipped.

    ``at`` is the event time (seconds since the epoch) when the record is built later than the event.
    """
    when = datetime.now(UTC) if at is None else datetime.fromtimestamp(at, UTC)
    record: dict[str, Any] = {
        "time": when.isoformat(timespec="microseconds"),
        "request_id": request_id or new_request_id(),
        "principal": clip(principal),
        "roles": clip(tuple(roles)),
        "action": action,
        "resource": clip((resource,) if isinstance(resource, str) else tuple(resource)),
        "features": clip(tuple(features or ())),
        "entity_count": entity_count,
        "entity_sample": clip(list(entity_sample or [])[:5]),
        "outcome": outcome,
        "latency_ms": None if latency_ms is None else round(latency_ms, 3),
    }
    if error:
        record["error"] = clip(error)
    if details:
        record["details"] = clip(details)
    return record


class _FlushMarker:
    """Put in the buffer by flush(); set once everything before it was handled."""

    def __init__(self) -> None:
        self.done = threading.Event()


class AuditLog:
    """A bounded buffer in front of a sink, drained by a daemon thread.

    The caller appends to a deque (no lock, no wake-up of the writer: waking a
    thread per record costs more than the record). The writer wakes every
    ``flush_interval_ms``, or early when the buffer is half full, and writes
    what it finds in one batch. A full buffer makes callers wait (backpressure)
    up to 5 s, then the record is dropped and counted.
    """

    def __init__(
        self,
        sink: AuditSink,
        *,
        buffer_size: int = 1000,
        flush_interval_ms: int = 200,
        fail_closed: bool = False,
        anchor: TrailAnchor | None = None,
    ) -> None:
        self.sink = sink
        #: keeps the genesis, checkpoints and newest record in the registry, outside the trail,
        #: so that records cut from its start or end, or rewritten, are detected (see audit_verify)
        self.anchor = anchor
        self._head: tuple[int, str] | None = None
        self._anchored: tuple[int, str] | None = None
        self._anchored_at = float("-inf")
        self.enabled = not isinstance(sink, NullSink)
        self.buffer_size = buffer_size
        self.flush_interval = flush_interval_ms / 1000.0
        self.fail_closed = fail_closed
        self._buffer: collections.deque[Any] = collections.deque()
        self._wake = threading.Event()
        self._space = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._last_error: str | None = None
        self._last_probe = 0.0
        self.written = 0
        self.dropped = 0
        self._closed = False

    # -- the caller's side ------------------------------------------------------------------------

    def record(self, record: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        """Buffer a record for the writer thread.

        A callable is built into the record on the writer thread: the request path
        then pays for a closure, and clipping and formatting happen off it.
        """
        if not self.enabled or self._closed:
            return
        if self._thread is None:
            self._ensure_thread()
        buffer = self._buffer
        if len(buffer) >= self.buffer_size and not self._wait_for_space():
            self.dropped += 1
            logger.error("audit buffer full for %.0fs: dropped a record", _PUT_TIMEOUT)
            return
        buffer.append(record)
        if len(buffer) * 2 >= self.buffer_size:
            self._wake.set()

    def _wait_for_space(self) -> bool:
        deadline = time.monotonic() + _PUT_TIMEOUT
        while len(self._buffer) >= self.buffer_size:
            self._space.clear()
            self._wake.set()
            if not self._space.wait(max(deadline - time.monotonic(), 0.0)) and time.monotonic() >= deadline:
                return False
        return True

    @property
    def healthy(self) -> bool:
        return self._last_error is None

    def ensure_available(self) -> None:
        """With ``fail_closed``, raise AuditError while the sink is down (re-probed at most once a second)."""
        if not self.fail_closed or not self.enabled:
            return
        if self._last_error is not None or self._last_probe == 0.0:
            now = time.monotonic()
            if now - self._last_probe >= 1.0 or self._last_probe == 0.0:
                self._last_probe = now
                try:
                    self.sink.ping()
                    self._last_error = None
                except AuditError as exc:
                    self._last_error = str(exc)
        if self._last_error is not None:
            raise AuditError(f"audit sink is down, refusing the request (fail_closed): {self._last_error}")

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every record buffered so far was written; raise AuditError if the sink failed."""
        if not self.enabled or self._thread is None:
            return
        marker = _FlushMarker()
        self._buffer.append(marker)
        self._wake.set()
        if not marker.done.wait(timeout):
            raise AuditError(f"audit flush timed out after {timeout:.0f}s")
        if self._last_error is not None:
            raise AuditError(f"audit sink failed: {self._last_error}")

    def close(self, timeout: float = 10.0) -> None:
        """Flush and stop the writer thread."""
        if self._closed:
            return
        self._closed = True
        thread = self._thread
        if thread is not None:
            self._buffer.append(_STOP)
            self._wake.set()
            thread.join(timeout)
        self.sink.close()

    # -- the writer thread ------------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="featurevault-audit", daemon=True)
                thread.start()
                self._thread = thread
                _live_logs.add(self)

    def _run(self) -> None:
        pending: list[dict[str, Any]] = []
        while True:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            stop = self._drain(pending)
            if stop:
                if pending:
                    self._write(pending, final=True)
                self._record_head(force=True)
                return

    def _drain(self, pending: list[dict[str, Any]]) -> bool:
        """Write everything buffered, in batches of ``buffer_size``; True when told to stop."""
        buffer = self._buffer
        while buffer:
            item = buffer.popleft()
            if item is _STOP:
                return True
            if isinstance(item, _FlushMarker):
                if pending:
                    pending[:] = self._write(pending, final=False)
                self._record_head(force=True)
                item.done.set()
                continue
            pending.append(item() if callable(item) else item)
            if len(pending) >= self.buffer_size:
                pending[:] = self._write(pending, final=False)
        self._space.set()
        if pending:
            pending[:] = self._write(pending, final=False)
        self._record_head()
        return False

    def _write(self, batch: list[dict[str, Any]], final: bool) -> list[dict[str, Any]]:
        """Write a batch; on failure keep it (bounded) for the next round, or drop it when final."""
        try:
            sealed = self.sink.append(list(batch))
        except Exception as exc:  # a sink failure must never kill the writer thread
            self._last_error = str(exc)
            keep = [] if final else batch[-self.buffer_size :]
            lost = len(batch) - len(keep)
            if lost:
                self.dropped += lost
                logger.error("audit: dropped %d records the sink %s could not take", lost, self.sink.describe())
            logger.error("audit sink %s failed (%s); %d records kept for retry", self.sink.describe(), exc, len(keep))
            return keep
        self._last_error = None
        self.written += len(batch)
        if sealed:
            self._head = (sealed[-1]["seq"], sealed[-1]["hash"])
            self._anchor_sealed(sealed)
        return []

    def _anchor_sealed(self, sealed: list[dict[str, Any]]) -> None:
        if self.anchor is None:
            return
        try:
            self.anchor.sealed(sealed)
        except Exception as exc:  # the trail itself is written; the anchors are a second line of defence
            logger.error("audit: could not record the trail's checkpoints (%s)", exc)

    def _record_head(self, force: bool = False) -> None:
        """Tell the anchor the newest written record: at most once a second, and on flush and close.

        The anchor is a registry write; doing it on every round under load would cost the
        request threads more than the trail itself.
        """
        head = self._head
        if self.anchor is None or head is None or head == self._anchored:
            return
        now = time.monotonic()
        if not force and now - self._anchored_at < _ANCHOR_INTERVAL:
            return
        try:
            self.anchor.head(*head)
            self._anchored, self._anchored_at = head, now
        except Exception as exc:  # the trail itself is written; the anchor is a second line of defence
            logger.error("audit: could not record the trail's head (%s)", exc)


_live_logs: weakref.WeakSet[AuditLog] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    for log in list(_live_logs):
        try:
            log.close(timeout=5.0)
        except Exception:  # interpreter shutdown: best effort
            logger.exception("audit: flush at exit failed")
