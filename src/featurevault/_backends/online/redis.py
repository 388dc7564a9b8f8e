"""Redis online store: one string value (a packed record) per (feature view, entity key).

Keys are ``{key_prefix}{project}:{table}:{entity key bytes}``, so a project's
tables never share keys with another project's, and a table is the set of
keys under its namespace. A read of any number of keys is one ``MGET``
(split per hash slot on a cluster); writes go out as pipelined ``MSET``
chunks, or, with ``key_ttl_seconds``, as a Lua ``SET .. EX`` loop per chunk
(pipelined ``SET .. EX`` on a cluster, where one script cannot span slots).
Listing and dropping tables scan the namespace and ``UNLINK`` in batches.

Reads and writes use separate clients: reads fail fast (a few hundred ms),
bulk writes may take longer.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from contextlib import nullcontext
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import Field, field_validator

from featurevault._backends.online.base import Batches, Maintainable, OnlineStore
from featurevault._config import StrictModel
from featurevault.errors import BackendError, BackendUnavailableError, missing_dependency, one_line

try:
    import redis
    import redis.cluster
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise missing_dependency("redis", "redis") from exc

_pack_command: Callable[[tuple[Any, ...]], bytes] | None
try:  # packs a command in one C call (redis-py's own packer checks each argument in Python first)
    from hiredis import pack_command as _pack_command
except ImportError:  # pragma: no cover - depends on the environment
    _pack_command = None

logger = logging.getLogger(__name__)

SETTING = "online_store.connection_string"

# keys a restore's SCAN walks per call: fewer round trips, each blocking the server a few ms at most
_RESTORE_SCAN_COUNT = 20_000

# SET .. EX for every key of a chunk in one command (KEYS = keys, ARGV = ttl, records...)
_SET_EX_SCRIPT = "for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ARGV[1]) end return #KEYS"


class ConnectionSettings(StrictModel):
    """The parsed ``connection_string``: ``host:port[,host:port...][,password=..][,ssl=true][,db=0]``."""

    nodes: tuple[tuple[str, int], ...]
    password: str | None = None
    username: str | None = None
    ssl: bool = False
    db: int = 0


def parse_connection_string(text: str) -> ConnectionSettings:
    """Parse Feast's Redis connection string, naming the part that is wrong."""
    nodes: list[tuple[str, int]] = []
    options: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if "=" in part:
            key, _, value = part.partition("=")
            if key not in ("password", "username", "ssl", "db"):
                raise ValueError(f"unknown option {key!r} (known: password, username, ssl, db)")
            options[key] = value
            continue
        host, sep, port = part.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"{part!r} is not host:port")
        nodes.append((host.strip("[]"), int(port)))
    if not nodes:
        raise ValueError("no host:port given")
    ssl = options.get("ssl", "false").lower()
    if ssl not in ("true", "false"):
        raise ValueError(f"ssl={options['ssl']!r} must be true or false")
    if not options.get("db", "0").isdigit():
        raise ValueError(f"db={options['db']!r} must be a number")
    return ConnectionSettings(
        nodes=tuple(nodes),
        password=options.get("password"),
        username=options.get("username"),
        ssl=ssl == "true",
        db=int(options.get("db", "0")),
    )


class Config(StrictModel):
    """``online_store: {type: redis, connection_string, redis_type, key_ttl_seconds, key_prefix}``."""

    #: the store type
    type: Literal["redis"] = "redis"
    #: `host:port[,password=...,ssl=true,db=N]`, or a redis:// URL
    connection_string: str = "localhost:6379"
    #: a single server or a Redis Cluster
    redis_type: Literal["redis", "redis_cluster"] = "redis"
    #: Redis expiry set on every key written; none: no expiry
    key_ttl_seconds: int | None = Field(default=None, gt=0)
    #: prefix of every key (to share a server between projects)
    key_prefix: str = ""
    #: removing a view scans the keys to delete its fields
    full_scan_for_deletion: bool = True  # accepted for Feast configs; deletion always scans
    #: opening a connection fails after this
    connect_timeout_seconds: float = Field(default=0.5, gt=0)
    #: each read fails after this
    read_timeout_seconds: float = Field(default=0.3, gt=0)
    #: each write batch fails after this
    write_timeout_seconds: float = Field(default=30.0, gt=0)
    #: records per pipelined write batch
    write_batch_size: int = Field(default=2_000, ge=1)
    #: connections the client pool opens at most
    max_connections: int = Field(default=32, ge=1)

    @field_validator("connection_string")
    @classmethod
    def _parses(cls, value: str) -> str:
        parse_connection_string(value)
        return value

    @property
    def settings(self) -> ConnectionSettings:
        return parse_connection_string(self.connection_string)


