"""Rule failure counts of this process, per view, rule and on_fail (exported by the server's /metrics).

Kept as plain counters so that writes in a process without the server pay nothing for
Prometheus; the server's collector reads :func:`failure_counts` when it is scraped.
"""

from __future__ import annotations

import threading
from collections import Counter

_lock = threading.Lock()
_failures: Counter[tuple[str, str, str]] = Counter()
_checked: Counter[str] = Counter()


def record_failures(view: str, rule: str, on_fail: str, rows: int) -> None:
    if rows:
        with _lock:
            _failures[(view, rule, on_fail)] += rows


def record_checked(view: str, rows: int) -> None:
    with _lock:
        _checked[view] += rows


def failure_counts() -> dict[tuple[str, str, str], int]:
    """``{(view, rule, on_fail): failing rows}`` since the process started."""
    with _lock:
        return dict(_failures)


def checked_counts() -> dict[str, int]:
    """``{view: rows checked}`` since the process started."""
    with _lock:
        return dict(_checked)
