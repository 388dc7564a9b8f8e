"""Feature logging's cost on the online read: the same read with logging on (sample rate 1.0) and off.

Two feature services over the same 20-feature view, one with
``LoggingConfig(sample_rate=1.0)`` and one without. Reads of 1 and of 100 entity
rows are interleaved (off, on, on, off...) so both see the same machine state; the
log's writer thread runs as in production (flushes every second and at 1,000 queued
responses). Reports p50 and p99 of each side and the p50 ratio; the target is at most
1.10. At the end, every logged row is counted against the reads made.

    python -m benchmarks.bench_feature_logging [--entities 100000] [--iterations 5000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb

from benchmarks.suite.online_data import NOW, make_rows, make_view, open_repo
from featurevault import FeatureService, FileLoggingDestination, LoggingConfig
from benchmarks.suite.stats import percentile

TARGET = 1.10


def measure(
    store: Any, services: dict[str, Any], rows: int, iterations: int, n_entities: int
) -> dict[str, list[float]]:
    rng = random.Random(rows)
    times: dict[str, list[float]] = {name: [] for name in services}
    clock = time.perf_counter
    order = list(services.items())
    for i in range(iterations):
        entities = [{"user_id": rng.randrange(n_entities)} for _ in range(rows)]
        # the same entities for both sides, the side that reads them first alternating (page cache)
        for name, service in order if i % 2 else order[::-1]:
            t0 = clock()
            store.get_online_features(service, entities).to_dict()
            times[name].append(clock() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        workdir = Path(name)
        store = open_repo(workdir, make_rows(args.entities))
        view = make_view()
        logged = FeatureService(
            name="logged",
            features=[view],
            logging_config=LoggingConfig(
                destination=FileLoggingDestination(path=str(workdir / "logs")), sample_rate=1.0
            ),
        )
        plain = FeatureService(name="plain", features=[view])
        store.apply([view, logged, plain])
        store.materialize(NOW - timedelta(days=2), NOW + timedelta(minutes=1))
        services = {"off": store.get_feature_service("plain"), "on": store.get_feature_service("logged")}
        reads = 0
        print(f"feature logging, sample rate 1.0, {args.iterations} reads per side, interleaved")
        ok = True
        for rows in (1, 100):
            measure(store, services, rows, 200, args.entities)  # warm: plans, caches, the writer thread
            reads += 200 * rows
            times = measure(store, services, rows, args.iterations, args.entities)
            reads += args.iterations * rows
            off, on = times["off"], times["on"]
            p50_off, p50_on = statistics.median(off), statistics.median(on)
            ratio = p50_on / p50_off
            ok &= ratio <= TARGET
            print(
                f"  {rows:>3} rows: off p50 {p50_off * 1e6:7.1f} us p99 {percentile(off, 0.99) * 1e6:7.1f} us | "
                f"on p50 {p50_on * 1e6:7.1f} us p99 {percentile(on, 0.99) * 1e6:7.1f} us | "
                f"p50 ratio {ratio:.3f} (target <= {TARGET})"
            )
        store.close()
        counts = store._feature_log.counts["logged"]
        files = str(workdir / "logs" / "logged" / "*" / "*.parquet")
        on_disk = duckdb.sql(f"SELECT count(*) FROM read_parquet('{files}')").fetchall()[0][0]
        print(
            f"  logged rows {counts.logged} (on disk {on_disk}, served {reads}), dropped {counts.dropped}, "
            f"files {counts.files}"
        )
        print("  PASS" if ok else "  FAIL")


if __name__ == "__main__":
    main()
