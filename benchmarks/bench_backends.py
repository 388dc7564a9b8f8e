"""Redis and PostgreSQL online stores against hand-written floors, measured side by side.

Reads (1 and 100 entities of a 20-feature view), on each server:

- ``store``: ``Store.read`` of the packed records plus a msgpack decode of each;
  floor: redis-py ``MGET`` of the same keys / psycopg ``SELECT .. WHERE key = ANY(%s)``
  (prepared, binary) plus the same decode.
- ``get_online_features``: the full read path (``.to_dict()``); floor: the
  same MGET / ANY select, decode and ``{feature: [values]}`` dict built by hand.

Calls alternate A B A B; p50, p99 and the p50 ratio are reported (target <= 2x).

Writes: ``materialize`` of N rows x 20 features into Redis (cast, pack, pipelined
MSET, watermark) against a floor that MSETs the very same packed records,
packed beforehand and untimed, through a redis-py pipeline (target: at least
half the floor's rows/s, and at least 100k rows/s).

    python -m benchmarks.bench_backends [--entities 100000] [--iterations 2000] [--rows 1000000]

Uses the servers at 127.0.0.1 (Redis 6379, PostgreSQL 5432 database ``test``)
under a fresh key prefix and schema, removed at the end.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgpack
import psycopg
import redis

from benchmarks.suite.online_data import NOW, VIEW, make_rows, make_view
from benchmarks.bench_materialize import PreparedOffline
from featurevault._backends.offline.base import EVENT_TS
from featurevault._backends.online import postgres as pg_store
from featurevault._backends.online import redis as redis_store
from featurevault._backends.online.base import OnlineStore
from featurevault._backends.registry.sqlite import Store as SqliteRegistry
from featurevault._model import RepoContents
from featurevault._ops import codec
from featurevault._ops import materialize as materialize_ops
from featurevault._ops import write as write_ops
from featurevault._ops.online import OnlineReader, OnlineResponse
from featurevault._ops.registry_cache import RegistryCache
from benchmarks.suite.online_floor import Reader, decode_all, features_reader, postgres_fetch, redis_fetch
from benchmarks.suite.stats import percentile

PROJECT = "bench"
RUN = uuid.uuid4().hex[:8]
PREFIX = f"fvbench_{RUN}:"
SCHEMA = f"fvbench_{RUN}"
PG_DSN = "host=127.0.0.1 port=5432 dbname=test user=postgres"
READ_TARGET = 2.0


def open_stores() -> dict[str, OnlineStore]:
    return {
        "redis": redis_store.Store(redis_store.Config(key_prefix=PREFIX, connection_string="127.0.0.1:6379"), PROJECT),
        "postgres": pg_store.Store(
            pg_store.Config(host="127.0.0.1", database="test", db_schema=SCHEMA, read_timeout_seconds=1.0), PROJECT
        ),
    }


@dataclass
class Harness:
    """The registry cache, online store and reader, wired as the FeatureStore facade wires them."""

    registry: RegistryCache
    online_store: OnlineStore
    reader: OnlineReader
    offline_store: Any = None
    project: str = PROJECT

    def get_online_features(self, features: Any, entity_rows: Any) -> OnlineResponse:
        version, contents = self.registry.versioned_contents()
        return self.reader.read(version, contents, features, entity_rows, False)


def harness_for(store: OnlineStore, workdir: Path, offline: Any = None) -> Harness:
    view = make_view()
    registry = SqliteRegistry(workdir / f"registry-{uuid.uuid4().hex[:6]}.db")
    contents = RepoContents()
    for obj in (*view.entities, view.source, view):
        contents.by_kind(obj.kind)[obj.name] = obj
    registry.commit(PROJECT, contents.to_dict(), expected_version=0, author="bench", message="bench")
    cache = RegistryCache(registry, PROJECT, 10.0)
    return Harness(cache, store, OnlineReader(store, clock=NOW.timestamp), offline_store=offline)


# -- measurement ------------------------------------------------------------------------------


def interleaved(ours: Reader, floor: Reader, id_sets: list[list[int]]) -> dict[str, float]:
    a: list[float] = []
    b: list[float] = []
    for ids in id_sets:
        t0 = time.perf_counter_ns()
        ours(ids)
        t1 = time.perf_counter_ns()
        floor(ids)
        t2 = time.perf_counter_ns()
        a.append((t1 - t0) / 1000)
        b.append((t2 - t1) / 1000)
    p50, fp50 = statistics.median(a), statistics.median(b)
    return {
        "p50": p50,
        "p99": percentile(a, 0.99),
        "floor_p50": fp50,
        "floor_p99": percentile(b, 0.99),
        "ratio": p50 / fp50,
    }


def read_benchmarks(backend: str, store: OnlineStore, entities: int, iterations: int, workdir: Path) -> list[dict]:
    harness = harness_for(store, workdir)
    view = make_view()
    write_ops.write_to_online_store(harness, VIEW, make_rows(entities))
    fetch = (
        redis_fetch(f"{PREFIX}{PROJECT}:{VIEW}:".encode())
        if backend == "redis"
        else postgres_fetch(PG_DSN, SCHEMA, pg_store.table_name(PROJECT, VIEW))
    )
    names = view.feature_names
    refs = [f"{VIEW}:{n}" for n in names]
    packb = msgpack.packb
    rng = random.Random(7)
    results = []
    for batch in (1, 100):
        id_sets = [rng.sample(range(entities), batch) for _ in range(iterations)]
        floor_full = features_reader(fetch, names)
        sample = harness.get_online_features(refs, {"user_id": id_sets[0]}).to_dict()
        assert sample == floor_full(id_sets[0]), f"{backend}: featurevault and the floor disagree"

        def store_read(ids: list[int]) -> Any:
            return decode_all(store.read(VIEW, [packb([i]) for i in ids]))

        def floor_read(ids: list[int]) -> Any:
            return decode_all(fetch([packb([i]) for i in ids]))

        def full_read(ids: list[int]) -> Any:
            return harness.get_online_features(refs, {"user_id": ids}).to_dict()

        for what, ours, floor in (
            ("store.read", store_read, floor_read),
            ("get_online_features", full_read, floor_full),
        ):
            interleaved(ours, floor, id_sets[: iterations // 10])  # warm-up
            results.append({"backend": backend, "what": what, "entities": batch, **interleaved(ours, floor, id_sets)})
    return results


def redis_floor_write(keys: list[bytes], records: list[bytes], chunk: int = 10_000) -> float:
    client = redis.Redis("127.0.0.1", 6379, socket_timeout=60)
    namespace = f"{PREFIX}floor:".encode()
    full = [namespace + k for k in keys]
    t0 = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for start in range(0, len(full), chunk):
        flat: list[bytes] = [b""] * (2 * len(full[start : start + chunk]))
        flat[0::2] = full[start : start + chunk]
        flat[1::2] = records[start : start + chunk]
        pipe.execute_command("MSET", *flat)
        if (start // chunk + 1) % 10 == 0:
            pipe.execute()
    pipe.execute()
    elapsed = time.perf_counter() - t0
    client.close()
    return elapsed


def write_benchmark(store: OnlineStore, rows: int, repeats: int, workdir: Path) -> dict[str, Any]:
    view = make_view()
    offline = PreparedOffline(make_rows(rows))
    harness = harness_for(store, workdir, offline)
    layout = codec.Layout.of(view.features)
    keys = codec.pack_keys(offline.table, view.join_keys)
    records = codec.pack_records(materialize_ops.conform_batch(view, offline.table), layout, EVENT_TS)
    ours: list[float] = []
    base: list[float] = []
    for _ in range(repeats):
        store.drop(VIEW)
        result = materialize_ops.materialize(harness, NOW - timedelta(days=2), NOW, [VIEW])
        assert result.rows == rows
        ours.append(result.views[0].seconds)
        base.append(redis_floor_write(keys, records))
    assert store.read(VIEW, keys[:1000]) == records[:1000], "materialized records differ from the floor's"
    ours_s, base_s = statistics.median(ours), statistics.median(base)
    return {"rows": rows, "rows_per_s": rows / ours_s, "floor_rows_per_s": rows / base_s, "ratio": ours_s / base_s}


def cleanup(stores: dict[str, OnlineStore]) -> None:
    for store in stores.values():
        store.close()
    client = redis.Redis("127.0.0.1", 6379)
    batch = []
    for key in client.scan_iter(match=f"{PREFIX}*", count=5_000):
        batch.append(key)
        if len(batch) >= 5_000:
            client.unlink(*batch)
            batch.clear()
    if batch:
        client.unlink(*batch)
    client.close()
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_backends")
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--iterations", type=int, default=2_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["reads", "writes"], default=None)
    args = parser.parse_args()
    stores = open_stores()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            reads = (
                []
                if args.only == "writes"
                else [
                    r
                    for name, store in stores.items()
                    for r in read_benchmarks(name, store, args.entities, args.iterations, Path(tmp))
                ]
            )
            writes = args.only != "reads" and args.rows > 0
            write = write_benchmark(stores["redis"], args.rows, args.repeats, Path(tmp)) if writes else None
    finally:
        cleanup(stores)
    if reads:
        print(f"online reads, {args.entities} entities x 20 features, {args.iterations} interleaved calls each")
        print(
            f"{'backend':>9} {'what':>20} {'n':>4} {'p50 us':>8} {'p99 us':>8} {'floor p50':>10} "
            f"{'floor p99':>10} {'ratio':>6}"
        )
    for r in reads:
        verdict = "ok" if r["ratio"] <= READ_TARGET else "MISSED"
        print(
            f"{r['backend']:>9} {r['what']:>20} {r['entities']:>4} {r['p50']:>8.1f} {r['p99']:>8.1f} "
            f"{r['floor_p50']:>10.1f} {r['floor_p99']:>10.1f} {r['ratio']:>6.2f} {verdict}"
        )
    if write:
        ok = write["rows_per_s"] >= max(100_000, write["floor_rows_per_s"] / 2)
        print(
            f"materialize {write['rows']} rows x 20 features into Redis (median of {args.repeats}, interleaved): "
            f"{write['rows_per_s']:,.0f} rows/s; floor (pipelined MSET of the same packed records): "
            f"{write['floor_rows_per_s']:,.0f} rows/s; time ratio {write['ratio']:.2f}x {'ok' if ok else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
