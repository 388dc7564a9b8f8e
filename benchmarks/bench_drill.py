"""The DR drill's RTO: on the scaffolded demo repo, and on a repo of N online records.

For each repo: apply, materialize, ``backup create``, then ``dr drill`` (restore into a
scratch SQLite store, rematerialize the gap, verify ``dr.sample_size`` entities against
point-in-time offline values). Reported: the drill's RTO and the seconds of each step,
the records restored and the values checked, and, as the floor of the restore step, the
seconds the raw sqlite3 module takes to copy the live online file with its backup API.

    python -m benchmarks.bench_drill [--records 1000000] [--skip-demo]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CONFIG = """project: drillbench
registry: data/registry.db
online_store:
  type: sqlite
  path: data/online.db
offline_store:
  type: duckdb
"""

DEFINITIONS = """
from datetime import timedelta

from featurevault import Entity, FeatureView, Field, FileSource
from featurevault.types import Float64, Int64

user = Entity(name="user", join_keys=["user_id"])
user_stats = FeatureView(
    name="user_stats",
    entities=[user],
    ttl=timedelta(days=2),
    source=FileSource(name="user_stats_src", path="data/user_stats.parquet", timestamp_field="event_timestamp"),
    schema=[Field(name="user_id", dtype=Int64)] + [Field(name=f"f{i}", dtype=Float64) for i in range(8)],
)
"""


def _drill(store: Any) -> dict[str, Any]:
    began = time.perf_counter()
    store.backup()
    backup_seconds = time.perf_counter() - began
    result = store.recovery().drill()
    return {
        "passed": result.passed,
        "rto_seconds": round(result.rto_seconds, 3),
        "steps": {k: round(v, 3) for k, v in result.steps.items()},
        "restored_records": result.restored_records,
        "rows_checked": result.rows_checked,
        "mismatches": result.mismatches,
        "backup_seconds": round(backup_seconds, 3),
    }


def demo(where: Path) -> dict[str, Any]:
    from featurevault import FeatureStore
    from featurevault._cli.scaffold import scaffold
    from featurevault._ops.repo import load_repo

    repo = where / "demo"
    scaffold(repo)
    yaml = repo / "feature_store.yaml"
    yaml.write_text(yaml.read_text().replace("PROJECT_NAME", "demo"))
    store = FeatureStore(repo)
    store.apply(load_repo(repo), skip_lint=True)
    store.materialize_incremental(datetime.now(UTC))
    return {"repo": "demo", **_drill(store)}


def scaled(where: Path, n: int) -> dict[str, Any]:
    from featurevault import FeatureStore
    from featurevault._ops.repo import load_repo

    repo = where / "scaled"
    (repo / "data").mkdir(parents=True)
    (repo / "feature_store.yaml").write_text(CONFIG)
    (repo / "features.py").write_text(DEFINITIONS)
    now = datetime.now(UTC).replace(microsecond=0)
    rng = np.random.default_rng(7)
    columns: dict[str, Any] = {
        "user_id": np.arange(n, dtype=np.int64),
        "event_timestamp": pa.array([now - timedelta(hours=1)] * n, pa.timestamp("us", "UTC")),
    }
    columns.update({f"f{i}": rng.random(n) for i in range(8)})
    pq.write_table(pa.table(columns), repo / "data" / "user_stats.parquet")
    store = FeatureStore(repo)
    store.apply(load_repo(repo), skip_lint=True)
    began = time.perf_counter()
    store.materialize_incremental(now)
    materialize_seconds = time.perf_counter() - began
    online_file = repo / "data" / "online.db"
    began = time.perf_counter()
    with sqlite3.connect(online_file) as src, sqlite3.connect(where / "floor-copy.db") as dst:
        src.backup(dst)
    floor = time.perf_counter() - began
    return {
        "repo": f"{n:,} records",
        "materialize_seconds": round(materialize_seconds, 1),
        "floor_online_file_copy_seconds": round(floor, 3),
        **_drill(store),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-drill-") as scratch:
        where = Path(scratch)
        if not args.skip_demo:
            print(json.dumps(demo(where)), flush=True)
        print(json.dumps(scaled(where, args.records)), flush=True)


if __name__ == "__main__":
    main()