class Store(OnlineStore, Maintainable):
    """Records of one project in Redis (single node or cluster)."""

    type_name = "redis"
    atomic_swap = False

    def __init__(self, config: Config, project: str) -> None:
        self.config = config
        self.project = project
        self.settings = config.settings
        self._base = f"{config.key_prefix}{project}:".encode()

    @classmethod
    def from_config(cls, config: Any, *, project: str, resolve: Callable[[str], Path]) -> Store:
        return cls(config if isinstance(config, Config) else Config.model_validate(config), project)

    # -- clients ----------------------------------------------------------------------------

    @property
    def cluster(self) -> bool:
        return self.config.redis_type == "redis_cluster"

    def _make_client(self, timeout: float) -> Any:
        s = self.settings
        common: dict[str, Any] = {
            "password": s.password,
            "username": s.username,
            "ssl": s.ssl,
            "socket_timeout": timeout,
            "socket_connect_timeout": self.config.connect_timeout_seconds,
            "max_connections": self.config.max_connections,
        }
        # one immediate retry, on a fresh connection, of a connection the server closed
        retry = Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))
        if self.cluster:
            nodes = [redis.cluster.ClusterNode(host, port) for host, port in s.nodes]
            return redis.cluster.RedisCluster(startup_nodes=nodes, retry=retry, **common)
        host, port = s.nodes[0]
        return redis.Redis(host=host, port=port, db=s.db, retry=retry, health_check_interval=0, **common)

    @cached_property
    def _reader(self) -> Any:
        return self._client_or_error(self.config.read_timeout_seconds)

    @cached_property
    def _writer(self) -> Any:
        return self._client_or_error(self.config.write_timeout_seconds)

    def _client_or_error(self, timeout: float) -> Any:
        try:  # a cluster client connects when built, to learn the slot map
            return self._make_client(timeout)
        except redis.RedisError as exc:
            raise self._failure(exc, "connect", "connect_timeout_seconds") from None

    def _failure(self, exc: BaseException, action: str, timeout_key: str) -> BackendError:
        """One line naming the setting to check."""
        text = one_line(exc) or type(exc).__name__
        lowered = text.lower()
        where = self.describe()
        if isinstance(exc, redis.AuthenticationError) or "auth" in lowered or "wrongpass" in lowered:
            return BackendError(f"{where}: password rejected ({SETTING} password=...): {text}")
        if "db index is out of range" in lowered:
            return BackendError(f"{where}: database {self.settings.db} does not exist ({SETTING} db=...): {text}")
        if "ssl" in lowered or "tls" in lowered or "certificate" in lowered:
            return BackendError(f"{where}: TLS negotiation failed ({SETTING} ssl=...): {text}")
        hint = f"; is {SETTING} ssl={str(self.settings.ssl).lower()} right?" if self.settings.ssl else ""
        if isinstance(exc, redis.TimeoutError):
            seconds = getattr(self.config, timeout_key)
            return BackendUnavailableError(
                f"{where}: {action} timed out after {seconds:g}s (online_store.{timeout_key}){hint}"
            )
        if isinstance(exc, redis.ConnectionError):
            return BackendUnavailableError(f"{where}: {action} failed, server unreachable: {text}{hint}")
        return BackendError(f"{where}: {action} failed: {text}")

    # -- keys -------------------------------------------------------------------------------

    def _namespace(self, table: str) -> bytes:
        return self._base + table.encode() + b":"

    def _scan(self, pattern: bytes) -> Iterator[bytes]:
        return cast(Iterator[bytes], self._writer.scan_iter(match=pattern, count=1_000))

    # -- reads and writes -------------------------------------------------------------------

    def read(self, table: str, keys: Sequence[bytes]) -> list[bytes | None]:
        if not keys:
            return []
        ns = self._namespace(table)
        full = [ns + k for k in keys]
        try:
            if self.cluster:
                return cast(list[bytes | None], self._reader.mget_nonatomic(full))
            return cast(list[bytes | None], self._reader.mget(full))
        except redis.RedisError as exc:
            raise self._failure(exc, "read", "read_timeout_seconds") from None

    def write(self, table: str, keys: Sequence[bytes], records: Sequence[bytes]) -> None:
        self.check_aligned(table, keys, records)
        if not keys:
            return
        ns = self._namespace(table)
        self._write_full([ns + k for k in keys], records)

    def _write_full(self, keys: list[bytes], records: Sequence[bytes]) -> None:
        try:
            if self.cluster:
                self._write_cluster(keys, records)
            else:
                self._write_single(keys, records)
        except redis.RedisError as exc:
            raise self._failure(exc, "write", "write_timeout_seconds") from None

    def _write_single(self, keys: list[bytes], records: Sequence[bytes]) -> None:
        ttl = self.config.key_ttl_seconds
        step = self.config.write_batch_size
        flush_every = max(1, 100_000 // step)  # bound the pipeline's buffer to ~100k records
        pipe = self._writer.pipeline(transaction=False)
        for n, start in enumerate(range(0, len(keys), step), start=1):
            chunk_keys = keys[start : start + step]
            chunk_records = list(records[start : start + step])
            if ttl is None:
                flat: list[bytes] = [b""] * (2 * len(chunk_keys))
                flat[0::2] = chunk_keys
                flat[1::2] = chunk_records
                pipe.execute_command("MSET", *flat)
            else:
                pipe.execute_command("EVAL", _SET_EX_SCRIPT, len(chunk_keys), *chunk_keys, ttl, *chunk_records)
            if n % flush_every == 0:
                pipe.execute()
        pipe.execute()

    def _write_cluster(self, keys: list[bytes], records: Sequence[bytes]) -> None:
        ttl = self.config.key_ttl_seconds
        step = self.config.write_batch_size * 10
        for start in range(0, len(keys), step):
            pipe = self._writer.pipeline()
            for key, record in zip(keys[start : start + step], records[start : start + step]):
                pipe.set(key, record, ex=ttl)
            pipe.execute()

    # -- tables -----------------------------------------------------------------------------

    def tables(self) -> list[str]:
        pattern = _glob_escape(self._base) + b"*"
        found: set[bytes] = set()
        skip = len(self._base)
        try:
            for key in self._scan(pattern):
                found.add(key[skip:].split(b":", 1)[0])
        except redis.RedisError as exc:
            raise self._failure(exc, "listing tables", "write_timeout_seconds") from None
        return sorted(t.decode() for t in found)

    def drop(self, table: str) -> None:
        pattern = _glob_escape(self._namespace(table)) + b"*"
        batch: list[bytes] = []
        try:
            for key in self._scan(pattern):
                batch.append(key)
                if len(batch) >= 1_000:
                    self._writer.unlink(*batch)
                    batch.clear()
            if batch:
                self._writer.unlink(*batch)
        except redis.RedisError as exc:
            raise self._failure(exc, f"dropping {table!r}", "write_timeout_seconds") from None

    # -- maintenance (backups, rebuilds, erasure) -------------------------------------------

    def scan(self, table: str, batch_size: int = 10_000) -> Iterator[tuple[list[bytes], list[bytes]]]:
        """SCAN the namespace and MGET each batch: records written during the scan may or may not be seen."""
        ns = self._namespace(table)
        skip = len(ns)
        batch: list[bytes] = []
        try:
            for key in self._scan(_glob_escape(ns) + b"*"):
                batch.append(key)
                if len(batch) >= batch_size:
                    yield self._fetch(batch, skip)
                    batch = []
            if batch:
                yield self._fetch(batch, skip)
        except redis.RedisError as exc:
            raise self._failure(exc, f"scanning {table!r}", "write_timeout_seconds") from None

    def scan_keys(self, table: str, batch_size: int = 10_000) -> Iterator[list[bytes]]:
        """SCAN the namespace for keys only (a restore looks for stale keys without fetching any record)."""
        ns = self._namespace(table)
        skip = len(ns)
        batch: list[bytes] = []
        try:
            for key in self._writer.scan_iter(match=_glob_escape(ns) + b"*", count=batch_size):
                batch.append(key[skip:])
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
            if batch:
                yield batch
        except redis.RedisError as exc:
            raise self._failure(exc, f"scanning {table!r}", "write_timeout_seconds") from None

    def restore_in_place(
        self, loads: Mapping[str, Batches], progress: Callable[[str, int], None] | None = None
    ) -> dict[str, int]:
        """The keys the project holds are listed whole (no per-key split by table) before anything is
        written; the batches go out as one stream of ``MSET`` chunks (:class:`_MsetStream`), each
        struck off that list by its full keys, and what remains in the restored tables' namespaces is
        unlinked at the end."""
        restored = {table.encode() for table in loads}
        held = self._project_keys()
        written = {}
        streamed = not self.cluster and self.config.key_ttl_seconds is None
        with _MsetStream(self) if streamed else nullcontext() as stream:
            for table, batches in loads.items():
                ns = self._namespace(table)
                count = 0
                for keys, records in batches():
                    full = [ns + k for k in keys]
                    if stream is None:
                        self._write_full(full, records)
                    else:
                        stream.send(full, records)
                    held.difference_update(full)
                    count += len(full)
                    if progress is not None:
                        progress(table, count)
                written[table] = count
        skip = len(self._base)
        stale = [key for key in held if key[skip:].partition(b":")[0] in restored]  # other tables' keys stay
        for start in range(0, len(stale), 10_000):
            self._unlink(stale[start : start + 10_000], "removing stale keys")
        return written

    def _project_keys(self) -> set[bytes]:
        """Every key of the project, full: one SCAN walk of the keyspace, each reply added whole.

        A database that holds no key at all (a server wiped before a recovery) is not walked."""
        pattern = _glob_escape(self._base) + b"*"
        held: set[bytes] = set()
        try:
            if not self.cluster and self._writer.dbsize() == 0:
                return held
            if self.cluster:
                held.update(self._writer.scan_iter(match=pattern, count=_RESTORE_SCAN_COUNT))
                return held
            cursor = 0
            while True:
                cursor, keys = self._writer.scan(cursor, match=pattern, count=_RESTORE_SCAN_COUNT)
                held.update(keys)
                if cursor == 0:
                    return held
        except redis.RedisError as exc:
            raise self._failure(exc, "scanning the project's keys", "write_timeout_seconds") from None

    def _unlink(self, keys: list[bytes], action: str) -> int:
        try:
            if self.cluster:
                return sum(int(self._writer.unlink(key)) for key in keys)
            return int(self._writer.unlink(*keys))
        except redis.RedisError as exc:
            raise self._failure(exc, action, "write_timeout_seconds") from None

    def _fetch(self, full: list[bytes], skip: int) -> tuple[list[bytes], list[bytes]]:
        values = self._writer.mget_nonatomic(full) if self.cluster else self._writer.mget(full)
        pairs = [(k[skip:], v) for k, v in zip(full, values) if v is not None]  # expired since the scan
        return [k for k, _ in pairs], [v for _, v in pairs]

    def delete(self, table: str, keys: Sequence[bytes]) -> int:
        if not keys:
            return 0
        ns = self._namespace(table)
        return self._unlink([ns + key for key in keys], f"deleting from {table!r}")

    def swap_in(self, staging: str, table: str) -> None:
        """Overwrite each key of ``table`` from ``staging`` (each SET is atomic), then remove stale keys.

        Redis cannot rename a whole key namespace at once, so the swap is per key:
        a reader sees the old or the new record of every key, never a missing one.
        """
        kept: set[bytes] = set()
        for keys, records in self.scan(staging):
            self.write(table, keys, records)
            kept.update(keys)
            self.delete(staging, keys)
        stale: list[bytes] = []
        for keys, _ in self.scan(table):
            stale.extend(k for k in keys if k not in kept)
        for start in range(0, len(stale), 1_000):
            self.delete(table, stale[start : start + 1_000])
        self.drop(staging)

    def ping(self) -> None:
        try:
            self._reader.ping()
        except redis.RedisError as exc:
            raise self._failure(exc, "ping", "read_timeout_seconds") from None

    def close(self) -> None:
        for name in ("_reader", "_writer"):
            client = self.__dict__.pop(name, None)
            if client is not None:
                client.close()

    def describe(self) -> str:
        nodes = ",".join(f"{h}:{p}" for h, p in self.settings.nodes)
        kind = "redis cluster" if self.cluster else "redis"
        return f"{kind} online store {nodes} db {self.settings.db} prefix {self.config.key_prefix!r}"


class _MsetStream:
    """``MSET`` chunks on one connection for a whole restore, each sent as soon as it is packed; a reply
    is read once more than ``window`` chunks are outstanding, so the server applies one chunk while the
    client packs the next, across the snapshot's batches too. The unanswered chunks are kept: a
    connection the server closes is replaced once and they are sent again (``MSET`` can be repeated)."""

    def __init__(self, store: Store, window: int = 16) -> None:
        self.store = store
        self.window = window
        self.step = store.config.write_batch_size
        self.pool = store._writer.connection_pool
        self.conn: Any = None
        self.unanswered: deque[list[bytes]] = deque()
        self.retried = False

    def __enter__(self) -> _MsetStream:
        try:
            self.conn = self.pool.get_connection()
        except redis.RedisError as exc:
            raise self.store._failure(exc, "write", "write_timeout_seconds") from None
        return self

    def send(self, keys: list[bytes], records: Sequence[bytes]) -> None:
        for start in range(0, len(keys), self.step):
            chunk = keys[start : start + self.step]
            flat: list[bytes] = [b""] * (2 * len(chunk))
            flat[0::2] = chunk
            flat[1::2] = records[start : start + self.step]
            packed = (
                self.conn.pack_command("MSET", *flat) if _pack_command is None else [_pack_command(("MSET", *flat))]
            )
            self.unanswered.append(packed)
            self._io(partial(self.conn.send_packed_command, packed, check_health=False))
            while len(self.unanswered) > self.window:
                self._io(self._answer)

    def _answer(self) -> None:
        self.conn.read_response()
        self.unanswered.popleft()

    def _io(self, step: Callable[[], None]) -> None:
        try:
            step()
        except redis.ConnectionError as exc:
            if self.retried:
                raise self.store._failure(exc, "write", "write_timeout_seconds") from None
            self.retried = True
            self.conn.disconnect()
            try:  # the step's own chunk is among them, unless it was a reply that was lost
                for packed in self.unanswered:
                    self.conn.send_packed_command(packed, check_health=False)
            except redis.RedisError as again:
                raise self.store._failure(again, "write", "write_timeout_seconds") from None
        except redis.RedisError as exc:
            raise self.store._failure(exc, "write", "write_timeout_seconds") from None

    def __exit__(self, kind: type[BaseException] | None, *_: Any) -> None:
        try:
            if kind is None:
                while self.unanswered:
                    self._io(self._answer)
            else:
                self.conn.disconnect()  # replies may be left unread on it
        except BaseException:
            self.conn.disconnect()
            raise
        finally:
            self.pool.release(self.conn)


_GLOB_SPECIAL = re.compile(rb"([*?\[\]\\])")


def _glob_escape(text: bytes) -> bytes:
    return _GLOB_SPECIAL.sub(rb"\\\1", text)
