"""Materialization throughput into SQLite: rows/s against a raw ``executemany`` floor.

Three runs alternate (A B C, repeated), each into an empty table:

- end to end: ``FeatureStore.materialize`` on a real repo: DuckDB finds the
  latest row per key in the Parquet source, featurevault casts, packs and
  upserts each batch, and records the watermark;
- online half: the same materialize step fed by an engine that hands out the
  prepared latest-per-key batches, isolating featurevault's own work;
- floor: ``INSERT OR REPLACE`` of the very same packed records (packed
  beforehand, untimed) into a fresh table in one transaction.

    python -m benchmarks.bench_materialize [--rows 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa

from benchmarks.suite.online_data import NOW, VIEW, make_rows, make_view, open_repo
from featurevault._backends.offline.base import EVENT_TS
from featurevault._backends.offline.specs import ViewSpec
from featurevault._ops import codec
from featurevault._ops import materialize as materialize_ops


class PreparedOffline:
    """Yields the latest-per-key rows of one view in batches, as an offline engine would."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table.rename_columns([EVENT_TS if c == "event_timestamp" else c for c in table.column_names])

    def latest_per_key(
        self, view: ViewSpec, start: datetime | None, end: datetime, *, batch_rows: int = 100_000
    ) -> Iterator[pa.RecordBatch]:
        yield from self.table.to_batches(max_chunksize=batch_rows)


def floor_write(db_path: Path, keys: list[bytes], records: list[bytes]) -> float:
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("DROP TABLE IF EXISTS floor")
    conn.execute("CREATE TABLE floor (key BLOB PRIMARY KEY, record BLOB) WITHOUT ROWID")
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT OR REPLACE INTO floor (key, record) VALUES (?, ?)", zip(keys, records, strict=True))
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.execute("DROP TABLE floor")
    conn.close()
    return elapsed


def run(rows: int, repeats: int, workdir: Path) -> dict[str, float]:
    view = make_view()
    table = make_rows(rows)
    store = open_repo(workdir, table)
    prepared = PreparedOffline(table)
    online_half = SimpleNamespace(
        project=store.project, registry=store.registry, online_store=store.online_store, offline_store=prepared
    )
    layout = codec.Layout.of(view.features)
    keys = codec.pack_keys(prepared.table, view.join_keys)
    records = codec.pack_records(materialize_ops.conform_batch(view, prepared.table), layout, EVENT_TS)
    window = (NOW - timedelta(days=2), NOW)
    times: dict[str, list[float]] = {"end_to_end": [], "online_half": [], "floor": []}
    for _ in range(repeats):
        store.online_store.drop(VIEW)
        t0 = time.perf_counter()
        assert store.materialize(*window, [VIEW]).rows == rows
        times["end_to_end"].append(time.perf_counter() - t0)
        store.online_store.drop(VIEW)
        t0 = time.perf_counter()
        assert materialize_ops.materialize(online_half, *window, [VIEW]).rows == rows
        times["online_half"].append(time.perf_counter() - t0)
        times["floor"].append(floor_write(workdir / "data" / "online.db", keys, records))
    assert store.online_store.read(VIEW, keys[:1000]) == records[:1000], "materialized records differ from the floor's"
    store.close()
    return {name: statistics.median(samples) for name, samples in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_materialize")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        medians = run(args.rows, args.repeats, Path(tmp))
    floor = medians["floor"]
    print(f"materialize {args.rows} rows x 20 features into SQLite (median of {args.repeats}, interleaved)")
    labels: dict[str, Any] = {
        "end_to_end": "featurevault end to end (DuckDB + pack + write)",
        "online_half": "featurevault online half (cast + pack + write)",
        "floor": "floor (raw executemany of the same packed records)",
    }
    for name, label in labels.items():
        seconds = medians[name]
        print(f"  {label:<52} {seconds:6.2f}s {args.rows / seconds:>10,.0f} rows/s  {seconds / floor:5.2f}x floor")


if __name__ == "__main__":
    main()
