"""Materialization throughput into SQLite: rows/s against a raw ``executemany`` floor.

featurevault's side is the whole materialize step after the offline engine:
cast each record batch to the declared types, pack keys and records, upsert in
one transaction per batch, record the watermark. The offline engine is an
in-memory one that hands out the prepared latest-per-key batches, so the
figure isolates the online half. The floor executes ``INSERT OR REPLACE``
of the very same packed records (packed beforehand, untimed) into a fresh
table in one transaction. Runs alternate A B A B, each into an empty table.

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
from typing import Any

import pyarrow as pa

from benchmarks._online_setup import NOW, PROJECT, VIEW, make_rows, make_view, open_harness
from featurevault.backends.offline.base import EVENT_TS
from featurevault.model import FeatureView
from featurevault.ops import codec
from featurevault.ops import materialize as materialize_ops


class PreparedOffline:
    """Yields the latest-per-key rows of one view in batches, as an offline engine would."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table.rename_columns([EVENT_TS if c == "event_timestamp" else c for c in table.column_names])

    def latest_per_key(
        self, view: FeatureView, start: datetime | None, end: datetime, *, batch_rows: int = 100_000
    ) -> Iterator[pa.RecordBatch]:
        yield from self.table.to_batches(max_chunksize=batch_rows)

    def time_range(self, view: FeatureView) -> tuple[datetime | None, datetime | None]:
        return None, None


def floor_write(db_path: Path, keys: list[bytes], records: list[bytes]) -> float:
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("DROP TABLE IF EXISTS floor")
    conn.execute("CREATE TABLE floor (key BLOB PRIMARY KEY, record BLOB) WITHOUT ROWID")
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT OR REPLACE INTO floor (key, record) VALUES (?, ?)", zip(keys, records))
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.execute("DROP TABLE floor")
    conn.close()
    return elapsed


def run(rows: int, repeats: int, workdir: Path) -> dict[str, Any]:
    view = make_view()
    table = make_rows(rows)
    offline = PreparedOffline(table)
    harness = open_harness(workdir, view, offline)
    layout = codec.Layout.of(view.features)
    keys = codec.pack_keys(offline.table, view.join_keys)
    records = codec.pack_records(materialize_ops.conform_batch(view, offline.table), layout, EVENT_TS)
    ours: list[float] = []
    base: list[float] = []
    for _ in range(repeats):
        harness.online_store.drop(VIEW)
        result = materialize_ops.materialize(harness, NOW - timedelta(days=2), NOW, [VIEW])
        assert result.rows == rows
        ours.append(result.views[0].seconds)
        base.append(floor_write(workdir / "online.db", keys, records))
    sample = harness.online_store.read(VIEW, keys[:1000])
    assert sample == records[:1000], "materialized records differ from the floor's"
    harness.close()
    ours_s, base_s = statistics.median(ours), statistics.median(base)
    return {"rows": rows, "seconds": ours_s, "rows_per_s": rows / ours_s,
            "floor_seconds": base_s, "floor_rows_per_s": rows / base_s, "ratio": ours_s / base_s}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_materialize")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = run(args.rows, args.repeats, Path(tmp))
    print(f"materialize {r['rows']} rows x 20 features into SQLite (median of {args.repeats}, interleaved)")
    print(f"  featurevault: {r['seconds']:.2f}s  {r['rows_per_s']:,.0f} rows/s")
    print(f"  floor (raw executemany of the same packed records): {r['floor_seconds']:.2f}s  "
          f"{r['floor_rows_per_s']:,.0f} rows/s")
    print(f"  ratio (time): {r['ratio']:.2f}x")


if __name__ == "__main__":
    main()
