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
import logging
import queue
import threading
import time
import uuid
import weakref
from datetime import UTC, datetime
from typing import Any

from featurevault.errors import AuditError
from featurevault.governance.audit_chain import clip
from featurevault.governance.audit_sinks import AuditSink, NullSink

logger = logging.getLogger(__name__)

_STOP = object()
_PUT_TIMEOUT = 5.0


def new_request_id() -> str:
    return uuid.uuid4().hex


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
) -> dict[str, Any]:
    """One audit record (before the sink numbers and chains it). Caller data is clipped."""
    record: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="microseconds"),
        "request_id": request_id or new_request_id(),
        "principal": clip(principal),
        "roles": clip(list(roles)),
        "action": action,
        "resource": clip([resource] if isinstance(resource, str) else list(resource)),
        "features": clip(list(features or [])),
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


class AuditLog:
    """A bounded queue in front of a sink, drained by a daemon thread."""

    def __init__(
        self,
        sink: AuditSink,
        *,
        buffer_size: int = 1000,
        flush_interval_ms: int = 200,
        fail_closed: bool = False,
    ) -> None:
        self.sink = sink
        self.enabled = not isinstance(sink, NullSink)
        self.buffer_size = buffer_size
        self.flush_interval = flush_interval_ms / 1000.0
        self.fail_closed = fail_closed
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=buffer_size)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._done = threading.Condition()
        self._submitted = 0
        self._handled = 0
        self._last_error: str | None = None
        self._last_probe = 0.0
        self.written = 0
        self.dropped = 0
        self._closed = False

    # -- the caller's side ------------------------------------------------------------------------

    def record(self, record: dict[str, Any]) -> None:
        """Queue a record; blocks briefly when the queue is full (backpressure), then drops it."""
        if not self.enabled or self._closed:
            return
        self._ensure_thread()
        with self._done:
            self._submitted += 1
        try:
            self._queue.put(record, timeout=_PUT_TIMEOUT)
        except queue.Full:
            self._mark_handled(1, dropped=1)
            logger.error("audit queue full for %.0fs: dropped a record of %s", _PUT_TIMEOUT, record.get("action"))

    @property
    def healthy(self) -> bool:
        return self._last_error is None

    def ensure_available(self) -> None:
        """With ``fail_closed``, raise AuditError while the sink is down (re-probed at most once a second)."""
        if not self.enabled or not self.fail_closed:
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
        """Wait until every record queued so far is written (or dropped); raise AuditError if the sink failed."""
        if not self.enabled:
            return
        deadline = time.monotonic() + timeout
        with self._done:
            target = self._submitted
            while self._handled < target:
                if self._last_error is not None:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AuditError(f"audit flush timed out with {target - self._handled} records pending")
                self._done.wait(remaining)
        if self._last_error is not None:
            raise AuditError(f"audit sink failed: {self._last_error}")

    def close(self, timeout: float = 10.0) -> None:
        """Flush and stop the writer thread."""
        if self._closed:
            return
        self._closed = True
        thread = self._thread
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout)
        self.sink.close()

    # -- the writer thread ------------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="featurevault-audit", daemon=True)
                thread.start()
                self._thread = thread
                _live_logs.add(self)

    def _run(self) -> None:
        pending: list[dict[str, Any]] = []
        stop = False
        while not stop:
            stop = self._collect(pending)
            if pending:
                pending = self._write(pending, final=stop)

    def _collect(self, batch: list[dict[str, Any]]) -> bool:
        """Fill ``batch`` until it is full or the flush interval passes; True when told to stop."""
        deadline = time.monotonic() + self.flush_interval
        while len(batch) < self.buffer_size:
            try:
                item = self._queue.get(timeout=max(deadline - time.monotonic(), 0.0) if batch else self.flush_interval)
            except queue.Empty:
                return False
            if item is _STOP:
                return True
            batch.append(item)
            if time.monotonic() >= deadline:
                break
        return False

    def _write(self, batch: list[dict[str, Any]], final: bool) -> list[dict[str, Any]]:
        try:
            self.sink.append(batch)
        except Exception as exc:  # a sink failure must never kill the writer thread
            with self._done:
                self._last_error = str(exc)
                self._done.notify_all()
            logger.error("audit sink %s failed (%s); %d records kept for retry", self.sink.describe(), exc, len(batch))
            overflow = max(len(batch) - self.buffer_size, 0) if not final else len(batch)
            if overflow:
                logger.error("audit: dropped %d records the sink could not take", overflow)
                self._mark_handled(overflow, dropped=overflow)
                batch = batch[overflow:]
            if not final:
                time.sleep(min(self.flush_interval, 0.5))
            return batch if not final else []
        self._last_error = None
        self.written += len(batch)
        self._mark_handled(len(batch))
        return []

    def _mark_handled(self, count: int, dropped: int = 0) -> None:
        with self._done:
            self._handled += count
            self.dropped += dropped
            self._done.notify_all()


_live_logs: weakref.WeakSet[AuditLog] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    for log in list(_live_logs):
        try:
            log.close(timeout=5.0)
        except Exception:  # interpreter shutdown: best effort
            logger.exception("audit: flush at exit failed")
