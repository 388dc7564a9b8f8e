"""Spark against DuckDB as the feature rows grow, each measurement in a fresh process.

``bench_spark`` compares the engines at laptop sizes in one process; this one measures the sizes of
a scale-out decision and the memory each engine's driver needs for them:

- historical retrieval of ``--entity-rows`` entity rows against each of ``--sizes`` feature rows
  (``--versions`` rows per key), through the hand-written DuckDB ASOF floor, the DuckDB engine and
  the Spark engine (``local[2]``), on the same Parquet file;
- materialization of ``--mat-rows`` distinct keys into Redis through the embedded path and through
  ``batch_engine: spark`` (each run under its own key prefix, deleted afterwards).

Every (engine, size) runs in a child process of its own, so its peak memory is its own: the child
reports its ``ru_maxrss`` (the driver's Python side) and, for Spark, the ``VmHWM`` of its JVM child
(read from ``/proc`` before the session stops), and the CPU seconds of the child and its
descendants (set-up included), which, unlike
wall-clock times, do not depend on what else runs on the machine. Feature files are written in chunks of
``--chunk-rows`` rows, so no process ever holds the largest size in memory. The load average is
sampled during the whole run (the figures are only comparable within one run).

    python -m benchmarks.bench_spark_scale --sizes 1000000,10000000,50000000 [--entity-rows 1000000]
        [--mat-rows 10000000] [--repeats 1] [--work benchmarks/.work/spark_scale]

Results go to ``benchmarks/results/<date>/spark_scale/results.json`` (rewritten after every step,
so an interrupted run keeps what finished).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.bench_spark import FEATURES, T0, entity_rows, floor_asof, write_repo

ROOT = Path(__file__).resolve().parent
SYSTEMS = ("floor", "duckdb", "spark")
MONTH_US = 30 * 86_400_000_000


def parse_sizes(text: str) -> list[int]:
    """``"1000000,10M,5e7"`` -> ``[1000000, 10000000, 50000000]``; a clear error for anything else."""
    sizes = []
    for part in text.split(","):
        item = part.strip().replace("_", "")
        if not item:
            continue
        scale = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}.get(item[-1].lower(), 1)
        number = item[:-1] if scale > 1 else item
        try:
            value = float(number) * scale
        except ValueError:
            raise argparse.ArgumentTypeError(f"--sizes: {part.strip()!r} is not a row count") from None
        if value < 1 or value != int(value):
            raise argparse.ArgumentTypeError(f"--sizes: {part.strip()!r} is not a positive whole row count")
        sizes.append(int(value))
    if not sizes:
        raise argparse.ArgumentTypeError("--sizes: no row count given")
    return sizes


# ---- data -----------------------------------------------------------------------------------------


def write_feature_file(
    path: Path, rows: int, keys: int, chunk_rows: int, *, unique: bool = False, seed: int = 0
) -> None:
    """``rows`` rows shaped like ``bench_spark.feature_rows`` (keys drawn over ``keys``), written in chunks.

    ``unique``: keys ``0..rows-1`` once each (a materialization's source: one record per key).
    """
    schema = pa.schema(
        [("user_id", pa.int64()), ("event_timestamp", pa.timestamp("us", tz="UTC"))]
        + [(name, pa.float64()) for name in FEATURES]
    )
    rng = np.random.default_rng(seed)
    start_us = int(T0.timestamp() * 1e6)
    with pq.ParquetWriter(path, schema) as writer:
        for offset in range(0, rows, chunk_rows):
            n = min(chunk_rows, rows - offset)
            ids = np.arange(offset, offset + n, dtype=np.int64) if unique else rng.integers(0, keys, n)
            columns: list[pa.Array] = [
                pa.array(ids, pa.int64()),
                pa.array(start_us + rng.integers(0, MONTH_US, n), pa.int64()).cast(pa.timestamp("us", tz="UTC")),
                *[pa.array(rng.random(n)) for _ in FEATURES],
            ]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema), row_group_size=1_000_000)


# ---- child: one measurement -----------------------------------------------------------------------


def _descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def descendants_usage() -> dict[str, float]:
    """Of this process's live descendants (Spark's JVM, its Python workers): the JVM's peak resident
    memory (``VmHWM``) and the CPU seconds all of them used so far (with the children they reaped)."""
    tick, out, cpu = os.sysconf("SC_CLK_TCK"), {}, 0
    for pid in _descendants(os.getpid()):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        cpu += sum(int(v) for v in stat[11:15])  # utime, stime, cutime, cstime
        if comm == "java":
            peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
            out["jvm_peak_rss_mb"] = round(peak / 1024, 1)
    if cpu:
        out["descendants_cpu_s"] = round(cpu / tick, 1)
    return out


def spark_conf(args: argparse.Namespace) -> dict[str, str]:
    return {
        "spark.master": "local[2]",
        "spark.sql.shuffle.partitions": str(args.shuffle_partitions),
        "spark.driver.memory": args.driver_memory,
        "spark.local.dir": str(Path(args.work) / "spark-local"),
    }


def child(spec: dict[str, Any]) -> dict[str, Any]:
    args = argparse.Namespace(**spec["args"])
    case = Path(spec["case_dir"])
    case.mkdir(parents=True, exist_ok=True)
    link = case / "users.parquet"  # write_repo's source is <repo>/../users.parquet
    if not link.exists():
        link.symlink_to(spec["data"])
    out: dict[str, Any] = {"system": spec["system"], "step": spec["step"]}
    prefix = f"bench_spark_scale_{uuid.uuid4().hex[:6]}:"
    online = {"type": "redis", "connection_string": args.redis, "key_prefix": prefix}
    store = None
    if spec["system"] == "floor":
        entity = entity_rows(args.entity_rows, spec["rows"] // args.versions)
        out["times_s"] = [floor_asof(Path(spec["data"]), entity) for _ in range(args.repeats)]
    else:
        spark = spec["system"] == "spark"
        offline = {"type": "spark", "spark_conf": spark_conf(args)} if spark else {"type": "duckdb"}
        began = time.perf_counter()  # on Spark, apply starts the JVM
        store = write_repo(case / "repo", offline, online, "spark" if spark else "local")
        out["setup_s"] = round(time.perf_counter() - began, 2)
        if spark:
            store.offline_store.spark.sparkContext.setLogLevel("ERROR")
        times = []
        if spec["step"] == "historical":
            entity = entity_rows(args.entity_rows, spec["rows"] // args.versions)
            refs = [f"users:{f}" for f in FEATURES]
            for _ in range(args.repeats):
                began = time.perf_counter()
                table = store.get_historical_features(entity, refs).to_arrow()
                times.append(time.perf_counter() - began)
            out["result_rows"] = table.num_rows
            out["result_hits"] = table.num_rows - table.column(FEATURES[0]).null_count
        else:
            end = T0 + timedelta(days=31)
            began = time.perf_counter()
            store.materialize(T0, end)
            times.append(time.perf_counter() - began)
            out.update(_redis_count_and_drop(args.redis, prefix))
        out["times_s"] = times
    out["python_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    own = resource.getrusage(resource.RUSAGE_SELF)
    out["python_cpu_s"] = round(own.ru_utime + own.ru_stime, 1)
    out.update(descendants_usage())
    if store is not None:
        store.close()
    return out


def _redis_count_and_drop(url: str, prefix: str) -> dict[str, Any]:
    import redis

    host, _, port = url.rpartition(":")
    client = redis.Redis(host=host, port=int(port))
    used = client.info("memory")["used_memory"]
    keys, batch = 0, []
    for key in client.scan_iter(match=f"{prefix}*", count=10_000):
        batch.append(key)
        if len(batch) == 10_000:
            keys += client.unlink(*batch)
            batch = []
    if batch:
        keys += client.unlink(*batch)
    return {"redis_keys_written": keys, "redis_used_memory_mb": round(used / 2**20, 1)}


# ---- parent ---------------------------------------------------------------------------------------


class LoadSampler(threading.Thread):
    def __init__(self, every_s: float = 10.0) -> None:
        super().__init__(daemon=True)
        self.every_s, self.samples, self._stop = every_s, [], threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop.wait(self.every_s)

    def summary(self) -> dict[str, float]:
        values = self.samples or [os.getloadavg()[0]]
        return {"min": min(values), "median": statistics.median(values), "max": max(values), "n": len(values)}

    def stop(self) -> None:
        self._stop.set()


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    load0 = os.getloadavg()[0]
    began = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT.parent), str(ROOT.parent / "src")])}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_spark_scale", "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT.parent,
    )
    wall = time.perf_counter() - began
    if done.returncode != 0:
        return {"system": spec["system"], "step": spec["step"], "error": done.stderr[-3000:], "wall_s": round(wall, 1)}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(wall_s=round(wall, 1), load1_start=load0, load1_end=os.getloadavg()[0])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_spark_scale")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes("1000000,10000000,50000000"))
    parser.add_argument("--entity-rows", type=int, default=1_000_000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--mat-rows", type=int, default=10_000_000, help="0: no materialization step")
    parser.add_argument("--mat-after", type=int, default=10_000_000, help="materialize after this size's retrieval")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--chunk-rows", type=int, default=2_000_000)
    parser.add_argument("--shuffle-partitions", type=int, default=16)
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--redis", default="127.0.0.1:6379")
    parser.add_argument("--work", default=str(ROOT / ".work" / "spark_scale"))
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    out_dir = args.out / datetime.now(UTC).strftime("%Y-%m-%d") / "spark_scale"
    out_dir.mkdir(parents=True, exist_ok=True)
    shared = {k: v for k, v in vars(args).items() if k not in ("child", "out")}
    results: dict[str, Any] = {"args": {**shared, "out": str(args.out)}, "started": datetime.now(UTC).isoformat()}
    results["machine"] = {
        "cpus": os.cpu_count(),
        "mem_gb": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1),
    }
    results["steps"] = []
    sampler = LoadSampler()
    sampler.start()
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]

    def save() -> None:
        results["load1"] = sampler.summary()
        (out_dir / "results.json").write_text(json.dumps(results, indent=1))

    def step(spec: dict[str, Any]) -> None:
        spec = {**spec, "args": shared}
        result = run_child(spec)
        result["rows"] = spec["rows"]
        results["steps"].append(result)
        save()
        print(json.dumps({k: v for k, v in result.items() if k != "error"}), result.get("error", "")[-600:], flush=True)

    try:
        for size in args.sizes:
            data = work / f"features_{size}.parquet"
            began = time.perf_counter()
            write_feature_file(data, size, max(1, size // args.versions), args.chunk_rows)
            results.setdefault("generate_s", {})[str(size)] = round(time.perf_counter() - began, 1)
            for system in systems:
                step(
                    {
                        "step": "historical",
                        "system": system,
                        "rows": size,
                        "data": str(data),
                        "case_dir": str(work / f"h_{system}_{size}"),
                    }
                )
            data.unlink()
            if args.mat_rows and size == args.mat_after:
                _materialize(args, work, step)
        if args.mat_rows and args.mat_after not in args.sizes:
            _materialize(args, work, step)
    finally:
        sampler.stop()
        results["finished"] = datetime.now(UTC).isoformat()
        save()
        shutil.rmtree(work, ignore_errors=True)
    print(f"results: {out_dir / 'results.json'}")


def _materialize(args: argparse.Namespace, work: Path, step: Any) -> None:
    data = work / f"mat_{args.mat_rows}.parquet"
    write_feature_file(data, args.mat_rows, args.mat_rows, args.chunk_rows, unique=True, seed=2)
    for system in ("duckdb", "spark"):
        step(
            {
                "step": "materialize",
                "system": system,
                "rows": args.mat_rows,
                "data": str(data),
                "case_dir": str(work / f"m_{system}"),
            }
        )
    data.unlink()


if __name__ == "__main__":
    main()
