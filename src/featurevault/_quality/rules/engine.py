"""One in-memory DuckDB database for the quality package, a cursor per call.

Opening a DuckDB connection costs a hundred milliseconds or more; a cursor on a shared one
costs microseconds, and cursors may be used from several threads at once. The database
reads only the Arrow tables registered on a cursor: file access is off and its settings
are locked, so an ``expression`` rule cannot read or write files.
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
            _shared.append(_connect(duckdb))
        cur = _shared[0].cursor()
    try:
        yield cur
    finally:
        cur.close()


def _connect(duckdb: Any) -> Any:
    db = duckdb.connect(":memory:", config={"autoload_known_extensions": False, "autoinstall_known_extensions": False})
    db.execute("SET TimeZone = 'UTC'")
    db.execute("SET disabled_optimizers = 'statistics_propagation'")  # keep isnan() honest
    db.execute("SET enable_external_access = false")
    db.execute("SET lock_configuration = true")
    return db
