"""Where audit records are stored: a JSON-lines file (rotated by size) or a PostgreSQL table.

A sink appends a batch atomically with respect to other writers (a file lock,
or a transaction-scoped advisory lock), continuing the chain from whatever is
stored last, so several processes can share one trail.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from featurevault._config import AuditConfig
from featurevault.errors import AuditError, missing_dependency
from featurevault._governance.audit_chain import GENESIS, filter_records, key_id, seal

logger = logging.getLogger(__name__)


class AuditSink:
    """Base: append sealed batches, read the trail back in order.

    With ``key`` set, records are chained with HMAC-SHA256 under it (see audit_chain).
    """

    key: bytes | None = None

    def _seal(
        self, records: list[dict[str, Any]], last: dict[str, Any], lines: list[bytes] | None = None
    ) -> list[dict[str, Any]]:
        """``records`` chained after ``last``; refuses to continue a keyed trail without its key."""
        if self.key is None and "key_id" in last:
            raise AuditError(
                f"audit trail {self.describe()} is keyed (key id {last['key_id']}) but no audit key is set; "
                "set FEATUREVAULT_AUDIT_KEY (or audit.key_file) to the trail's key"
            )
        if self.key is not None and last.get("key_id") not in (None, key_id(self.key)):
            raise AuditError(
                f"audit trail {self.describe()} is keyed with key id {last['key_id']}, "
                f"not with the audit key set here (key id {key_id(self.key)})"
            )
        return seal(records, last.get("seq", 0), last.get("hash", GENESIS), self.key, lines)

    def append(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Seal and store ``records``; returns them sealed."""
        raise NotImplementedError

    def read(self) -> Iterator[dict[str, Any]]:
        raise NotImplementedError

    def query(self, **filters: Any) -> list[dict[str, Any]]:
        return list(filter_records(self.read(), **filters))

    def ping(self) -> None:
        """Raise AuditError when the sink cannot be written."""

    def close(self) -> None:
        pass

    def describe(self) -> str:
        return type(self).__name__


