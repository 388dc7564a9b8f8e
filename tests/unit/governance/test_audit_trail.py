from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from featurevault.errors import AuditError
from featurevault._governance.audit import AuditLog, make_record
from featurevault._governance.audit_chain import _clip_short_strings, canonical, clip
from featurevault._governance.audit_verify import verify_chain
from featurevault._governance.audit_sinks import FileSink


def _record(i: int, principal: str = "alice", action: str = "READ_ONLINE") -> dict:
    return make_record(
        principal=principal,
        roles=["r"],
        action=action,
        resource=[f"feature_view:v{i % 3}"],
        outcome="allowed",
        features=["v:a"],
        entity_count=1,
        entity_sample=[i],
        latency_ms=0.5,
    )


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_log_writes_one_record_per_call_in_order(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "audit.jsonl", max_bytes=10_000_000, backups=2)
    log = AuditLog(sink, buffer_size=64, flush_interval_ms=10)
    for i in range(500):
        log.record(_record(i))
    log.flush()
    records = list(sink.read())
    assert [r["seq"] for r in records] == list(range(1, 501))
    assert [r["entity_sample"] for r in records] == [[i] for i in range(500)]
    assert verify_chain(records).ok
    log.close()


def test_chain_continues_across_logs_and_rotation(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    for _ in range(3):  # three processes, one after another
        log = AuditLog(FileSink(path, max_bytes=4000, backups=50), flush_interval_ms=5)
        for i in range(20):
            log.record(_record(i))
        log.close()
    sink = FileSink(path, max_bytes=4000, backups=50)
    assert len(sink.files()) > 3
    assert all(p.stat().st_size <= 4000 for p in sink.files())
    result = verify_chain(sink.read())
    assert result.ok and result.records == 60


def _trail(tmp_path: Path, n: int = 10) -> FileSink:
    sink = FileSink(tmp_path / "audit.jsonl", max_bytes=10_000_000, backups=0)
    sink.append([_record(i) for i in range(n)])
    return sink


def test_tamper_edit_is_reported_at_the_edited_record(tmp_path: Path) -> None:
    sink = _trail(tmp_path)
    lines = _lines(sink.path)
    rec = json.loads(lines[4])
    rec["principal"] = "mallory"
    lines[4] = json.dumps(rec, sort_keys=True)
    sink.path.write_text("\n".join(lines) + "\n")
    result = verify_chain(sink.read())
    assert not result.ok and result.bad_seq == 5 and "edited" in result.problem


def test_tamper_edit_with_recomputed_hash_breaks_the_next_link(tmp_path: Path) -> None:
    from featurevault._governance.audit_chain import record_hash

    sink = _trail(tmp_path)
    lines = _lines(sink.path)
    rec = json.loads(lines[4])
    rec["outcome"] = "allowed-by-mallory"
    rec["hash"] = record_hash(rec)
    lines[4] = json.dumps(rec, sort_keys=True)
    sink.path.write_text("\n".join(lines) + "\n")
    result = verify_chain(sink.read())
    assert not result.ok and result.bad_seq == 6 and "prev_hash" in result.problem


def test_tamper_delete_is_reported(tmp_path: Path) -> None:
    sink = _trail(tmp_path)
    lines = _lines(sink.path)
    del lines[3]
    sink.path.write_text("\n".join(lines) + "\n")
    result = verify_chain(sink.read())
    assert not result.ok and result.bad_seq == 5 and "seq 4 removed" in result.problem


def test_tamper_reorder_is_reported(tmp_path: Path) -> None:
    sink = _trail(tmp_path)
    lines = _lines(sink.path)
    lines[2], lines[6] = lines[6], lines[2]
    sink.path.write_text("\n".join(lines) + "\n")
    result = verify_chain(sink.read())
    assert not result.ok and result.bad_index == 2


def test_garbage_line_is_reported(tmp_path: Path) -> None:
    sink = _trail(tmp_path)
    with open(sink.path, "a") as f:
        f.write("not json\n")
    assert not verify_chain(sink.read()).ok


def test_query_filters(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "a.jsonl", max_bytes=10_000_000, backups=0)
    sink.append([_record(0, "alice"), _record(1, "bob", "WRITE_ONLINE"), _record(2, "alice", "DENIED")])
    assert [r["seq"] for r in sink.query(principal="alice")] == [1, 3]
    assert [r["seq"] for r in sink.query(action="write_online")] == [2]
    assert [r["seq"] for r in sink.query(resource="feature_view:v2")] == [3]
    now = datetime.now(UTC)
    assert len(sink.query(since=now - timedelta(minutes=1), until=now + timedelta(minutes=1))) == 3
    assert sink.query(since=now + timedelta(minutes=1)) == []


def test_caller_data_is_clipped_and_stored_harmlessly(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "a.jsonl", max_bytes=10_000_000, backups=0)
    evil = "'; DROP TABLE audit; --\x00../../etc/passwd" + "x" * 1_000_000
    sink.append([make_record(principal=evil, roles=[evil], action="READ_ONLINE", resource=[evil], outcome="denied")])
    (rec,) = sink.read()
    assert len(json.dumps(rec)) < 5000 and "\x00" not in json.dumps(rec)
    assert rec["principal"].startswith("'; DROP TABLE audit; --\\x00../../etc/passwd")
    assert verify_chain([rec]).ok and sink.path.read_text().count("\n") == 1


def test_a_line_is_the_hashed_encoding_with_the_hash_last(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "a.jsonl", max_bytes=10_000_000, backups=0)
    sealed = sink.append([_record(0), _record(1)])
    lines = sink.path.read_text().splitlines()
    assert [json.loads(line) for line in lines] == sealed
    for line, record in zip(lines, sealed):
        assert line.endswith(f',"hash":"{record["hash"]}"}}')
        assert line.removesuffix(f',"hash":"{record["hash"]}"}}') + "}" == canonical(
            {k: v for k, v in record.items() if k != "hash"}
        )
    assert verify_chain(list(sink.read())).ok


def test_short_string_tuples_are_clipped_once_and_never_shared_mutably() -> None:
    refs = ("view:a", "view:b\x00", f"view:{uuid.uuid4().hex}")
    before = _clip_short_strings.cache_info()
    first, second = clip(refs), clip(refs)
    assert first == second == ["view:a", "view:b\\x00", refs[2]]
    after = _clip_short_strings.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)  # clipped once, then remembered
    first.append("changed")
    assert clip(refs) == second  # what a caller does to its copy does not reach the next record
    record = make_record(principal="p", roles=("r",), action="READ_ONLINE", resource="fv", outcome="ok", features=refs)
    assert record["roles"] == ["r"] and record["resource"] == ["fv"] and record["features"] == second


