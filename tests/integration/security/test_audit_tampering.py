"""An insider who can rewrite the audit trail (the file, or the PostgreSQL table), but holds neither the
audit key nor the registry, is caught: each kind of tampering is reported at the first bad record."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from featurevault._backends.registry.sqlite import Store as SqliteRegistry
from featurevault.errors import AuditError
from featurevault._governance.audit import AuditLog, make_record
from featurevault._governance.audit_anchor import TrailAnchor
from featurevault._governance.audit_chain import GENESIS, key_id, record_hash, seal
from featurevault._governance.audit_sinks import AuditSink, FileSink, PostgresSink
from featurevault._governance.audit_verify import Tamper, VerifyResult, verify_trail

pytestmark = pytest.mark.integration

DSN = "postgresql://root@127.0.0.1:5432/test"
KEY = b"audit-key-for-tests-0123456789abcdef"
WRONG = b"an-insiders-own-key-0123456789abcdef"
RECORDS = 30


def _record(i: int) -> dict[str, Any]:
    return make_record(
        principal=f"user{i}", roles=["r"], action="READ_ONLINE", resource=[f"feature_view:v{i}"], outcome="ok"
    )


class Trail:
    """A written trail and the attacker's handle on its storage (rewrite whole, in stored order)."""

    def __init__(self, sink: AuditSink, anchor: TrailAnchor, rewrite: Any) -> None:
        self.sink, self.anchor, self._rewrite = sink, anchor, rewrite

    def records(self) -> list[dict[str, Any]]:
        return list(self.sink.read())

    def rewrite(self, records: list[dict[str, Any]]) -> None:
        self._rewrite([json.dumps(r, sort_keys=True) for r in records])

    def verify(self, key: bytes | None = KEY) -> VerifyResult:
        return verify_trail(self.sink.read, key, self.anchor.load())


def _write(sink: AuditSink, anchor: TrailAnchor, count: int = RECORDS) -> None:
    log = AuditLog(sink, buffer_size=7, flush_interval_ms=5, anchor=anchor)  # several batches
    for i in range(count):
        log.record(_record(i))
    log.flush()
    log.close()


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[SqliteRegistry]:
    store = SqliteRegistry(tmp_path / "registry.db")
    yield store
    store.close()


@pytest.fixture(params=["file", "postgres"])
def trail(request: pytest.FixtureRequest, tmp_path: Path, registry: SqliteRegistry) -> Iterator[Trail]:
    anchor = TrailAnchor(registry, "p", checkpoint_every=10)
    if request.param == "file":
        sink: AuditSink = FileSink(tmp_path / "audit.jsonl", max_bytes=10_000_000, backups=0, key=KEY)

        def rewrite(lines: list[str]) -> None:
            sink.path.write_text("".join(line + "\n" for line in lines))  # type: ignore[attr-defined]

        _write(sink, anchor)
        yield Trail(sink, anchor, rewrite)
        return
    table = f"audit_{uuid.uuid4().hex[:12]}"
    sink = PostgresSink(DSN, table, key=KEY)

    def rewrite_table(lines: list[str]) -> None:
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(f"DELETE FROM {table}")
            for position, line in enumerate(lines, 1):
                conn.execute(
                    f"INSERT INTO {table} (seq, time, principal, action, line) VALUES (%s, now(), 'x', 'x', %s)",
                    (position, line),
                )

    _write(sink, anchor)
    try:
        yield Trail(sink, anchor, rewrite_table)
    finally:
        sink.close()
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {table}")


def _forged(after: dict[str, Any], count: int, start: int = 100) -> list[dict[str, Any]]:
    """Records chained after ``after`` that look genuine (the trail's key id, a fresh HMAC) but use another key."""
    made = seal([_record(start + i) for i in range(count)], after["seq"], after["hash"], WRONG)
    out, prev_hash = [], after["hash"]
    for record in made:
        record = {**record, "key_id": key_id(KEY), "prev_hash": prev_hash}
        record["hash"] = record_hash(record, WRONG)
        prev_hash = record["hash"]
        out.append(record)
    return out


def _bad(result: VerifyResult, kind: Tamper, seq: int) -> None:
    assert not result.ok, result
    assert (result.kind, result.bad_seq) == (kind, seq), result.describe()


def test_an_untouched_trail_verifies(trail: Trail) -> None:
    result = trail.verify()
    assert result.ok and result.records == RECORDS and result.keyed and result.checkpoints_checked == 3
    assert result.unkeyed_records == 0 and not result.warnings


def test_edited(trail: Trail) -> None:
    records = trail.records()
    records[14]["principal"] = "mallory"
    trail.rewrite(records)
    _bad(trail.verify(), Tamper.EDITED, 15)


def test_deleted_at_the_start(trail: Trail) -> None:
    trail.rewrite(trail.records()[3:])
    result = trail.verify()
    _bad(result, Tamper.DELETED_START, 4)
    assert result.bad_index == 0 and "seq 1-3 removed from the start" in result.problem


def test_deleted_in_the_middle(trail: Trail) -> None:
    records = trail.records()
    trail.rewrite(records[:14] + records[16:])
    result = trail.verify()
    _bad(result, Tamper.DELETED_MIDDLE, 17)
    assert "seq 15-16 removed" in result.problem


def test_deleted_at_the_end(trail: Trail) -> None:
    trail.rewrite(trail.records()[:-3])
    result = trail.verify()
    _bad(result, Tamper.DELETED_END, 28)
    assert "seq 28-30 removed from the end" in result.problem and result.bad_index == RECORDS - 3


