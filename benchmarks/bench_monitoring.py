"""``monitor run`` against a hand-written DuckDB floor computing the same statistics.

Each of V views has R rows of F numeric features in a Parquet file. Baselines are
recorded first (untimed). Then, interleaved:

- featurevault: ``FeatureStore.monitor_run`` over every view: freshness (newest event,
  last materialization), and per feature null rate, PSI, Jensen-Shannon and KS against
  the baseline, all recorded in the registry's metrics table;
- floor: one DuckDB query per view scanning the current window once: newest event
  time, row count, per feature the non-null count and the counts in the baseline's
  bins; then PSI and Jensen-Shannon from those counts in numpy. No KS (it needs the
  values, not the bins) and nothing recorded: the floor is a lower bound.

    python -m benchmarks.bench_monitoring [--views 10] [--rows 1000000] [--features 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from featurevault import Entity, FeatureStore, FeatureView, Field, FileSource, RepoConfig
from featurevault.monitoring.baselines import load_baselines
from featurevault.monitoring.drift.js import js_distance
from featurevault.monitoring.drift.psi import psi
from featurevault.types import Float64, Int64

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def write_view(path: Path, rows: int, features: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    seconds = rng.integers(0, 2 * 86400, rows)  # two days: the first is the baseline, the second current
    columns: dict[str, pa.Array] = {
        "entity_id": pa.array(np.arange(rows, dtype=np.int64) % 100_000),
        "event_timestamp": pa.array(
            (np.datetime64(NOW.replace(tzinfo=None) - timedelta(days=2), "us") + seconds.astype("timedelta64[s]")),
            pa.timestamp("us", tz="UTC"),
        ),
    }
    for f in range(features):
        shift = 0.3 if f % 5 == 0 else 0.0
        values = rng.normal(0, 1, rows) + np.where(seconds >= 86400, shift, 0.0)
        columns[f"f{f}"] = pa.array(values)
    pq.write_table(pa.table(columns), path)


def build_repo(tmp: Path, views: int, rows: int, features: int) -> FeatureStore:
    entity = Entity(name="entity", join_keys=["entity_id"])
    objects: list[object] = [entity]
    for v in range(views):
        write_view(tmp / f"v{v}.parquet", rows, features, seed=v)
        source = FileSource(name=f"src{v}", path=str(tmp / f"v{v}.parquet"), timestamp_field="event_timestamp")
        schema = [Field(name="entity_id", dtype=Int64)] + [Field(name=f"f{f}", dtype=Float64) for f in range(features)]
        objects += [source, FeatureView(name=f"view{v}", entities=[entity], source=source, schema=schema,
                                        ttl=timedelta(days=3), freshness=timedelta(hours=1))]
    config = RepoConfig(project="bench_monitoring", registry={"path": str(tmp / "registry.db")},
                        online_store={"type": "sqlite", "path": str(tmp / "online.db")},
                        audit={"path": str(tmp / "audit.jsonl")}, repo_path=tmp)
    store = FeatureStore(config=config)
    store.apply(objects, skip_lint=True)
    for v in range(views):
        store.monitor_baseline(f"view{v}", NOW - timedelta(days=2), NOW - timedelta(days=1))
    return store


def floor_run(tmp: Path, views: int, features: int, baselines: dict) -> float:
    con = duckdb.connect()
    start, end = NOW - timedelta(days=1), NOW
    t0 = time.perf_counter()
    for v in range(views):
        base = baselines[f"view{v}"].features
        aggregates = ["max(event_timestamp)", "count(*)"]
        for f in range(features):
            edges = base[f"f{f}"].edges
            aggregates.append(f"count(f{f})")
            bounds = [None, *edges, None]
            for low, high in zip(bounds[:-1], bounds[1:], strict=True):
                cond = " AND ".join(c for c in (
                    f"f{f} >= {low!r}" if low is not None else "", f"f{f} < {high!r}" if high is not None else "",
                ) if c) or "true"
                aggregates.append(f"count(*) FILTER (WHERE f{f} IS NOT NULL AND {cond})")
        row = con.sql(
            f"SELECT {', '.join(aggregates)} FROM read_parquet('{tmp / f'v{v}.parquet'}') "
            f"WHERE event_timestamp >= '{start.isoformat()}' AND event_timestamp <= '{end.isoformat()}'"
        ).fetchall()[0]
        offset = 2
        for f in range(features):
            bins = len(base[f"f{f}"].edges) + 1
            counts = np.array(row[offset + 1: offset + 1 + bins], dtype=float)
            expected = np.array(base[f"f{f}"].shares)
            psi(expected, counts), js_distance(expected, counts)
            offset += 1 + bins
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--views", type=int, default=10)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        store = build_repo(tmp, args.views, args.rows, args.features)
        baselines = load_baselines(store.registry.registry, store.project)
        ours, floor = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            result = store.monitor_run(NOW - timedelta(days=1), NOW, now=NOW)
            ours.append(time.perf_counter() - t0)
            floor.append(floor_run(tmp, args.views, args.features, baselines))
        drifted = sum(d.psi > 0.02 for m in result.views for d in m.drift)
        store.close()
    mo, mf = statistics.median(ours), statistics.median(floor)
    print(f"monitor run: {args.views} views x {args.rows} rows x {args.features} features, {args.repeats} runs")
    print(f"  featurevault median {mo:.3f} s (max {max(ours):.3f}); floor median {mf:.3f} s (max {max(floor):.3f})")
    print(f"  ratio {mo / mf:.2f}x the floor; features with psi > 0.02: {drifted} (expected {args.views * ((args.features + 4) // 5)})")


if __name__ == "__main__":
    main()
