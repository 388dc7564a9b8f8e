"""The PostgreSQL audit sink against the real server: chain, concurrency, tampering, fail-closed."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from featurevault.errors import AuditError
from featurevault._governance.audit import AuditLog, make_record
from featurevault._governance.audit_verify import verify_chain
from featurevault._governance.audit_sinks import PostgresSink

pytestmark = pytest.mark.integration

DSN = "postgresql://root@127.0.0.1:5432/test"


@pytest.fixture
def table() -> Iterator[str]:
    name = f"audit_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {name}")


def _record(i: int, principal: str = "alice") -> dict:
    resource = [f"feature_view:v{i}"]
    return make_record(principal=principal, roles=["r"], action="READ_ONLINE", resource=resource, outcome="ok")


def test_postgres_chain_from_concurrent_writers(table: str) -> None:
    logs = [AuditLog(PostgresSink(DSN, table), flush_interval_ms=5, buffer_size=50) for _ in range(3)]

    def write(log: AuditLog, who: str) -> None:
        for i in range(40):
            log.record(_record(i, who))
        log.flush()

    threads = [threading.Thread(target=write, args=(log, f"p{n}")) for n, log in enumerate(logs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for log in logs:
        log.close()
    sink = PostgresSink(DSN, table)
    records = list(sink.read())
    assert len(records) == 120 and [r["seq"] for r in records] == list(range(1, 121))
    assert verify_chain(records).ok
    assert len(sink.query(principal="p1")) == 40
    sink.close()


def test_postgres_tampering_is_detected(table: str) -> None:
    sink = PostgresSink(DSN, table)
    sink.append([_record(i) for i in range(6)])
    with psycopg.connect(DSN, autocommit=True) as conn:
        line = conn.execute(f"SELECT line FROM {table} WHERE seq = 3").fetchone()[0]
        edited = json.loads(line)
        edited["principal"] = "mallory"
        conn.execute(f"UPDATE {table} SET line = %s WHERE seq = 3", (json.dumps(edited),))
    result = verify_chain(sink.read())
    assert not result.ok and result.bad_seq == 3
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(f"UPDATE {table} SET line = %s WHERE seq = 3", (line,))
        conn.execute(f"DELETE FROM {table} WHERE seq = 4")
    result = verify_chain(sink.read())
    assert not result.ok and result.bad_seq == 5 and "removed" in result.problem
    with psycopg.connect(DSN, autocommit=True) as conn:
        two = conn.execute(f"SELECT line FROM {table} WHERE seq = 2").fetchone()[0]
        five = conn.execute(f"SELECT line FROM {table} WHERE seq = 5").fetchone()[0]
        conn.execute(f"UPDATE {table} SET line = %s WHERE seq = 2", (five,))
        conn.execute(f"UPDATE {table} SET line = %s WHERE seq = 5", (two,))
    assert not verify_chain(sink.read()).ok
    sink.close()


def test_postgres_down_fails_closed(table: str) -> None:
    down = PostgresSink("postgresql://root@127.0.0.1:1/test", table, connect_timeout=1)
    log = AuditLog(down, fail_closed=True)
    with pytest.raises(AuditError, match="fail_closed"):
        log.ensure_available()
    log.close()


def test_injection_in_records_is_stored_as_data(table: str) -> None:
    sink = PostgresSink(DSN, table)
    evil = "x'); DROP TABLE " + table + "; --"
    sink.append([make_record(principal=evil, roles=[evil], action="READ_ONLINE", resource=[evil], outcome="denied")])
    (record,) = sink.read()
    assert record["principal"] == evil and verify_chain([record]).ok
    sink.close()
