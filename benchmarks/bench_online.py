"""Online read latency: ``get_online_features(...).to_dict()`` against a hand-written floor.

featurevault's side is the public call on a real FeatureStore (registry cache
check, plan lookup, key packing, one SQLite query, decoding, TTL check).
The floor does the same work by hand on the same SQLite table: pack the keys,
``SELECT key, record FROM t WHERE key IN (...)``, msgpack-decode each record
and build the ``{feature: [values]}`` dict. Calls are interleaved (A B A B)
so both sides see the same machine state. Reports p50, p99 and the ratios.

    python -m benchmarks.bench_online [--entities 100000] [--iterations 3000]
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


from benchmarks.suite.online_data import NOW, PROJECT, VIEW, make_rows, make_view, open_repo
from benchmarks.suite.online_floor import features_reader, sqlite_fetch
from benchmarks.suite.stats import percentile

TARGETS = {1: 3.0, 100: 2.0}


def run(entities: int, iterations: int, workdir: Path) -> list[dict[str, Any]]:
    view = make_view()
    store = open_repo(workdir, make_rows(entities))
    store.materialize(NOW - timedelta(days=2), NOW)
    names = view.feature_names
    refs = [f"{VIEW}:{n}" for n in names]
    floor = features_reader(sqlite_fetch(workdir / "data" / "online.db", f'"{PROJECT}:{VIEW}"'), names)
    rng = random.Random(1)
    results = []
    for batch in (1, 100):
        ids_sets = [rng.sample(range(entities), batch) for _ in range(iterations)]
        check = store.get_online_features(refs, {"user_id": ids_sets[0]}).to_dict()
        assert check == floor(ids_sets[0]), "featurevault and the floor disagree"
        ours: list[float] = []
        base: list[float] = []
        for ids in ids_sets:  # interleaved: A B A B
            rows = [{"user_id": i} for i in ids]
            t0 = time.perf_counter_ns()
            store.get_online_features(refs, rows).to_dict()
            t1 = time.perf_counter_ns()
            floor(ids)
            t2 = time.perf_counter_ns()
            ours.append((t1 - t0) / 1000)
            base.append((t2 - t1) / 1000)
        p50, fp50 = statistics.median(ours), statistics.median(base)
        results.append(
            {
                "entities_per_call": batch,
                "p50_us": p50,
                "p99_us": percentile(ours, 0.99),
                "floor_p50_us": fp50,
                "floor_p99_us": percentile(base, 0.99),
                "ratio_p50": p50 / fp50,
                "target": TARGETS[batch],
            }
        )
    store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_online")
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = run(args.entities, args.iterations, Path(tmp))
    print(f"online read, {args.entities} entities x 20 features on SQLite, {args.iterations} interleaved calls")
    header = ["entities/call", "p50 us", "p99 us", "floor p50", "floor p99", "ratio", "target"]
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, [13, 9, 9, 10, 10, 6, 7], strict=True)))
    for r in results:
        verdict = "ok" if r["ratio_p50"] <= r["target"] else "MISSED"
        print(
            f"{r['entities_per_call']:>13} {r['p50_us']:>9.1f} {r['p99_us']:>9.1f} {r['floor_p50_us']:>10.1f} "
            f"{r['floor_p99_us']:>10.1f} {r['ratio_p50']:>6.2f} {r['target']:>6.1f}x {verdict}"
        )


if __name__ == "__main__":
    main()
