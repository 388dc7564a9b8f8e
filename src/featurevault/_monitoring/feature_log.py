"""Feature logging: sampled vectors served for a FeatureService with a ``logging_config``, kept as Parquet.

The read path pays for one sampling decision per row and one ``deque.append``: the
response's columns (as served, after masking) go to a bounded in-memory queue. A
background thread drains it in batches (every ``flush_seconds``, or sooner when
``batch_size`` responses wait, and at :meth:`FeatureLogger.close`) and writes one
Parquet file per service and day::

    DEST/SERVICE/log_date=YYYY-MM-DD/<time>-<uuid>.parquet

with the entity keys, every feature under its full name (``view__feature``), its
status (``view__feature__status``) and event time (``view__feature__timestamp``), and
``__request_id`` (the audit record's), ``__log_timestamp``, ``__service``,
``__registry_version``. When the queue is full a response is dropped and counted,
never waited for. Sampling is per served row, with a fixed-seed generator.
"""

from __future__ import annotations

import atexit
import collections
import logging
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

logger = logging.getLogger(__name__)

#: the sampling generator's seed: the same reads log the same rows
SAMPLE_SEED = 20240601
#: responses held in memory at most; past it new ones are dropped and counted
MAX_QUEUE = 10_000
BATCH_SIZE = 1_000
FLUSH_SECONDS = 1.0

REQUEST_ID, LOG_TIMESTAMP, SERVICE, REGISTRY_VERSION = (
    "__request_id",
    "__log_timestamp",
    "__service",
    "__registry_version",
)
STATUS_SUFFIX, TIMESTAMP_SUFFIX = "__status", "__timestamp"
PARTITION = "log_date"


class _Entry(NamedTuple):
    """One sampled response: its columns as served, and which rows were sampled (None: all)."""

    service: str
    root: Path
    #: the FeatureService read: its projections name the logged columns
    definition: Any
    #: (names, values, dtypes, row states, event µs): parallel per-column lists, as OnlineResponse holds them
    columns: tuple[list[Any], ...]
    rows: list[int] | None
    request_id: str
    version: Any
    at: float


@dataclass
class ServiceCounts:
    logged: int = 0
    dropped: int = 0
    files: int = 0


@dataclass
class FeatureLogger:
    """The feature log of one store: ``record`` on the read path, a writer thread behind it."""

    resolve: Any
    max_queue: int = MAX_QUEUE
    batch_size: int = BATCH_SIZE
    flush_seconds: float = FLUSH_SECONDS
    seed: int = SAMPLE_SEED
    counts: dict[str, ServiceCounts] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._queue: collections.deque[_Entry] = collections.deque()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one drain at a time
        self._start_lock = threading.Lock()
        self._random = random.Random(self.seed).random
        self._roots: dict[str, Path] = {}

    def record(self, features: Any, response: Any, request_id: str, version: Any = None) -> None:
        """Queue the sampled rows of ``response`` when ``features`` is a FeatureService that logs."""
        config = getattr(features, "logging_config", None)
        if config is None:
            return
        rate = config.sample_rate
        n = len(response)
        if rate >= 1.0:
            rows = None
        else:
            draw = self._random
            rows = [i for i in range(n) if draw() < rate]
            if not rows:
                return
        name = features.name
        counts = self.counts.get(name) or self.counts.setdefault(name, ServiceCounts())
        if len(self._queue) >= self.max_queue:
            counts.dropped += n if rows is None else len(rows)
            return
        self._queue.append(
            _Entry(name, self._root(config), features, _snapshot(response), rows, request_id, version, time.time())
        )
        if self._thread is None:
            self._start()
        elif len(self._queue) >= self.batch_size:
            self._wake.set()

    def flush(self) -> int:
        """Write every queued response now; the number of rows written."""
        with self._lock:
            return self._drain()

    def close(self) -> None:
        """Stop the writer thread and write what is queued."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            atexit.unregister(self.close)
        self.flush()

    def _root(self, config: Any) -> Path:
        path = config.path
        root = self._roots.get(path)
        if root is None:
            root = self._roots[path] = Path(self.resolve(path))
        return root

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is not None:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="featurevault-feature-log", daemon=True)
            self._thread.start()
            atexit.register(self.close)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self.flush()

    def _drain(self) -> int:
        entries: list[_Entry] = []
        queue = self._queue
        while queue:
            entries.append(queue.popleft())
        if not entries:
            return 0
        groups: dict[tuple[str, str], list[_Entry]] = collections.defaultdict(list)
        for entry in entries:
            groups[(entry.service, _day(entry.at))].append(entry)
        written = 0
        for (service, day), group in groups.items():
            try:
                written += self._write(service, day, group)
            except Exception as exc:  # one destination failing must not lose the others' rows
                logger.error("feature log: %d rows of %s not written: %s", sum(_rows(e) for e in group), service, exc)
        return written

    def _write(self, service: str, day: str, entries: list[_Entry]) -> int:
        from featurevault._monitoring.feature_log_table import log_table, write_log_file

        counts = self.counts.setdefault(service, ServiceCounts())
        try:
            table = log_table(entries)
            write_log_file(entries[0].root / service / f"{PARTITION}={day}", table, entries[0].at)
        except Exception:
            counts.dropped += sum(_rows(e) for e in entries)
            raise
        counts.logged += table.num_rows
        counts.files += 1
        logger.debug("feature log: %d rows of %s written", table.num_rows, service)
        return int(table.num_rows)


def _snapshot(response: Any) -> tuple[list[Any], ...]:
    """The response's parallel lists, copied one level: the caller may replace a column (masking, nulls
    filled) after the read, never a value inside one. ``response.columns`` would build an object per column.
    """
    try:
        return (
            list(response._names),
            list(response._values),
            list(response._dtypes),
            list(response._row_states),
            list(response._event_micros),
        )
    except AttributeError:  # another response shape: its public columns
        columns = response.columns
        return tuple(
            [getattr(c, part) for c in columns] for part in ("name", "values", "dtype", "row_states", "event_micros")
        )


def _rows(entry: _Entry) -> int:
    values = entry.columns[1]
    return len(entry.rows) if entry.rows is not None else len(values[0]) if values else 0


def _day(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d")


def new_file_name(at: float) -> str:
    return f"{datetime.fromtimestamp(at, UTC).strftime('%H%M%S')}-{uuid.uuid4().hex[:12]}.parquet"


__all__ = ["FeatureLogger", "ServiceCounts"]
