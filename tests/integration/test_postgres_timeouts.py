"""PostgreSQL statement timeouts (reads and writes each their own) and a quiet terminal at shutdown."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from featurevault.errors import BackendUnavailableError, DataSourceError

pytestmark = pytest.mark.integration

PG = {"host": "127.0.0.1", "port": 5432, "database": "test", "user": "postgres"}
SRC = str(Path(__file__).resolve().parents[2] / "src")


def admin() -> Any:
    import psycopg

    return psycopg.connect(host=PG["host"], port=PG["port"], dbname=PG["database"], user=PG["user"], autocommit=True)


@pytest.fixture
def schema() -> Iterator[str]:
    name = f"fvtimeout_{uuid.uuid4().hex[:10]}"
    yield name
    with admin() as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def online_store(schema: str, **options: Any) -> Any:
    from featurevault._backends.online import postgres

    return postgres.Store(postgres.Config(**PG, db_schema=schema, **options), project="timeouts")


def hold_lock(qualified: str, mode: str, seconds: float) -> tuple[threading.Thread, threading.Event]:
    """Another client holds ``mode`` on a table for ``seconds``; the event is set once it holds it."""
    held = threading.Event()

    def run() -> None:
        with admin() as conn, conn.transaction():
            conn.execute(f"LOCK TABLE {qualified} IN {mode} MODE")
            held.set()
            time.sleep(seconds)

    thread = threading.Thread(target=run)
    thread.start()
    assert held.wait(10)
    return thread, held


def pg_table(store: Any, table: str) -> str:
    from featurevault._backends.online.postgres import table_name

    return f'"{store.config.db_schema}"."{table_name(store.project, table)}"'


def test_default_timeouts_suit_reads_and_writes() -> None:
    from featurevault._backends.offline.postgres_source import PostgresConnection
    from featurevault._backends.online import postgres

    config = postgres.Config()
    assert config.read_timeout_seconds == 0.5 and config.write_timeout_seconds == 30.0
    assert PostgresConnection().statement_timeout_seconds == 600.0


def test_a_drop_waiting_on_a_lock_gets_the_write_timeout_not_the_read_one(schema: str) -> None:
    store = online_store(schema, read_timeout_seconds=0.2, write_timeout_seconds=20)
    try:
        store.write("fv", [b"k"], [b"v"])
        thread, _ = hold_lock(pg_table(store, "fv"), "ACCESS SHARE", 1.5)
        store.drop("fv")  # waits for the lock (1.5 s), well past the 0.2 s read timeout
        thread.join()
        assert store.tables() == []
    finally:
        store.close()


def test_a_write_blocked_past_its_timeout_fails_naming_the_setting(schema: str) -> None:
    store = online_store(schema, write_timeout_seconds=1)
    try:
        store.write("fv", [b"k"], [b"v"])
        thread, _ = hold_lock(pg_table(store, "fv"), "EXCLUSIVE", 6)
        start = time.monotonic()
        with pytest.raises(BackendUnavailableError) as info:
            store.write("fv", [b"k"], [b"v2"])
        elapsed = time.monotonic() - start
        thread.join()
        assert elapsed < 5, elapsed  # 1 s, with room for a loaded machine; the default would be 30 s
        assert "timed out after 1s (online_store.write_timeout_seconds)" in str(info.value)
        assert store.read("fv", [b"k"]) == [b"v"]  # nothing half-written
    finally:
        store.close()


def test_offline_source_reads_have_a_statement_timeout() -> None:
    from featurevault._backends.offline.postgres_source import PostgresConnection, read_postgres_source
    from featurevault._model import PostgreSQLSource

    source = PostgreSQLSource(
        name="slow", query="SELECT 1 AS driver_id, now() AS ts FROM pg_sleep(5)", timestamp_field="ts"
    )
    connection = PostgresConnection(**{k: v for k, v in PG.items()}, statement_timeout_seconds=0.5)
    start = time.monotonic()
    with pytest.raises(DataSourceError) as info:
        read_postgres_source(source, connection=connection).read_all()
    assert time.monotonic() - start < 4
    assert "offline_store.postgres.statement_timeout_seconds" in str(info.value)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("close", [True, False], ids=["closed", "left-open"])
def test_pool_warnings_never_reach_the_terminal(schema: str, close: bool) -> None:
    script = textwrap.dedent(f"""
        import time
        from featurevault._backends.online import postgres
        from featurevault.errors import FeatureVaultError

        down = postgres.Store(postgres.Config(host="127.0.0.1", port={_closed_port()}, database="test",
                              user="postgres", db_schema="{schema}", min_conn=2), project="p")
        up = postgres.Store(postgres.Config(host="127.0.0.1", port=5432, database="test", user="postgres",
                            db_schema="{schema}", min_conn=2), project="p")
        up.write("fv", [b"k"], [b"v"])
        try:
            down.read("fv", [b"k"])
        except FeatureVaultError as exc:
            print("refused:", exc)
        time.sleep(1.5)  # the pool retries in the background meanwhile
        if {close}:
            down.close()
            up.close()
    """)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert "refused:" in done.stdout
    assert done.stderr == ""
