"""Backup and restore of online records against the raw clients' own dump and load, in the same run.

For each online backend, N records (a 64-byte key prefix space, ~200-byte
packed records, the size of a 20-feature view's record) are written, then,
alternating A B A B:

- ``backup``: featurevault's online snapshot (``recovery.online_snapshot.dump``:
  scan, Arrow IPC stream, SHA-256) to a local directory; floor: the raw client's
  dump of the same table to a file: sqlite3 ``SELECT`` and redis-py SCAN + MGET
  written length-prefixed, psycopg binary ``COPY .. TO STDOUT``.
- ``restore``: featurevault's ``online_snapshot.load`` (staging table + swap);
  floor: the raw client's load of its own dump: sqlite3 ``executemany`` into an
  empty table of a fresh file in one transaction, redis-py pipelined MSET, psycopg
  binary ``COPY .. FROM STDIN`` into an empty table. Every floor moves records, as
  featurevault must (a restore replaces one project's tables in a file, a server or a
  schema that others share, while readers keep reading). SQLite's backup API, a page
  copy of the whole file, is reported beside it (``page_copy``): an upper bound no
  record-level restore reaches.

A Redis restore lists the keys the project holds with a SCAN, which walks every key of the
database, so ``--redis-server`` says what the database holds besides the table: ``dedicated``
(nothing; the floor loads into database 1, so each side works on a database holding one copy),
``shared`` (the floor's copy too: the SCAN walks twice the keys) or ``wiped`` (nothing, and both
the table and the floor's copy are removed, untimed, before each restore and load: a recovery).

Reported: records/s (median of the repetitions) and the ratio featurevault / floor.

    python -m benchmarks.bench_recovery [--records 100000] [--repeat 3] [--backends sqlite,redis,postgres]
        [--redis-server dedicated|shared|wiped]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sqlite3
import statistics
import struct
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from featurevault._config import backend_module
from featurevault._recovery import online_snapshot
from featurevault._recovery.manifest import Manifest
from featurevault._recovery.target import BackupTarget

TABLE = "bench_view"
PROJECT = "benchrec"
RUN = uuid.uuid4().hex[:8]


def records(n: int) -> tuple[list[bytes], list[bytes]]:
    keys = [struct.pack(">Q", i) + b"user" for i in range(n)]
    values = [os.urandom(40) + b"v" * 160 for _ in range(n)]
    return keys, values


def build(backend: str, where: Path) -> Any:
    sections = {
        "sqlite": {"type": "sqlite", "path": str(where / "online.db")},
        "redis": {"type": "redis", "connection_string": "127.0.0.1:6379", "key_prefix": f"benchrec_{RUN}:"},
        "postgres": {
            "type": "postgres",
            "host": "127.0.0.1",
            "database": "test",
            "user": "postgres",
            "db_schema": f"benchrec_{RUN}",
        },
    }
    module = backend_module("online_store", backend)
    return module.Store.from_config(module.Config(**sections[backend]), project=PROJECT, resolve=Path)


# -- floors: the raw clients' dump and load --------------------------------------------------------


def sqlite_floor(store: Any, where: Path) -> tuple[Callable[[], None], Callable[[], None]]:
    """Record level, like the Redis and PostgreSQL floors: the rows selected to a file, and loaded back
    with ``executemany`` into an empty table of a fresh file in one transaction. SQLite's backup API
    (a page copy of the whole file, which a restore of one project's tables into a shared, live file
    cannot use) is measured beside it as ``page_copy``."""
    source = f'"{store._prefix}{TABLE}"'
    dump_file = where / "floor-dump.bin"
    page_file = where / "floor-pages.db"

    def dump() -> None:
        with sqlite3.connect(store.path) as src, dump_file.open("wb") as out:
            rows = src.execute(f"SELECT key, record FROM {source}")
            while batch := rows.fetchmany(10_000):
                keys, values = zip(*batch)
                _write_pairs(out, list(keys), list(values))

    def load() -> None:
        target = where / "floor-rows.db"
        target.unlink(missing_ok=True)
        with sqlite3.connect(target) as dst:
            dst.execute("CREATE TABLE t (key BLOB PRIMARY KEY, record BLOB) WITHOUT ROWID")
            pairs = _read_pairs(dump_file)
            while batch := list(itertools.islice(pairs, 20_000)):
                dst.executemany("INSERT INTO t (key, record) VALUES (?, ?)", batch)

    def page_dump() -> None:
        page_file.unlink(missing_ok=True)
        with sqlite3.connect(store.path) as src, sqlite3.connect(page_file) as dst:
            src.backup(dst)

    def page_load() -> None:
        target = where / "floor-pages-back.db"
        target.unlink(missing_ok=True)
        with sqlite3.connect(page_file) as src, sqlite3.connect(target) as dst:
            src.backup(dst)

    dump.page_copy = page_dump  # type: ignore[attr-defined]
    load.page_copy = page_load  # type: ignore[attr-defined]
    return dump, load


def redis_floor(store: Any, where: Path, server: str = "dedicated") -> tuple[Callable[[], None], Callable[[], None]]:
    """SCAN + MGET of the table to a file, and pipelined ``MSET`` of the file back. The load's keys sit
    in the table's database (``shared``) or in database 1 (``dedicated``, ``wiped``: the project's
    database holds nothing else); with ``wiped`` they are removed, untimed, before each load."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379)
    loader = client if server == "shared" else redis.Redis(host="127.0.0.1", port=6379, db=1)
    pattern = store._namespace(TABLE) + b"*"
    dump_file = where / "floor-dump.bin"
    load_prefix = f"benchrec_{RUN}_floor:".encode()

    def dump() -> None:
        with dump_file.open("wb") as out:
            batch: list[bytes] = []
            for key in client.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) >= 10_000:
                    _write_pairs(out, batch, client.mget(batch))
                    batch = []
            if batch:
                _write_pairs(out, batch, client.mget(batch))

    def load() -> None:
        pipe = loader.pipeline(transaction=False)
        flat: list[bytes] = []
        for key, value in _read_pairs(dump_file):
            flat += [load_prefix + key, value]
            if len(flat) >= 4_000:
                pipe.execute_command("MSET", *flat)
                flat = []
        if flat:
            pipe.execute_command("MSET", *flat)
        pipe.execute()

    def cleanup() -> None:
        keys = list(loader.scan_iter(match=load_prefix + b"*", count=1000))
        for start in range(0, len(keys), 1000):
            loader.unlink(*keys[start : start + 1000])

    def cleanup_and_close() -> None:
        cleanup()
        for each in {client, loader}:
            each.close()

    load.cleanup = cleanup_and_close  # type: ignore[attr-defined]
    if server == "wiped":
        load.prepare = cleanup  # type: ignore[attr-defined]
    return dump, load


