"""Historical retrieval against a floor of hand-written DuckDB SQL doing the same work.

    PYTHONPATH=src python -m benchmarks.bench_historical --entity-rows 200000 --feature-rows 1000000

Deterministic synthetic data (one Parquet file, a view of 20 features, a skewed
key distribution so some keys have many versions, a created-timestamp column
and a ttl). Each side runs in its own subprocess so its peak RSS can be read;
sides are interleaved (A B C A B C ...) over several repetitions after one
untimed round that also checks every side returns the same frame. The floors are
the two plans written by hand (hash join + arg_max, and ASOF join + equi-join),
each producing a pandas frame with one row per entity row in order; the ratio is
against the faster floor.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from benchmarks.suite.stats import peak_rss_mb, summarise

N_FEATURES = 20
TTL = timedelta(days=30)
SPAN_DAYS = 90
SIDES = ("featurevault", "floor_hash", "floor_asof")
CHUNK_ROWS = 1_000_000


# -- data ----------------------------------------------------------------------------------------


def generate(data_dir: Path, entity_rows: int, feature_rows: int, keys: int) -> None:
    """Write features.parquet and entity.parquet (skipped when already there for these sizes).

    Written in chunks so that generating 10M rows does not need them all in memory.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    stamp = data_dir / "sizes.json"
    sizes = {"entity_rows": entity_rows, "feature_rows": feature_rows, "keys": keys}
    if stamp.exists() and json.loads(stamp.read_text()) == sizes:
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20240115)
    base = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
    span = SPAN_DAYS * 86_400 * 1_000_000
    writer = None
    for start in range(0, feature_rows, CHUNK_ROWS):
        table = _feature_chunk(rng, min(CHUNK_ROWS, feature_rows - start), keys, base, span)
        writer = writer or pq.ParquetWriter(data_dir / "features.parquet", table.schema)
        writer.write_table(table, row_group_size=122_880)
    if writer is not None:
        writer.close()
    entity = {
        # a few keys beyond the feature keys: rows with no match
        "driver_id": rng.integers(0, keys + keys // 100 + 1, entity_rows).astype(np.int64),
        "event_timestamp": pa.array(base + rng.integers(0, span, entity_rows), pa.timestamp("us")),
    }
    pq.write_table(pa.table(entity), data_dir / "entity.parquet")
    stamp.write_text(json.dumps(sizes))


def _feature_chunk(rng: np.random.Generator, rows: int, keys: int, base: int, span: int) -> Any:
    import pyarrow as pa

    # half the rows go to a tenth of the keys: those keys have many versions
    hot = rng.integers(0, max(keys // 10, 1), rows // 2)
    cold = rng.integers(0, keys, rows - rows // 2)
    key = np.concatenate([hot, cold])
    rng.shuffle(key)
    event = base + rng.integers(0, span, rows)
    columns: dict[str, Any] = {
        "driver_id": key.astype(np.int64),
        "event_timestamp": pa.array(event, pa.timestamp("us")),
        "created": pa.array(event + rng.integers(0, 3_600_000_000, rows), pa.timestamp("us")),
    }
    for i in range(N_FEATURES):
        columns[f"f{i:02d}"] = rng.standard_normal(rows)
    return pa.table(columns)


# -- the sides (each runs in a child process) -----------------------------------------------------


def run_featurevault(data_dir: Path, entity_df: Any) -> Any:
    from featurevault._backends.offline.duckdb import Config, Store
    from featurevault._model import Entity, FeatureView, Field, FileSource, RepoContents
    from featurevault._ops.historical import get_historical_features
    from featurevault.types import Float64, Int64

    driver = Entity(name="driver", join_keys=["driver_id"])
    source = FileSource(
        name="driver_stats_source",
        path=str(data_dir / "features.parquet"),
        timestamp_field="event_timestamp",
        created_timestamp_column="created",
    )
    schema = [Field(name="driver_id", dtype=Int64)]
    schema += [Field(name=f"f{i:02d}", dtype=Float64) for i in range(N_FEATURES)]
    view = FeatureView(name="driver_stats", source=source, entities=[driver], schema=schema, ttl=TTL)
    contents = RepoContents(entities={"driver": driver}, feature_views={"driver_stats": view})
    store = Store.from_config(Config(), resolve=Path)
    refs = [f"driver_stats:f{i:02d}" for i in range(N_FEATURES)]

    def call() -> Any:
        return get_historical_features(store, contents, entity_df, refs).to_df()

    return call


def _floor_sql(data_dir: Path, plan: str) -> str:
    path = data_dir / "features.parquet"
    ttl_us = int(TTL.total_seconds() * 1_000_000)
    fields = ", ".join(f"f{i:02d}" for i in range(N_FEATURES))
    struct = "{" + ", ".join(f"'f{i:02d}': f.f{i:02d}" for i in range(N_FEATURES)) + "}"
    unpack = ", ".join(f"w.s.f{i:02d} AS f{i:02d}" for i in range(N_FEATURES))
    if plan == "hash":
        winners = f"""
            SELECT e.row_id, arg_max({struct}, (f.event_timestamp, f.created)) AS s
            FROM entity e JOIN read_parquet('{path}') f
              ON f.driver_id = e.driver_id AND f.event_timestamp <= e.event_timestamp
             AND f.event_timestamp >= e.event_timestamp - to_microseconds({ttl_us})
            GROUP BY e.row_id"""
    else:
        winners = f"""
            WITH m AS (
              SELECT e.row_id, e.driver_id, k.event_timestamp AS ts
              FROM entity e ASOF JOIN (SELECT driver_id, event_timestamp FROM read_parquet('{path}')) k
                ON k.driver_id = e.driver_id AND e.event_timestamp >= k.event_timestamp
              WHERE k.event_timestamp >= e.event_timestamp - to_microseconds({ttl_us}))
            SELECT m.row_id, arg_max({struct}, f.created) AS s
            FROM m JOIN (SELECT driver_id, event_timestamp, created, {fields} FROM read_parquet('{path}')) f
              ON f.driver_id = m.driver_id AND f.event_timestamp = m.ts
            GROUP BY m.row_id"""
    return f"""
        WITH w AS ({winners})
        SELECT e.driver_id, e.event_timestamp, {unpack}
        FROM entity e LEFT JOIN w ON w.row_id = e.row_id ORDER BY e.row_id"""


def run_floor(data_dir: Path, entity_df: Any, plan: str) -> Any:
    import duckdb

    con = duckdb.connect()
    sql = _floor_sql(data_dir, plan)

    def call() -> Any:
        frame = entity_df.assign(row_id=np.arange(len(entity_df)))
        con.register("entity", frame)
        out = con.sql(sql).df()
        out["event_timestamp"] = out["event_timestamp"].dt.tz_localize("UTC")
        return out

    return call


def child(side: str, data_dir: Path, save: Path | None) -> None:
    import pandas as pd

    entity_df = pd.read_parquet(data_dir / "entity.parquet")
    call = run_featurevault(data_dir, entity_df) if side == "featurevault" else run_floor(data_dir, entity_df, side[6:])
    before = peak_rss_mb()
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    peak = peak_rss_mb()
    if save is not None:
        result.to_parquet(save)
    print(json.dumps({"seconds": seconds, "rss_before_mb": before, "peak_rss_mb": peak}))


# -- the parent ----------------------------------------------------------------------------------


def spawn(side: str, data_dir: Path, save: Path | None = None) -> dict[str, float]:
    cmd = [sys.executable, "-m", "benchmarks.bench_historical", "--child", side, "--data-dir", str(data_dir)]
    if save is not None:
        cmd += ["--save", str(save)]
    root = Path(__file__).resolve().parent.parent
    paths = [str(root / "src"), str(root), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark side {side} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def check_same(data_dir: Path) -> None:
    import pandas as pd

    frames = {side: pd.read_parquet(data_dir / f"result_{side}.parquet") for side in SIDES}
    reference = frames["floor_hash"]
    for side, frame in frames.items():
        pd.testing.assert_frame_equal(frame, reference, check_dtype=False, obj=side)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entity-rows", type=int, default=200_000)
    parser.add_argument("--feature-rows", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=0, help="distinct keys (default: feature rows / 10)")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--child", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--save", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    keys = args.keys or max(args.feature_rows // 10, 1)
    data_dir = args.data_dir or Path(tempfile.gettempdir()) / f"fv-bench-{args.entity_rows}x{args.feature_rows}x{keys}"
    if args.child:
        child(args.child, data_dir, args.save)
        return
    generate(data_dir, args.entity_rows, args.feature_rows, keys)
    input_mb = sum((data_dir / f).stat().st_size for f in ("features.parquet", "entity.parquet")) / 2**20
    for side in SIDES:  # untimed round: warms the page cache, checks the answers agree
        spawn(side, data_dir, save=data_dir / f"result_{side}.parquet")
    check_same(data_dir)
    runs: dict[str, list[dict[str, float]]] = {side: [] for side in SIDES}
    for _ in range(args.repetitions):
        for side in SIDES:
            runs[side].append(spawn(side, data_dir))
    stats = {side: summarise([r["seconds"] for r in rs]) for side, rs in runs.items()}
    floor = min(("floor_hash", "floor_asof"), key=lambda s: stats[s]["median"])
    print(
        f"historical retrieval: {args.entity_rows:,} entity rows x {args.feature_rows:,} feature rows, "
        f"{keys:,} keys, {N_FEATURES} features; inputs {input_mb:.0f} MiB on disk; {args.repetitions} repetitions"
    )
    for side in SIDES:
        s = stats[side]
        peak = max(r["peak_rss_mb"] for r in runs[side])
        base = statistics.median(r["rss_before_mb"] for r in runs[side])
        print(
            f"  {side:13s} median {s['median']:.3f}s  p99 {s['p99']:.3f}s  min {s['min']:.3f}s  "
            f"peak RSS {peak:.0f} MiB (before the call {base:.0f} MiB)"
        )
    ratio = stats["featurevault"]["median"] / stats[floor]["median"]
    print(f"  ratio featurevault / {floor}: {ratio:.2f}x (target <= 1.25x)")


if __name__ == "__main__":
    main()