class NullSink(AuditSink):
    """``sink: none``: records are dropped (audit disabled)."""

    def append(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return records

    def read(self) -> Iterator[dict[str, Any]]:
        return iter(())


class FileSink(AuditSink):
    """JSON lines at ``path``; when it would pass ``max_bytes`` it becomes ``path.1`` (and so on)."""

    def __init__(
        self,
        path: Path,
        max_bytes: int,
        backups: int,
        key: bytes | None = None,
        on_discard: Callable[[int, str], None] | None = None,
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self.key = key
        #: told (seq, hash) of the newest record a rotation throws away, so a verifier knows
        #: the trail may legitimately start after it
        self.on_discard = on_discard
        self.lock_path = path.with_name(path.name + ".lock")

    def files(self) -> list[Path]:
        """The trail's files, oldest first."""
        rotated = [self.path.with_name(f"{self.path.name}.{i}") for i in range(self.backups, 0, -1)]
        return [p for p in [*rotated, self.path] if p.exists()]

    def ping(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.lock_path, "a"):
                pass
        except OSError as exc:
            raise AuditError(f"audit file {self.path} is not writable: {exc.strerror}") from None

    def append(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.ping()
        with open(self.lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                lines: list[bytes] = []
                sealed = self._seal(records, self._last_record(), lines)
                self._write_lines(lines)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return sealed

    def _write_lines(self, lines: list[bytes]) -> None:
        """Append lines, rotating first whenever the next line would pass ``max_bytes``."""
        size = self.path.stat().st_size if self.path.exists() else 0
        chunk: list[bytes] = []
        for line in lines:
            if size and size + len(line) > self.max_bytes:
                self._append(chunk)
                chunk, size = [], 0
                self._rotate()
            chunk.append(line)
            size += len(line)
        self._append(chunk)

    def _append(self, chunk: list[bytes]) -> None:
        if chunk:
            with open(self.path, "ab") as out:
                out.write(b"".join(chunk))

    def _rotate(self) -> None:
        oldest = self.path if self.backups == 0 else self.path.with_name(f"{self.path.name}.{self.backups}")
        if oldest.exists():
            self._discarding(oldest)
        if self.backups == 0:
            self.path.unlink()
            return
        for i in range(self.backups - 1, 0, -1):
            src = self.path.with_name(f"{self.path.name}.{i}")
            if src.exists():
                os.replace(src, self.path.with_name(f"{self.path.name}.{i + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))

    def _discarding(self, path: Path) -> None:
        if self.on_discard is None:
            return
        try:
            last = json.loads(_last_line(path))
            self.on_discard(int(last["seq"]), str(last["hash"]))
        except Exception as exc:  # the rotation goes on; verify will then report the start as cut
            logger.error("audit: could not record the records rotation discards from %s (%s)", path, exc)

    def _last_record(self) -> dict[str, Any]:
        for path in reversed(self.files()):
            line = _last_line(path)
            if line:
                try:
                    record: dict[str, Any] = json.loads(line)
                    return record
                except json.JSONDecodeError:
                    raise AuditError(
                        f"audit file {path}: last line is not JSON; run 'featurevault audit verify'"
                    ) from None
        return {}

    def read(self) -> Iterator[dict[str, Any]]:
        for path in self.files():
            with open(path, "rb") as handle:
                for number, line in enumerate(handle, 1):
                    if line.strip():
                        try:
                            yield json.loads(line)
                        except json.JSONDecodeError:
                            yield {"seq": None, "_unparsable": f"{path.name}:{number}"}

    def describe(self) -> str:
        return f"file {self.path}"


def _last_line(path: Path) -> bytes:
    """The last non-empty line of a file, reading backwards in blocks."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        block, data = 65536, b""
        while end > 0:
            start = max(0, end - block)
            handle.seek(start)
            data = handle.read(end - start) + data
            end = start
            stripped = data.rstrip(b"\n")
            if b"\n" in stripped:
                return stripped.rsplit(b"\n", 1)[1]
        return data.rstrip(b"\n")


class PostgresSink(AuditSink):
    """A table ``(seq, time, principal, action, line)``; ``line`` is the record's exact JSON."""

    def __init__(self, dsn: str, table: str, connect_timeout: float = 5.0, key: bytes | None = None) -> None:
        self.key = key
        self.dsn = dsn
        self.table = table  # validated as a plain identifier by AuditConfig
        self.connect_timeout = connect_timeout
        self._conn: Any = None
        self._created = False

    def _connect(self) -> Any:
        try:
            import psycopg
        except ImportError:
            raise missing_dependency("psycopg", "postgres") from None
        if self._conn is None or self._conn.closed:
            try:
                self._conn = psycopg.connect(self.dsn, connect_timeout=int(self.connect_timeout))
            except psycopg.Error as exc:
                raise AuditError(f"audit database unreachable: {exc}") from None
            self._created = False
        if not self._created:
            with self._conn.transaction():
                # Concurrent CREATE TABLE IF NOT EXISTS can still collide: serialise it like appends.
                self._conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.table,))
                self._conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.table} (seq BIGINT PRIMARY KEY, time TIMESTAMPTZ NOT NULL, "
                    "principal TEXT NOT NULL, action TEXT NOT NULL, line TEXT NOT NULL)"
                )
            self._created = True
        return self._conn

    def ping(self) -> None:
        import psycopg

        try:
            self._connect().execute("SELECT 1").fetchone()
            self._conn.rollback()
        except psycopg.Error as exc:
            self._drop()
            raise AuditError(f"audit database unreachable: {exc}") from None

    def append(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        import psycopg

        conn = self._connect()
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.table,))
                row = conn.execute(f"SELECT line FROM {self.table} ORDER BY seq DESC LIMIT 1").fetchone()
                sealed = self._seal(records, json.loads(row[0]) if row else {})
                with conn.cursor() as cur:
                    cur.executemany(
                        f"INSERT INTO {self.table} (seq, time, principal, action, line) VALUES (%s, %s, %s, %s, %s)",
                        [
                            (r["seq"], r["time"], r["principal"], r["action"], json.dumps(r, sort_keys=True))
                            for r in sealed
                        ],
                    )
        except psycopg.Error as exc:
            self._drop()
            raise AuditError(f"audit database write failed: {exc}") from None
        return sealed

    def read(self) -> Iterator[dict[str, Any]]:
        # Its own connection: the writer thread owns ``self._conn``.
        import psycopg

        try:
            with psycopg.connect(self.dsn, connect_timeout=int(self.connect_timeout)) as conn:
                exists = conn.execute("SELECT to_regclass(%s)", (self.table,)).fetchone()
                rows = (
                    conn.execute(f"SELECT line FROM {self.table} ORDER BY seq").fetchall()
                    if exists and exists[0]
                    else []
                )
        except psycopg.Error as exc:
            raise AuditError(f"audit database unreadable: {exc}") from None
        return (json.loads(r[0]) for r in rows)

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def close(self) -> None:
        self._drop()

    def describe(self) -> str:
        return f"postgres table {self.table}"


def build_sink(
    config: AuditConfig,
    resolve: Callable[[str], Path],
    key: bytes | None = None,
    on_discard: Callable[[int, str], None] | None = None,
) -> AuditSink:
    if config.sink == "none":
        return NullSink()
    if config.sink == "postgres":
        return PostgresSink(str(config.dsn), config.table, key=key)
    return FileSink(resolve(config.path), config.max_bytes, config.backups, key=key, on_discard=on_discard)
