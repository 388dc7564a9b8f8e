"""The floor: the same work done by hand with the drivers alone, no feature store in between.

Historical: one DuckDB query with the same point-in-time semantics (latest
row at or before t, within ttl, ties to the latest created, one row per
entity row in order). Materialization: DuckDB latest-per-key (``arg_max``), msgpack, then
sqlite ``executemany`` or Redis ``MSET``. Online: one ``SELECT .. IN`` or
``MGET`` and a msgpack decode per record.
"""

from __future__ import annotations

import random
import sqlite3
import struct
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import msgpack
import pyarrow as pa

from benchmarks.suite import server_process
from benchmarks.suite.definitions import CREATED_TS, EVENT_TS, HISTORICAL_VIEWS, JOIN_KEY, feature_names
from benchmarks.suite.store_workloads import preload_libraries

ROW = "__row"
#: the event time as a naive UTC timestamp, by integer arithmetic rather than a time-zone cast
NAIVE_TS = f"make_timestamp(epoch_us({EVENT_TS}))"
WRITE_CHUNK = 10_000


def pit_sql(sources: dict[str, str], ttls: dict[str, timedelta]) -> str:
    """A point-in-time join of the registered ``entity`` table with every view, as DuckDB SQL.

    Per view: an ASOF join on the narrow (key, event time) columns finds the
    matching event time within ttl, then an equi-join fetches the features,
    ``arg_max`` on the created time breaking event-time ties.
    """
    ctes, joins, columns = [], [], [f"e.{JOIN_KEY}", f"e.{EVENT_TS}"]
    for view, path in sources.items():
        names = feature_names(view)
        ttl_us = int(ttls[view].total_seconds() * 1_000_000)
        window = f"k.{EVENT_TS} >= e.{EVENT_TS} - INTERVAL {ttl_us} MICROSECOND" if ttl_us else "true"
        # naive UTC timestamps: plain integer comparisons and arithmetic, no time-zone calendar
        ctes.append(
            f"{view}_m AS (SELECT e.{ROW}, e.{JOIN_KEY}, k.{EVENT_TS} AS mts FROM entity e "
            f"ASOF JOIN (SELECT {JOIN_KEY}, {NAIVE_TS} AS {EVENT_TS} FROM read_parquet('{path}')) k "
            f"ON e.{JOIN_KEY} = k.{JOIN_KEY} AND e.{EVENT_TS} >= k.{EVENT_TS} WHERE {window})"
        )
        fields = ", ".join(f"{n} := f.{n}" for n in names)
        ctes.append(
            f"{view} AS (SELECT m.{ROW}, arg_max(struct_pack({fields}), f.{CREATED_TS}) AS s "
            f"FROM {view}_m m JOIN read_parquet('{path}') f "
            f"ON f.{JOIN_KEY} = m.{JOIN_KEY} AND make_timestamp(epoch_us(f.{EVENT_TS})) = m.mts GROUP BY m.{ROW})"
        )
        joins.append(f"LEFT JOIN {view} ON {view}.{ROW} = e.{ROW}")
        columns += [f"{view}.s.{n} AS {n}" for n in names]
    return f"WITH {', '.join(ctes)} SELECT {', '.join(columns)} FROM entity e {' '.join(joins)} ORDER BY e.{ROW}"


def pack_key(entity_id: int) -> bytes:
    return struct.pack(">q", entity_id)