def postgres_floor(store: Any, where: Path) -> tuple[Callable[[], None], Callable[[], None]]:
    import psycopg

    conn = psycopg.connect(host="127.0.0.1", dbname="test", user="postgres", autocommit=True)
    source = psycopg.sql.Identifier(store.config.db_schema, f"{PROJECT}__{TABLE}")
    copy_table = psycopg.sql.Identifier(store.config.db_schema, "floor_load")
    dump_file = where / "floor-dump.copy"

    def dump() -> None:
        with (
            dump_file.open("wb") as out,
            conn.cursor().copy(psycopg.sql.SQL("COPY {} TO STDOUT (FORMAT BINARY)").format(source)) as copy,
        ):
            for chunk in copy:
                out.write(chunk)

    def load() -> None:
        conn.execute(psycopg.sql.SQL("DROP TABLE IF EXISTS {}").format(copy_table))
        conn.execute(
            psycopg.sql.SQL("CREATE TABLE {} (key BYTEA PRIMARY KEY, record BYTEA NOT NULL)").format(copy_table)
        )
        with (
            dump_file.open("rb") as data,
            conn.cursor().copy(psycopg.sql.SQL("COPY {} FROM STDIN (FORMAT BINARY)").format(copy_table)) as copy,
        ):
            while chunk := data.read(1 << 20):
                copy.write(chunk)

    load.cleanup = conn.close  # type: ignore[attr-defined]
    return dump, load


def _write_pairs(out: Any, keys: list[bytes], values: list[bytes | None]) -> None:
    for key, value in zip(keys, values):
        if value is not None:
            out.write(struct.pack(">II", len(key), len(value)) + key + value)


def _read_pairs(path: Path) -> Any:
    with path.open("rb") as data:
        while header := data.read(8):
            klen, vlen = struct.unpack(">II", header)
            yield data.read(klen), data.read(vlen)


REDIS_SERVERS = {
    "dedicated": "nothing (the floor loads into database 1): a restore's SCAN walks the project's keys alone",
    "shared": "the floor's copy of the table, in the same database (a restore's SCAN walks both)",
    "wiped": "nothing, and before each restore and load their keys are removed, as in a recovery",
}

FLOORS = {"sqlite": sqlite_floor, "redis": redis_floor, "postgres": postgres_floor}


# -- featurevault ---------------------------------------------------------------------------------


