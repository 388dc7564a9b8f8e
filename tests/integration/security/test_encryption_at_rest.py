"""PII encrypted in the online store: unreadable at rest, clear to readers, a clear error without the key."""

from __future__ import annotations

import base64
import os
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from featurevault import FeatureStore
from featurevault.errors import EncryptionKeyError
from featurevault._governance.crypto import rotate_master_key
from featurevault._ops.apply import apply_contents
from featurevault._ops.repo import load_repo
from tests.integration.security.governed_repo import ADMIN, NOW

SSN = ["user_pii_features:ssn", "user_pii_features:amount", "derived:email_domain"]


def _online_bytes(repo: Path) -> bytes:
    conn = sqlite3.connect(repo / "data" / "online.db")
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        blob = b""
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                blob += b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
        return blob
    finally:
        conn.close()


def test_pii_encrypted_at_rest(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    yaml = repo / "feature_store.yaml"
    yaml.write_text(yaml.read_text() + "pii:\n    encrypt_at_rest: true\n")
    old_key = base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("FEATUREVAULT_MASTER_KEY", old_key)
    monkeypatch.setenv("FEATUREVAULT_PII_HASH_KEY", "at-rest-test-hash-key-0123456789")
    with FeatureStore(repo_path=repo, principal=ADMIN) as admin:
        apply_contents(admin, load_repo(repo))
        admin.materialize(NOW - timedelta(days=1), NOW)
        raw = _online_bytes(repo)
        assert b"111-11-1111" not in raw and b"ann@example.com" not in raw  # PII sealed
        assert b"FVE2" in raw and b"FVE1" not in raw  # entity-bound envelopes
        compliance = admin  # platform-admin: every action, READ_PII included
        out = compliance.get_online_features(SSN, [{"user_id": 1}]).to_dict()
        assert out["ssn"] == ["111-11-1111"] and out["amount"] == [10.0]
        assert out["email_domain"] == ["example.com"]  # the on-demand view computed from decrypted input
        masked = admin.as_principal("d", roles=["data-scientists"]).get_online_features(SSN, [{"user_id": 1}]).to_dict()
        assert masked["ssn"] == [None] and masked["email_domain"] == [None]

        # rotation: new master key, old one as previous; a reader holding the old key keeps working
        new_key = base64.b64encode(os.urandom(32)).decode()
        monkeypatch.setenv("FEATUREVAULT_MASTER_KEY", new_key)
        monkeypatch.setenv("FEATUREVAULT_MASTER_KEY_PREVIOUS", old_key)
        assert rotate_master_key(admin) == 1
        assert compliance.get_online_features(SSN, [{"user_id": 2}]).to_dict()["ssn"] == ["222-22-2222"]
    monkeypatch.delenv("FEATUREVAULT_MASTER_KEY_PREVIOUS")
    with FeatureStore(repo_path=repo, principal=ADMIN) as fresh:
        assert fresh.get_online_features(SSN, [{"user_id": 3}]).to_dict()["ssn"] == ["333-33-3333"]
    monkeypatch.setenv("FEATUREVAULT_MASTER_KEY", old_key)  # the retired key no longer opens the data
    with FeatureStore(repo_path=repo, principal=ADMIN) as stale, pytest.raises(EncryptionKeyError, match="master key"):
        stale.get_online_features(SSN, [{"user_id": 1}])
    monkeypatch.delenv("FEATUREVAULT_MASTER_KEY")
    no_key = pytest.raises(EncryptionKeyError, match="FEATUREVAULT_MASTER_KEY")
    with FeatureStore(repo_path=repo, principal=ADMIN) as keyless, no_key:
        keyless.get_online_features(SSN, [{"user_id": 1}])


def test_pii_timestamps_are_sealed_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime, timezone

    import pyarrow as pa
    import pyarrow.parquet as pq

    from featurevault import Entity, FeatureView, Field, FileSource
    from featurevault.types import Array, String, UnixTimestamp

    born = datetime(1990, 5, 17, 8, 30, tzinfo=timezone.utc)
    (tmp_path / "data").mkdir()
    pq.write_table(
        pa.table(
            {
                "user_id": [1],
                "ts": pa.array([NOW - timedelta(hours=1)], pa.timestamp("us", tz="UTC")),
                "born_at": pa.array([born], pa.timestamp("us", tz="UTC")),
                "logins": pa.array([[born, NOW]], pa.list_(pa.timestamp("us", tz="UTC"))),
                "nickname": ["zed"],
            }
        ),
        tmp_path / "data" / "users.parquet",
    )
    (tmp_path / "feature_store.yaml").write_text(
        "project: sealed\nregistry: data/registry.db\nonline_store:\n  type: sqlite\n  path: data/online.db\n"
        "pii:\n  encrypt_at_rest: true\n"
    )
    monkeypatch.setenv("FEATUREVAULT_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    user = Entity(name="user", join_keys=["user_id"])
    view = FeatureView(
        name="user_profile",
        entities=[user],
        schema=[
            Field(name="born_at", dtype=UnixTimestamp, tags={"pii": "true"}),
            Field(name="logins", dtype=Array(UnixTimestamp), tags={"pii": "true"}),
            Field(name="nickname", dtype=String, tags={"pii": "true"}),
        ],
        source=FileSource(path="data/users.parquet", timestamp_field="ts"),
    )
    with FeatureStore(repo_path=tmp_path) as store:
        store.apply([user, view])
        store.materialize(NOW - timedelta(days=1), NOW)
        raw = _online_bytes(tmp_path)
        import msgpack

        assert b"zed" not in raw and msgpack.packb(int(born.timestamp() * 1_000_000)) not in raw
        out = store.get_online_features(
            ["user_profile:born_at", "user_profile:logins", "user_profile:nickname"], [{"user_id": 1}]
        ).to_dict()
        assert out["born_at"] == [born] and out["logins"] == [[born, NOW]] and out["nickname"] == ["zed"]


def test_backups_keep_pii_encrypted_and_restore_readable(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    yaml = repo / "feature_store.yaml"
    yaml.write_text(yaml.read_text() + "pii:\n    encrypt_at_rest: true\n")
    monkeypatch.setenv("FEATUREVAULT_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.setenv("FEATUREVAULT_PII_HASH_KEY", "at-rest-test-hash-key-0123456789")
    with FeatureStore(repo_path=repo, principal=ADMIN) as admin:
        apply_contents(admin, load_repo(repo))
        admin.materialize(NOW - timedelta(days=1), NOW)
        backup = admin.backup(target=str(tmp_path / "b"))
        raw = b"".join(p.read_bytes() for p in (tmp_path / "b" / backup.manifest.backup_id).rglob("*.arrows"))
        assert b"FVE" in raw and b"111-11-1111" not in raw and b"ann@example.com" not in raw
        for table in admin.online_store.tables():
            admin.online_store.drop(table)
        admin.restore_backup(backup.manifest.backup_id, only="online", target=str(tmp_path / "b"))
        assert admin.get_online_features(SSN, [{"user_id": 1}]).to_dict()["ssn"] == ["111-11-1111"]
