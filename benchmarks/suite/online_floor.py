"""The online-read floor of the standalone benchmarks: the store's own driver fetching the packed
records by key, then a msgpack decode, nothing else.

``features_reader(fetch, names)`` turns a ``fetch(keys) -> records`` of any store into the
column dict a read answers with; ``sqlite_fetch``, ``redis_fetch`` and ``postgres_fetch`` are the
fetches (one ``SELECT .. IN``, one ``MGET``, one ``= ANY``). The suite's floor
(:mod:`benchmarks.suite.floor`) reads its own record layout the same way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack

Fetch = Callable[[list[bytes]], list[bytes | None]]
Reader = Callable[[list[int]], Any]


def sqlite_fetch(db_path: Path, table: str) -> Fetch:
    """Records of ``table`` (quoted as SQLite needs) by key, one ``SELECT .. WHERE key IN (..)``."""
    conn = sqlite3.connect(db_path, isolation_level=None)

    def fetch(keys: list[bytes]) -> list[bytes | None]:
        marks = ",".join("?" * len(keys))
        found = dict(conn.execute(f"SELECT key, record FROM {table} WHERE key IN ({marks})", keys).fetchall())
        return [found.get(k) for k in keys]

    return fetch


def redis_fetch(namespace: bytes, host: str = "127.0.0.1", port: int = 6379) -> Fetch:
    """Records under ``namespace + key``, one ``MGET``."""
    import redis

    client = redis.Redis(host, port)

    def fetch(keys: list[bytes]) -> list[bytes | None]:
        return client.mget([namespace + k for k in keys])

    return fetch


def postgres_fetch(dsn: str, schema: str, table: str) -> Fetch:
    """Records of ``schema.table`` by key, one prepared ``SELECT .. WHERE key = ANY(%s)`` (binary)."""
    import psycopg
    import psycopg.sql

    conn = psycopg.connect(dsn, autocommit=True)
    query = psycopg.sql.SQL("SELECT key, record FROM {} WHERE key = ANY(%s)").format(
        psycopg.sql.Identifier(schema, table)
    )

    def fetch(keys: list[bytes]) -> list[bytes | None]:
        with conn.cursor(binary=True) as cur:
            cur.execute(query, (keys,), prepare=True)
            found = dict(cur.fetchall())
        return [found.get(k) for k in keys]

    return fetch


def decode_all(records: list[bytes | None]) -> list[Any]:
    unpackb = msgpack.unpackb
    return [None if r is None else unpackb(r) for r in records]


def features_reader(fetch: Fetch, names: list[str], key_column: str = "user_id") -> Reader:
    """``read(ids)``: the packed keys fetched, each record decoded, its features as columns."""
    packb, unpackb = msgpack.packb, msgpack.unpackb
    width = len(names)

    def read(ids: list[int]) -> dict[str, list[Any]]:
        records = fetch([packb([i]) for i in ids])
        rows = [unpackb(r)[2:] if r is not None else [None] * width for r in records]
        return {key_column: ids, **{name: [r[j] for r in rows] for j, name in enumerate(names)}}

    return read


__all__ = ["Fetch", "Reader", "decode_all", "features_reader", "postgres_fetch", "redis_fetch", "sqlite_fetch"]