class Floor:
    """The floor's worker state: where its data is and which online store it writes to."""

    def __init__(self) -> None:
        self.sources: dict[str, str] = {}
        self.online: dict[str, Any] = {}
        self.project = ""
        self.sqlite: sqlite3.Connection | None = None
        self.redis: Any = None
        self.server: subprocess.Popen | None = None

    def setup(self, repo_dir: str, project: str, sources: dict[str, str], online: dict[str, Any], offline: str) -> dict:
        self.teardown()
        preload_libraries()
        self.sources, self.online, self.project = dict(sources), dict(online), project
        Path(repo_dir).mkdir(parents=True, exist_ok=True)
        if online["type"] == "sqlite":
            Path(online["path"]).unlink(missing_ok=True)
            self.sqlite = sqlite3.connect(online["path"])
            self.sqlite.execute("PRAGMA journal_mode=WAL")
            self.sqlite.execute("CREATE TABLE IF NOT EXISTS records (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID")
        else:
            import redis

            self.redis = redis.Redis.from_url(online["url"])
        return {"apply_s": 0.0}

    def historical(self, entity_path: str, out_path: str | None = None) -> dict:
        import pandas as pd

        entity_df = pd.read_parquet(entity_path)
        start = time.perf_counter()
        entity = pa.Table.from_pandas(entity_df, preserve_index=False)
        ts_index = entity.column_names.index(EVENT_TS)
        naive = entity.column(ts_index).cast(pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
        entity = entity.set_column(ts_index, EVENT_TS, naive)
        entity = entity.append_column(ROW, pa.array(range(entity.num_rows), pa.int64()))
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.register("entity", entity)
        table = con.sql(pit_sql(self.sources, HISTORICAL_VIEWS)).to_arrow_table()
        utc = table.column(EVENT_TS).cast(pa.timestamp("us", tz="UTC"))
        frame = table.set_column(table.column_names.index(EVENT_TS), EVENT_TS, utc).to_pandas()
        con.close()
        seconds = time.perf_counter() - start
        if out_path:
            frame.to_parquet(out_path)
        return {"seconds": seconds, "rows": len(frame)}

    def materialize(self, start: str, end: str) -> dict:
        begin = time.perf_counter()
        ((view, path),) = self.sources.items()
        names = feature_names(view)
        fields = ", ".join(f"{n} := {n}" for n in ["ts", *names])
        query = (
            f"SELECT {JOIN_KEY}, s.* FROM (SELECT {JOIN_KEY}, arg_max(struct_pack({fields}), "
            f"({EVENT_TS}, {CREATED_TS})) AS s FROM (SELECT *, epoch_us({EVENT_TS}) AS ts FROM read_parquet('{path}') "
            f"WHERE {EVENT_TS} BETWEEN ?::TIMESTAMPTZ AND ?::TIMESTAMPTZ) GROUP BY {JOIN_KEY})"
        )
        con = duckdb.connect()
        reader = con.execute(query, [start, end]).to_arrow_reader(WRITE_CHUNK)
        rows = 0
        for batch in reader:
            columns = batch.to_pydict()
            keys = [self._key(k) for k in columns[JOIN_KEY]]
            records = [msgpack.packb(list(values)) for values in zip(*(columns[c] for c in ["ts", *names]))]
            self._write(keys, records)
            rows += len(keys)
        con.close()
        return {"seconds": time.perf_counter() - begin, "rows": rows}

    def _key(self, entity_id: int) -> bytes:
        key = pack_key(entity_id)
        return key if self.sqlite is not None else f"floor:{self.project}:".encode() + key

    def _write(self, keys: list[bytes], records: list[bytes]) -> None:
        if self.sqlite is not None:
            with self.sqlite:
                self.sqlite.executemany("INSERT OR REPLACE INTO records VALUES (?, ?)", zip(keys, records))
        else:
            self.redis.mset(dict(zip(keys, records)))

    def online_read(self, batch: int, iterations: int, entities: int, seed: int) -> dict:
        rng = random.Random(seed)
        (view,) = self.sources
        names = feature_names(view)
        latencies, checksum = [], 0
        for _ in range(iterations):
            ids = [rng.randrange(entities) for _ in range(batch)]
            start = time.perf_counter()
            values = self._read(ids, names)
            latencies.append(time.perf_counter() - start)
            checksum += sum(1 for v in values[names[0]] if v is not None)
        return {"latencies": latencies, "non_null": checksum}

    def _read(self, ids: list[int], names: list[str]) -> dict[str, list[Any]]:
        keys = [self._key(i) for i in ids]
        if self.sqlite is not None:
            marks = ",".join("?" * len(keys))
            found = dict(self.sqlite.execute(f"SELECT k, v FROM records WHERE k IN ({marks})", keys).fetchall())
            raw = [found.get(k) for k in keys]
        else:
            raw = self.redis.mget(keys)
        records = [msgpack.unpackb(r) if r is not None else None for r in raw]
        out: dict[str, list[Any]] = {JOIN_KEY: ids}
        for j, name in enumerate(names, start=1):
            out[name] = [r[j] if r is not None else None for r in records]
        return out

    def serve_start(self, port: int) -> dict:
        """The hand-written server (:mod:`benchmarks.suite.floor_server`) over this floor's records."""
        argv = [sys.executable, "-m", "benchmarks.suite.floor_server", "--port", str(port)]
        if self.sqlite is not None:
            argv += ["--sqlite", self.online["path"]]
        else:
            argv += ["--redis-url", self.online["url"], "--prefix", f"floor:{self.project}:"]
        self.server = server_process.start(argv, f"http://127.0.0.1:{port}/health")
        return {"pid": self.server.pid}

    def serve_stop(self) -> dict:
        server_process.stop(self.server)
        self.server = None
        return {}

    def teardown(self) -> dict:
        self.serve_stop()
        if self.sqlite is not None:
            self.sqlite.close()
            self.sqlite = None
        if self.redis is not None:
            keys = list(self.redis.scan_iter(match=f"floor:{self.project}:*", count=10_000))
            for i in range(0, len(keys), WRITE_CHUNK):
                self.redis.delete(*keys[i : i + WRITE_CHUNK])
            self.redis.close()
            self.redis = None
        return {}
