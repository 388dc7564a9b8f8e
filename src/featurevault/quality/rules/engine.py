"""One in-memory DuckDB database for the quality package, a cursor per call.

Opening a DuckDB connection costs a hundred milliseconds or more; a cursor on a shared one
costs microseconds, and cursors may be used from several threads at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
_shared: list[Any] = []


@contextmanager
def cursor() -> Iterator[Any]:
    import duckdb

    with _lock:
        if not _shared:
            _shared.append(duckdb.connect())
        cur = _shared[0].cursor()
    try:
        cur.execute("SET TimeZone = 'UTC'")
        cur.execute("SET disabled_optimizers = 'statistics_propagation'")  # keep isnan() honest
        yield cur
    finally:
        cur.close()
