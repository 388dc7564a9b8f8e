"""The Spark engine against the embedded one, on the same files (small sizes: a laptop run, not a cluster's).

- historical retrieval: ``--entity-rows`` entity rows against ``--feature-rows`` feature rows
  (``--versions`` rows per key), Spark ``local[2]`` vs DuckDB through the same ``get_historical_features``;
  the floor is a hand-written DuckDB ASOF join on the same Parquet file;
- materialization into Redis of ``--mat-rows`` keys: ``batch_engine: spark`` (executors write) vs the
  embedded path (DuckDB + this process writes).

Times are medians of ``--repeats`` runs after one warm-up (the JVM's start is reported separately).
Peak memory is this Python process's (the driver's Python side; Spark's JVM is a separate process).

    python -m benchmarks.bench_spark [--feature-rows 1000000] [--entity-rows 100000] [--mat-rows 200000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from featurevault import Entity, FeatureView, Field, FileSource
from featurevault._store import FeatureStore
from featurevault.types import Float64, Int64
from benchmarks.suite.stats import peak_rss_mb, repeated

T0 = datetime(2024, 1, 1, tzinfo=UTC)
FEATURES = [f"f{i}" for i in range(5)]


def feature_rows(n: int, versions: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    keys = n // versions
    columns: dict[str, Any] = {
        "user_id": pa.array(rng.integers(0, keys, n)),
        "event_timestamp": pa.array(T0.timestamp() * 1e6 + rng.integers(0, 30 * 86_400_000_000, n), pa.int64()).cast(
            pa.timestamp("us", tz="UTC")
        ),
    }
    for name in FEATURES:
        columns[name] = pa.array(rng.random(n))
    return pa.table(columns)


def entity_rows(n: int, keys: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    times = pd.to_datetime(T0.timestamp() * 1e6 + rng.integers(0, 30 * 86_400_000_000, n), unit="us", utc=True)
    return pd.DataFrame({"user_id": rng.integers(0, keys, n), "event_timestamp": times})


def write_repo(root: Path, offline: dict[str, Any], online: dict[str, Any], engine: str) -> FeatureStore:
    (root / "data").mkdir(parents=True, exist_ok=True)
    config = {
        "project": "bench",
        "registry": "data/registry.db",
        "offline_store": offline,
        "online_store": online,
        "batch_engine": {"type": engine, "partitions": 4},
    }
    (root / "feature_store.yaml").write_text(json.dumps(config))
    store = FeatureStore(repo_path=root)
    user = Entity(name="user", join_keys=["user_id"])
    source = FileSource(name="users_source", path=str(root.parent / "users.parquet"), timestamp_field="event_timestamp")
    view = FeatureView(
        name="users",
        entities=[user],
        ttl=timedelta(days=7),
        source=source,
        schema=[Field(name="user_id", dtype=Int64), *[Field(name=f, dtype=Float64) for f in FEATURES]],
    )
    store.apply([user, source, view], skip_lint=True)
    return store


def floor_asof(path: Path, entity: pd.DataFrame) -> float:
    began = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("e", pa.Table.from_pandas(entity))
    features = ", ".join(f"f.{c}" for c in FEATURES)
    in_ttl = "f.event_timestamp >= e.event_timestamp - INTERVAL 7 DAY"
    con.sql(
        f"SELECT e.*, CASE WHEN {in_ttl} THEN struct_pack({features}) END AS hit FROM e ASOF LEFT JOIN "
        f"read_parquet('{path}') f ON e.user_id = f.user_id AND e.event_timestamp >= f.event_timestamp"
    ).to_arrow_table()
    con.close()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--feature-rows", type=int, default=1_000_000)
    parser.add_argument("--entity-rows", type=int, default=100_000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--mat-rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--redis", default="127.0.0.1:6379")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pq.write_table(feature_rows(args.feature_rows, args.versions), root / "users.parquet")
        entity = entity_rows(args.entity_rows, args.feature_rows // args.versions)
        prefix = f"bench_spark_{uuid.uuid4().hex[:6]}:"
        online = {"type": "redis", "connection_string": args.redis, "key_prefix": prefix}
        spark_conf = {"spark.master": "local[2]", "spark.sql.shuffle.partitions": "4", "spark.driver.memory": "2g"}
        duck = write_repo(root / "duck", {"type": "duckdb"}, online, "local")
        started = time.perf_counter()  # apply checks the source's columns: the JVM starts here
        spark = write_repo(root / "spark", {"type": "spark", "spark_conf": spark_conf}, online, "spark")
        jvm_start = time.perf_counter() - started
        spark.offline_store.spark.sparkContext.setLogLevel("ERROR")
        refs = [f"users:{f}" for f in FEATURES]
        results: dict[str, Any] = {"jvm_start_s": round(jvm_start, 2), "args": vars(args)}
        for name, store in (("duckdb", duck), ("spark", spark)):
            results[f"historical_{name}_s"] = repeated(
                lambda s=store: s.get_historical_features(entity, refs).to_arrow(), args.repeats
            )
        results["historical_floor_s"] = repeated(lambda: floor_asof(root / "users.parquet", entity), args.repeats)
        pq.write_table(feature_rows(args.mat_rows, 1, seed=2), root / "users.parquet")
        end = T0 + timedelta(days=31)
        for name, store in (("embedded", duck), ("spark", spark)):
            results[f"materialize_{name}_s"] = repeated(lambda s=store: s.materialize(T0, end), args.repeats)
        results["peak_rss_python_mb"] = round(peak_rss_mb(), 1)
        report(results, args)
        import redis

        host, _, port = args.redis.rpartition(":")
        client = redis.Redis(host=host, port=int(port))
        for keys in _chunks(list(client.scan_iter(match=f"{prefix}*", count=10_000)), 10_000):
            client.unlink(*keys)
        duck.close()
        spark.close()


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    med = {k: statistics.median(v) for k, v in results.items() if isinstance(v, list)}
    floor = med["historical_floor_s"]
    print(f"repo set-up on Spark, JVM start included: {results['jvm_start_s']:.1f}s")
    print(
        f"historical retrieval, {args.entity_rows} entity rows x {args.feature_rows} feature rows "
        f"({args.versions} versions per key), median of {args.repeats}:"
    )
    for name in ("floor", "duckdb", "spark"):
        value = med[f"historical_{name}_s"]
        print(
            f"  {name:8s} {value:7.2f}s  {value / floor:5.1f}x floor  ({args.entity_rows / value:,.0f} entity rows/s)"
        )
    print(f"materialization of {args.mat_rows} keys into Redis, median of {args.repeats}:")
    embedded = med["materialize_embedded_s"]
    for name in ("embedded", "spark"):
        value = med[f"materialize_{name}_s"]
        print(f"  {name:8s} {value:7.2f}s  {value / embedded:5.2f}x embedded  ({args.mat_rows / value:,.0f} rows/s)")
    print(f"peak RSS of the Python process: {results['peak_rss_python_mb']:.0f} MB")


if __name__ == "__main__":
    main()
