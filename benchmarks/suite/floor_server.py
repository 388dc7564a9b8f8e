"""The serving floor: a hand-written asyncio HTTP/1.1 server over the floor's online records.

``python -m benchmarks.suite.floor_server --port P (--sqlite PATH | --redis-url URL --prefix P)``

It answers ``POST /get-online-features`` (the comparator's request and
response shape: one result per feature, values and statuses per entity) and
``GET /health``, with one store read and a msgpack decode per request and no
framework: the least work an online feature server can do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import struct
from typing import Any

import msgpack

from benchmarks.suite.definitions import JOIN_KEY


class RecordReader:
    def __init__(self, sqlite_path: str | None, redis_url: str | None, prefix: bytes) -> None:
        self.sqlite = sqlite3.connect(sqlite_path) if sqlite_path else None
        self.redis: Any = None
        if redis_url:
            import redis

            self.redis = redis.Redis.from_url(redis_url)
        self.prefix = prefix

    def read(self, ids: list[int]) -> list[list[Any] | None]:
        keys = [struct.pack(">q", i) for i in ids]
        if self.sqlite is not None:
            marks = ",".join("?" * len(keys))
            found = dict(self.sqlite.execute(f"SELECT k, v FROM records WHERE k IN ({marks})", keys).fetchall())
            raw = [found.get(k) for k in keys]
        else:
            raw = self.redis.mget([self.prefix + k for k in keys])
        return [msgpack.unpackb(r) if r is not None else None for r in raw]


def answer(reader: RecordReader, body: bytes) -> bytes:
    request = json.loads(body)
    ids = request["entities"][JOIN_KEY]
    names = [ref.split(":", 1)[1] for ref in request["features"]]
    records = reader.read(ids)
    results = [{"values": ids, "statuses": ["PRESENT"] * len(ids)}]
    for j in range(1, len(names) + 1):
        values = [r[j] if r is not None else None for r in records]
        statuses = ["PRESENT" if r is not None else "NOT_FOUND" for r in records]
        results.append({"values": values, "statuses": statuses})
    return json.dumps({"metadata": {"feature_names": [JOIN_KEY, *names]}, "results": results}).encode()


async def handle(reader: RecordReader, stream_in: asyncio.StreamReader, stream_out: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await stream_in.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path = lines[0].split()[:2]
            length = next((int(ln.split(":", 1)[1]) for ln in lines if ln.lower().startswith("content-length")), 0)
            body = await stream_in.readexactly(length) if length else b""
            status, payload = ("200 OK", b"{}") if path == "/health" else ("200 OK", answer(reader, body))
            if method == "POST" and path != "/get-online-features":
                status, payload = "404 Not Found", b"{}"
            stream_out.write(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
                + payload
            )
            await stream_out.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        stream_out.close()


async def main(args: argparse.Namespace) -> None:
    reader = RecordReader(args.sqlite, args.redis_url, args.prefix.encode())
    server = await asyncio.start_server(lambda r, w: handle(reader, r, w), "127.0.0.1", args.port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sqlite")
    parser.add_argument("--redis-url")
    parser.add_argument("--prefix", default="")
    asyncio.run(main(parser.parse_args()))
