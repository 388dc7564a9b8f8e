"""Aggregates the dashboard reuses for a few seconds instead of recomputing them on every request.

Scanning the metrics table for the newest value of every view, counting every view's quarantined
rows, linting a large registry or evaluating the readiness checklist costs far more than rendering
a page; auto-refreshing pages and several viewers would otherwise repeat it. Each entry is keyed
by what it depends on (the store, and the registry version where definitions matter) and kept for
``ttl`` seconds. Authorization is never cached: callers check and audit every request first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: seconds an aggregate of the metrics table or the quarantine is reused
METRICS_TTL_SECONDS = 15.0
_MAX_ENTRIES = 64

_entries: dict[Hashable, tuple[float, Any]] = {}
_running: set[Hashable] = set()
_lock = threading.Lock()


def reused(key: Hashable, ttl: float | None, compute: Callable[[], T]) -> T:
    """``compute()``'s value, reused for ``ttl`` seconds (``ttl`` None: for as long as ``key`` is asked for)."""
    hit = _fresh(key, ttl)
    if hit is not None:
        kept: T = hit[1]  # computed by the same ``compute`` for this key
        return kept
    value = compute()
    _store(key, value)
    return value


def reused_or_started(key: Hashable, ttl: float, compute: Callable[[], Any]) -> Any | None:
    """The value when one is kept (even past ``ttl``, while a new one is computed); else None, computing it aside."""
    with _lock:
        hit = _entries.get(key)
        stale = hit is None or time.monotonic() - hit[0] >= ttl
        if stale and key not in _running:
            _running.add(key)
            threading.Thread(target=_compute_aside, args=(key, compute), daemon=True, name="ui-cache").start()
    return None if hit is None else hit[1]


def _compute_aside(key: Hashable, compute: Callable[[], Any]) -> None:
    try:
        _store(key, compute())
    except Exception:  # a background refresh must not kill the server; the page keeps what it had
        logger.exception("dashboard: computing %r failed", key)
    finally:
        with _lock:
            _running.discard(key)


def _fresh(key: Hashable, ttl: float | None) -> tuple[float, Any] | None:
    with _lock:
        hit = _entries.get(key)
    if hit is None or (ttl is not None and time.monotonic() - hit[0] >= ttl):
        return None
    return hit


def _store(key: Hashable, value: Any) -> None:
    with _lock:
        if len(_entries) >= _MAX_ENTRIES:
            _entries.pop(min(_entries, key=lambda k: _entries[k][0]))
        _entries[key] = (time.monotonic(), value)


def clear() -> None:
    """Forget every entry (tests, and a server that wants the next page to recompute)."""
    with _lock:
        _entries.clear()