def featurevault_ops(
    store: Any, where: Path, server: str = "dedicated"
) -> tuple[Callable[[], None], Callable[[], None]]:
    target = BackupTarget.open(str(where / "fv-backups"), Path)
    state: dict[str, Any] = {}

    def dump() -> None:
        backup_id = f"b{time.perf_counter_ns()}"
        files = online_snapshot.dump(store, target, backup_id)
        state["manifest"] = Manifest(
            backup_id, PROJECT, "", "", "", 0, store.type_name, ["online"], None, None, files=files
        )

    def load() -> None:
        online_snapshot.load(store, target, state["manifest"])

    if server == "wiped":  # a recovery: the server lost every key (removed untimed before each restore)
        load.prepare = partial(store.drop, TABLE)  # type: ignore[attr-defined]
    return dump, load


def run_backend(backend: str, n: int, repeat: int, redis_server: str = "dedicated") -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-recovery-") as scratch:
        where = Path(scratch)
        store = build(backend, where)
        keys, values = records(n)
        for start in range(0, n, 50_000):
            store.write(TABLE, keys[start : start + 50_000], values[start : start + 50_000])
        del keys, values
        server = {"server": redis_server} if backend == "redis" else {}
        fv_dump, fv_load = featurevault_ops(store, where, **server)
        floor_dump, floor_load = FLOORS[backend](store, where, **server)
        ops = [
            ("fv_backup", fv_dump),
            ("floor_backup", floor_dump),
            ("fv_restore", fv_load),
            ("floor_restore", floor_load),
        ]
        if hasattr(floor_load, "page_copy"):
            ops += [("page_copy_backup", floor_dump.page_copy), ("page_copy_restore", floor_load.page_copy)]
        times: dict[str, list[float]] = {name: [] for name, _ in ops}
        for _, op in ops:  # untimed warm-up: imports, caches, first connects
            op()
        for _ in range(repeat):  # interleaved A B A B
            for name, op in ops:
                if hasattr(op, "prepare"):
                    op.prepare()
                began = time.perf_counter()
                op()
                times[name].append(time.perf_counter() - began)
        if hasattr(floor_load, "cleanup"):
            floor_load.cleanup()
        store.drop(TABLE)
        if backend == "postgres":
            import psycopg

            with psycopg.connect(host="127.0.0.1", dbname="test", user="postgres", autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "benchrec_{RUN}" CASCADE')
        store.close()
    rate = {k: n / statistics.median(v) for k, v in times.items()}
    return {
        "backend": backend,
        **({"redis_server": redis_server} if backend == "redis" else {}),
        "records": n,
        "repeat": repeat,
        "backup_records_per_s": round(rate["fv_backup"]),
        "floor_dump_records_per_s": round(rate["floor_backup"]),
        "backup_ratio": round(rate["fv_backup"] / rate["floor_backup"], 2),
        "restore_records_per_s": round(rate["fv_restore"]),
        "floor_load_records_per_s": round(rate["floor_restore"]),
        "restore_ratio": round(rate["fv_restore"] / rate["floor_restore"], 2),
        **(
            {
                "page_copy_dump_records_per_s": round(rate["page_copy_backup"]),
                "page_copy_load_records_per_s": round(rate["page_copy_restore"]),
                "backup_ratio_to_page_copy": round(rate["fv_backup"] / rate["page_copy_backup"], 2),
                "restore_ratio_to_page_copy": round(rate["fv_restore"] / rate["page_copy_restore"], 2),
            }
            if "page_copy_restore" in rate
            else {}
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,redis,postgres")
    parser.add_argument(
        "--redis-server",
        choices=REDIS_SERVERS,
        default="dedicated",
        help="what the Redis database holds besides the table: "
        + "; ".join(f"{k}: {v}" for k, v in REDIS_SERVERS.items()),
    )
    args = parser.parse_args()
    results = []
    for backend in args.backends.split(","):
        results.append(run_backend(backend, args.records, args.repeat, args.redis_server))
        print(json.dumps(results[-1]), flush=True)
    print(
        "\n| backend | records | backup rec/s | floor dump rec/s | ratio | restore rec/s | floor load rec/s | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['backend']}{' (' + r['redis_server'] + ')' if 'redis_server' in r else ''} | {r['records']:,} | {r['backup_records_per_s']:,} | {r['floor_dump_records_per_s']:,} | "
            f"{r['backup_ratio']} | {r['restore_records_per_s']:,} | {r['floor_load_records_per_s']:,} | "
            f"{r['restore_ratio']} |"
        )
    for r in results:
        if "page_copy_load_records_per_s" in r:
            print(
                f"\n{r['backend']}: page copy (backup API) {r['page_copy_dump_records_per_s']:,} rec/s out, "
                f"{r['page_copy_load_records_per_s']:,} rec/s back; backup ratio to it "
                f"{r['backup_ratio_to_page_copy']}, restore ratio to it {r['restore_ratio_to_page_copy']}"
            )


if __name__ == "__main__":
    main()