def test_long_or_nested_tuples_are_clipped_each_time_and_never_remembered() -> None:
    before = _clip_short_strings.cache_info()
    long_text = ("view:a", "x" * 1_000_000)
    nested = ("view:a", ("nested", "y" * 1_000), ["a", "list"])
    many = tuple(f"f{i}" for i in range(1_000))
    assert clip(long_text) == ["view:a", "x" * 512 + "...(+999488 chars)"]
    assert clip(nested) == ["view:a", ["nested", "y" * 512 + "...(+488 chars)"], ["a", "list"]]
    assert clip(many) == [*many[:200], "...(+800 more)"]
    after = _clip_short_strings.cache_info()
    assert after.currsize == before.currsize and after.misses == before.misses  # none became a cache key


def test_unwritable_sink_fails_closed(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    sink = FileSink(blocker / "audit.jsonl", max_bytes=1000, backups=0)  # parent is a file
    closed = AuditLog(sink, fail_closed=True)
    with pytest.raises(AuditError, match="fail_closed"):
        closed.ensure_available()
    open_log = AuditLog(sink, fail_closed=False, flush_interval_ms=5)
    open_log.ensure_available()  # fail-open: reads continue
    open_log.record(_record(0))
    with pytest.raises(AuditError):
        open_log.flush(timeout=5)
    assert not open_log.healthy
    open_log.close()


def test_sink_recovery_retries_kept_records(tmp_path: Path) -> None:
    target = tmp_path / "later"
    target.write_text("in the way")  # a file where the directory should be
    sink = FileSink(target / "audit.jsonl", max_bytes=100_000, backups=0)
    log = AuditLog(sink, flush_interval_ms=5, fail_closed=True)
    log.record(_record(0))
    with pytest.raises(AuditError):
        log.flush(timeout=5)
    target.unlink()
    log.close()  # the final flush writes what was kept
    assert [r["seq"] for r in sink.read()] == [1]


def test_records_cut_from_the_end_are_caught_by_the_anchored_head(tmp_path: Path, registry: Any) -> None:
    from featurevault._governance.audit_anchor import TrailAnchor

    sink = FileSink(tmp_path / "audit.jsonl", max_bytes=10_000_000, backups=0)
    anchor = TrailAnchor(registry, "p")
    log = AuditLog(sink, buffer_size=64, flush_interval_ms=10, anchor=anchor)
    for i in range(10):
        log.record(_record(i))
    log.flush()
    log.close()
    head = anchor.load().head
    assert head is not None
    seq = head["seq"]
    assert seq == 10 and verify_chain(sink.read(), head).ok
    lines = _lines(sink.path)
    sink.path.write_text("\n".join(lines[:-2]) + "\n")  # drop the last two records
    assert verify_chain(sink.read()).ok  # the trail alone cannot tell
    result = verify_chain(sink.read(), head)
    assert not result.ok and "seq 9-10 removed from the end" in result.problem


def test_a_rewritten_head_record_is_caught(tmp_path: Path) -> None:
    from featurevault._governance.audit_chain import record_hash

    sink = _trail(tmp_path)
    records = list(sink.read())
    head = {"seq": records[-1]["seq"], "hash": records[-1]["hash"]}
    lines = _lines(sink.path)
    last = json.loads(lines[-1])
    last["outcome"] = "rewritten"
    last["hash"] = record_hash(last)
    lines[-1] = json.dumps(last, sort_keys=True)
    sink.path.write_text("\n".join(lines) + "\n")
    result = verify_chain(sink.read(), head)
    assert not result.ok and result.bad_seq == 10 and "head recorded in the registry" in result.problem


def test_lazy_records_are_built_on_the_writer_thread(tmp_path: Path) -> None:
    import functools
    import threading

    built_on: list[str] = []

    def build() -> dict:
        built_on.append(threading.current_thread().name)
        return _record(0)

    sink = FileSink(tmp_path / "audit.jsonl", max_bytes=10_000_000, backups=0)
    log = AuditLog(sink, buffer_size=64, flush_interval_ms=10)
    log.record(functools.partial(build))
    log.flush()
    log.close()
    assert built_on == ["featurevault-audit"] and [r["seq"] for r in sink.read()] == [1]
