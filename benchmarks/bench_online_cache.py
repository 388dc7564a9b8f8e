"""The hot-entity cache (``online_cache``): a hit, and a Zipf-skewed workload with and without it.

One 20-feature view of 10,000 users, materialized into SQLite and Redis. Two
stores share each online store: one with ``online_cache`` on, one without;
calls are interleaved (A B A B) so both see the same machine state.

* hit: ``get_online_features`` of one hot entity x 20 features (audit off, as the
  cache's own cost is what is measured), and the cache lookup alone
  (``online_store.read`` of that key);
* Zipf: entity ids drawn with probability proportional to 1 / rank^s (s = 1.1 by
  default), one entity per call: the cache's hit rate, and p50 / p99 with and without it.

    python -m benchmarks.bench_online_cache [--calls 20000] [--zipf 1.1] [--backends sqlite,redis]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from itertools import accumulate
from pathlib import Path
from typing import Any

from benchmarks.suite.online_data import VIEW, make_rows, make_view
from featurevault._store import FeatureStore
from benchmarks.suite.stats import percentile

ENTITIES = 10_000
BASE = "project: bench_cache\nregistry: {root}/registry.db\naudit:\n  sink: none\nonline_store:\n{online}"
ONLINE = {
    "sqlite": "  type: sqlite\n  path: {root}/online.db\n",
    "redis": "  type: redis\n  connection_string: 127.0.0.1:6379\n  key_prefix: bench_cache_{pid}_\n",
}
CACHE = "online_cache:\n  max_entries: 2000\n  ttl_seconds: 60\n"


def open_stores(root: Path, backend: str) -> tuple[FeatureStore, FeatureStore]:
    import pyarrow.parquet as pq

    (root / "data").mkdir(parents=True, exist_ok=True)
    pq.write_table(make_rows(ENTITIES), root / make_view().source.path)
    text = BASE.format(root=root, online=ONLINE[backend].format(root=root, pid=os.getpid()))
    stores = []
    for name, extra in (("plain", ""), ("cached", CACHE)):
        (root / name).mkdir()
        (root / name / "feature_store.yaml").write_text(text + extra)
        stores.append(FeatureStore(repo_path=root / name))
    view = make_view()
    view.source.path = str(root / view.source.path)
    plain = stores[0]
    plain.apply([*view.entities, view.source, view])
    plain.write_to_online_store(VIEW, make_rows(ENTITIES).to_pandas())
    return stores[0], stores[1]


def zipf_ids(calls: int, s: float, seed: int = 7) -> list[int]:
    weights = list(accumulate(1.0 / (rank**s) for rank in range(1, ENTITIES + 1)))
    ids = list(range(ENTITIES))
    random.Random(seed).shuffle(ids)  # hot keys spread over the id range
    return [ids[i] for i in random.Random(seed + 1).choices(range(ENTITIES), cum_weights=weights, k=calls)]


def measure(backend: str, calls: int, s: float, root: Path) -> dict[str, Any]:
    plain, cached = open_stores(root, backend)
    refs = [f"{VIEW}:{f.name}" for f in make_view().features]
    hot = [{"user_id": 7}]
    assert plain.get_online_features(refs, hot).to_dict() == cached.get_online_features(refs, hot).to_dict()
    lookup_store = cached.online_store
    table, key = VIEW, _packed_key(7)
    hit_call, miss_call, lookup = [], [], []
    for _ in range(calls // 4):
        t0 = time.perf_counter_ns()
        cached.get_online_features(refs, hot).to_dict()
        t1 = time.perf_counter_ns()
        plain.get_online_features(refs, hot).to_dict()
        t2 = time.perf_counter_ns()
        lookup_store.read(table, [key])
        t3 = time.perf_counter_ns()
        hit_call.append((t1 - t0) / 1000)
        miss_call.append((t2 - t1) / 1000)
        lookup.append((t3 - t2) / 1000)
    cache = lookup_store.cache
    before = cache.stats()
    with_cache, without = [], []
    for user in zipf_ids(calls, s):
        rows = [{"user_id": user}]
        t0 = time.perf_counter_ns()
        cached.get_online_features(refs, rows).to_dict()
        t1 = time.perf_counter_ns()
        plain.get_online_features(refs, rows).to_dict()
        t2 = time.perf_counter_ns()
        with_cache.append((t1 - t0) / 1000)
        without.append((t2 - t1) / 1000)
    after = cache.stats()
    hits, misses = after["hits"] - before["hits"], after["misses"] - before["misses"]
    plain.teardown()
    for store in (plain, cached):
        store.close()
    return {
        "backend": backend,
        "hit_call_p50_us": statistics.median(hit_call),
        "hit_call_p99_us": percentile(hit_call, 0.99),
        "uncached_call_p50_us": statistics.median(miss_call),
        "uncached_call_p99_us": percentile(miss_call, 0.99),
        "lookup_p50_us": statistics.median(lookup),
        "lookup_p99_us": percentile(lookup, 0.99),
        "zipf_s": s,
        "zipf_calls": calls,
        "hit_rate": hits / max(hits + misses, 1),
        "evictions": after["evictions"] - before["evictions"],
        "zipf_cached_p50_us": statistics.median(with_cache),
        "zipf_cached_p99_us": percentile(with_cache, 0.99),
        "zipf_plain_p50_us": statistics.median(without),
        "zipf_plain_p99_us": percentile(without, 0.99),
    }


def _packed_key(user: int) -> bytes:
    from featurevault._ops import codec

    return codec.packb([user])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--zipf", type=float, default=1.1)
    parser.add_argument("--backends", default="sqlite,redis")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    results = []
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(measure(backend, args.calls, args.zipf, Path(tmp)))
    if args.json:
        print(json.dumps(results, indent=1))
        return
    for r in results:
        print(
            f"{r['backend']}: hit 1 entity x 20 features p50 {r['hit_call_p50_us']:.1f} us "
            f"(p99 {r['hit_call_p99_us']:.1f}; cache lookup alone p50 {r['lookup_p50_us']:.2f} us), "
            f"uncached p50 {r['uncached_call_p50_us']:.1f} us (p99 {r['uncached_call_p99_us']:.1f})\n"
            f"  zipf s={r['zipf_s']} over {ENTITIES} entities, {r['zipf_calls']} calls, max_entries 2000: "
            f"hit rate {r['hit_rate']:.1%}, evictions {r['evictions']}; "
            f"p50 {r['zipf_cached_p50_us']:.1f} vs {r['zipf_plain_p50_us']:.1f} us, "
            f"p99 {r['zipf_cached_p99_us']:.1f} vs {r['zipf_plain_p99_us']:.1f} us (with vs without the cache)"
        )


if __name__ == "__main__":
    main()