def test_deleted_at_the_end_is_caught_by_a_checkpoint_when_the_head_lags(trail: Trail) -> None:
    trail.anchor.registry.set_state("p", "audit", "head", None)  # as if the head was never written
    trail.rewrite(trail.records()[:15])
    _bad(trail.verify(), Tamper.DELETED_END, 16)


def test_forged_records_appended(trail: Trail) -> None:
    records = trail.records()
    trail.rewrite(records + _forged(records[-1], 2))
    result = trail.verify()
    _bad(result, Tamper.FORGED, 31)
    assert "not written with the audit key" in result.problem


def test_forged_record_inserted_in_the_middle(trail: Trail) -> None:
    records = trail.records()
    inserted = _forged(records[11], 1)[0]  # becomes seq 13; the rest renumbered and re-hashed with the wrong key
    rest = _forged(inserted, len(records) - 12, start=200)
    trail.rewrite(records[:12] + [inserted] + rest)
    _bad(trail.verify(), Tamper.FORGED, 13)


def test_forged_with_plain_sha256_is_caught(trail: Trail) -> None:
    records = trail.records()
    (unkeyed,) = seal([_record(99)], records[-1]["seq"], records[-1]["hash"])  # no key: SHA-256
    trail.rewrite(records + [unkeyed])
    result = trail.verify()
    _bad(result, Tamper.FORGED, 31)
    assert "unkeyed record where the trail is keyed" in result.problem


def test_reordered(trail: Trail) -> None:
    records = trail.records()
    records[5], records[9] = records[9], records[5]
    trail.rewrite(records)
    result = trail.verify()
    _bad(result, Tamper.REORDERED, 10)
    assert result.bad_index == 5


def test_rewritten_with_the_key_from_the_start_is_caught_at_the_genesis(trail: Trail) -> None:
    """A holder of the audit key (not of the registry) re-seals the whole trail: the anchored genesis refuses it."""
    records = trail.records()
    records[0]["principal"] = "mallory"
    trail.rewrite(seal(records, 0, GENESIS, KEY))  # every HMAC and link valid under the real key
    result = trail.verify()
    _bad(result, Tamper.FORGED, 1)
    assert "genesis recorded in the registry" in result.problem


def test_rewritten_with_the_key_from_the_middle_is_caught_at_the_next_checkpoint(trail: Trail) -> None:
    records = trail.records()
    records[4]["principal"] = "mallory"  # seq 5; checkpoints every 10 records
    trail.rewrite(records[:4] + seal(records[4:], records[3]["seq"], records[3]["hash"], KEY))
    result = trail.verify()
    _bad(result, Tamper.FORGED, 10)
    assert "checkpoint recorded in the registry" in result.problem


def test_the_wrong_key_or_none_is_a_configuration_error(trail: Trail) -> None:
    with pytest.raises(AuditError, match="not the trail's key"):
        trail.verify(WRONG)
    with pytest.raises(AuditError, match="the audit trail is keyed"):
        trail.verify(None)


def test_a_writer_without_the_key_cannot_extend_a_keyed_trail(trail: Trail) -> None:
    trail.sink.key = None
    with pytest.raises(AuditError, match="no audit key is set"):
        trail.sink.append([_record(0)])
    trail.sink.key = WRONG
    with pytest.raises(AuditError, match="not with the audit key set here"):
        trail.sink.append([_record(0)])
    trail.sink.key = KEY
    assert trail.verify().ok


def test_cli_verify_reports_the_kind_as_json(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "feature_store.yaml").write_text(
        "project: trail\nregistry: data/registry.db\naudit:\n  path: data/audit.jsonl\n  checkpoint_every: 2\n"
    )
    (repo / "features.py").write_text("from featurevault import Entity\nuser = Entity(name='user', join_keys=['id'])\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3] / "src"), "COLUMNS": "250"}
    env["FEATUREVAULT_AUDIT_KEY"] = KEY.decode()
    env.pop("FEATUREVAULT_TOKEN", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "featurevault._cli.main", "-c", str(repo), *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

    assert cli("apply").returncode == 0
    for _ in range(3):
        assert cli("audit", "verify").returncode == 0  # each verify is audited too
    done = cli("audit", "verify", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and report["keyed"] and report["records"] >= 3 and report["kind"] is None

    path = repo / "data" / "audit.jsonl"
    path.write_text("".join(line + "\n" for line in path.read_text().splitlines()[2:]))
    done = cli("audit", "verify", "--format", "json")
    report = json.loads(done.stdout)
    assert done.returncode == 1 and report["kind"] == "deleted_start" and report["bad_seq"] == 3
    table = cli("audit", "verify")
    assert table.returncode == 1 and table.stderr.startswith("Error: audit trail deleted_start at record #0 (seq 3)")

    env.pop("FEATUREVAULT_AUDIT_KEY")
    keyless = cli("audit", "verify")
    assert keyless.returncode == 1 and "set the audit key" in keyless.stderr


def test_verify_through_the_store_needs_describe_and_is_audited(admin: Any) -> None:
    from featurevault.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError, match="DESCRIBE"):
        admin.as_principal("intern", roles=["intern"]).verify_audit_trail()
    admin.guard.audit.flush()
    before = len(list(admin.guard.audit.sink.read()))
    result = admin.verify_audit_trail()
    admin.guard.audit.flush()
    after = list(admin.guard.audit.sink.read())
    assert result.ok and result.records == before
    assert len(after) == before + 1 and after[-1]["action"] == "DESCRIBE" and after[-1]["principal"] == "root-admin"
    assert any(r["outcome"] == "denied" and r["principal"] == "intern" for r in after)
