"""The keyed chain over time: rotation, a trail written before keys, the key's configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from featurevault._config import AuditConfig, parse_config
from featurevault.errors import ConfigError
from featurevault._governance.audit import AuditLog, make_record
from featurevault._governance.audit_anchor import TrailAnchor
from featurevault._governance.audit_sinks import FileSink
from featurevault._governance.audit_verify import Tamper, verify_trail
from featurevault._governance.keys import load_audit_key

KEY = b"audit-key-for-tests-0123456789abcdef"


def _write(sink: FileSink, anchor: TrailAnchor, count: int, start: int = 0) -> None:
    log = AuditLog(sink, buffer_size=16, flush_interval_ms=5, anchor=anchor)
    for i in range(start, start + count):
        log.record(make_record(principal=f"u{i}", roles=[], action="READ_ONLINE", resource=["x:y"], outcome="ok"))
    log.flush()
    log.close()


def test_rotation_discards_old_files_and_the_trail_still_verifies(tmp_path: Path, registry: Any) -> None:
    anchor = TrailAnchor(registry, "p", checkpoint_every=25)
    sink = FileSink(tmp_path / "audit.jsonl", max_bytes=3000, backups=2, key=KEY, on_discard=anchor.pruned)
    _write(sink, anchor, 120)
    kept = list(sink.read())
    assert kept[0]["seq"] > 1 and kept[-1]["seq"] == 120  # the oldest records were rotated away
    pruned = anchor.load().pruned
    assert pruned is not None and pruned["seq"] == kept[0]["seq"] - 1
    result = verify_trail(sink.read, KEY, anchor.load())
    assert result.ok and result.records == len(kept), result.describe()

    sink.files()[0].unlink()  # the insider removes the oldest file that rotation kept
    result = verify_trail(sink.read, KEY, anchor.load())
    assert result.kind is Tamper.DELETED_START and "rotation discarded only up to seq" in result.problem


def test_a_trail_written_before_keys_continues_keyed(tmp_path: Path, registry: Any) -> None:
    path = tmp_path / "audit.jsonl"
    anchor = TrailAnchor(registry, "p", checkpoint_every=1000)
    _write(FileSink(path, 10_000_000, 0), anchor, 5)  # no key yet
    unkeyed = verify_trail(FileSink(path, 10_000_000, 0).read, None, anchor.load())
    assert unkeyed.ok and not unkeyed.keyed and any("unkeyed" in w for w in unkeyed.warnings)

    keyed_sink = FileSink(path, 10_000_000, 0, key=KEY)
    _write(keyed_sink, anchor, 5, start=5)  # the key is set: the chain goes on, keyed
    assert anchor.load().keyed == {"seq": 6, "key_id": list(keyed_sink.read())[-1]["key_id"]}
    result = verify_trail(keyed_sink.read, KEY, anchor.load())
    assert result.ok and result.keyed and result.unkeyed_records == 5 and result.records == 10


def test_the_audit_key_comes_from_env_or_file_never_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FEATUREVAULT_AUDIT_KEY", raising=False)
    assert load_audit_key(AuditConfig(), Path) is None
    (tmp_path / "audit.key").write_bytes(KEY + b"\n")
    assert load_audit_key(AuditConfig(key_file=str(tmp_path / "audit.key")), Path) == KEY
    monkeypatch.setenv("FEATUREVAULT_AUDIT_KEY", "short")
    with pytest.raises(ConfigError, match="audit key .*at least 16 bytes"):
        load_audit_key(AuditConfig(), Path)
    with pytest.raises(ConfigError, match="audit.key_file .* cannot be read"):
        monkeypatch.delenv("FEATUREVAULT_AUDIT_KEY")
        load_audit_key(AuditConfig(key_file=str(tmp_path / "missing.key")), Path)


def test_the_audit_key_is_kept_apart_from_the_pii_keys() -> None:
    with pytest.raises(ConfigError, match="audit.key_env"):
        parse_config(
            {"project": "p", "audit": {"key_env": "FEATUREVAULT_MASTER_KEY"}},
            source="feature_store.yaml",
            repo_path=None,
        )
    with pytest.raises(ConfigError, match="audit.key_file"):
        parse_config(
            {"project": "p", "audit": {"key_file": "k"}, "pii": {"master_key_file": "k"}},
            source="feature_store.yaml",
            repo_path=None,
        )
