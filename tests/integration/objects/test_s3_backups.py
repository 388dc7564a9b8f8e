"""Backups in S3 through the CLI (``--to s3://...``, the endpoint from ``backup.s3_endpoint_override``),
against moto's server on loopback, and object-storage errors named with the target, the endpoint and the
cause. The SDK round trips on every online store run in tests/conformance/test_recovery.py, signatures,
retention and interruption in tests/integration/recovery/, each on a local directory and on S3."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from featurevault.errors import RecoveryError
from featurevault._store import FeatureStore
from tests.integration.objects.moto_server import TEST_CREDENTIALS, Location, MotoServer, s3_location
from tests.integration.recovery.demo import cli, cli_json, make_demo
from tests.unit.online.repo_defs import open_store

pytestmark = pytest.mark.integration

FEATURE = ["-f", "driver_stats_hourly:driver_conv_rate", "-e", "driver_id=1001"]


@pytest.fixture
def bucket(moto_s3: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Location:
    for key, value in TEST_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    return s3_location(moto_s3, f"fvb-{uuid.uuid4().hex[:10]}", "nightly")


def test_cli_create_list_verify_restore_prune_in_s3(tmp_path: Path, bucket: Location) -> None:
    repo = make_demo(tmp_path, f"\nbackup:\n  s3_endpoint_override: {bucket.endpoint}\n")
    to = ["--to", bucket.uri]
    served = cli(repo, "get-online-features", *FEATURE).stdout
    assert "driver_conv_rate" in served and "None" not in served
    first = cli_json(repo, "backup", "create", *to)
    assert first["location"] == f"{bucket.uri}/{first['backup_id']}"
    second = cli_json(repo, "backup", "create", *to)
    assert [b["backup_id"] for b in cli_json(repo, "backup", "list", *to)] == [second["backup_id"], first["backup_id"]]
    assert not (repo / "data" / "backups").exists()  # nothing went to the default directory
    verified = cli_json(repo, "backup", "verify", second["backup_id"], *to)
    assert verified["ok"] and verified["files_checked"] == second["files"]

    with FeatureStore(repo_path=repo) as store:
        for table in store.online_store.tables():
            store.online_store.drop(table)
    assert cli(repo, "get-online-features", *FEATURE).stdout != served
    restored = cli_json(repo, "backup", "restore", second["backup_id"], "--force", *to)
    assert sum(restored["online_records"].values()) == second["records"]
    assert cli(repo, "get-online-features", *FEATURE).stdout == served

    pruned = cli_json(repo, "backup", "prune", "--keep-last", "1", *to)
    assert pruned["removed"] == [first["backup_id"]] and bucket.names() == [second["backup_id"]]


def test_missing_bucket_unreachable_endpoint_and_bad_credentials_are_named(
    tmp_path: Path, moto_s3: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in TEST_CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    repo = _repo(tmp_path / "m", "s3://no-such-bucket/b", moto_s3.endpoint)
    with FeatureStore(repo_path=repo) as store, pytest.raises(RecoveryError) as caught:
        store.backup()
    assert str(caught.value) == (
        f"backup target 's3://no-such-bucket/b' at {moto_s3.endpoint}: the bucket 'no-such-bucket' does not exist"
    )
    done = cli(repo, "backup", "list")
    assert done.returncode == 1 and "'s3://no-such-bucket/b' at http://127.0.0.1" in done.stderr
    assert "does not exist" in done.stderr and "Traceback" not in done.stderr

    unreachable = _repo(tmp_path / "u", "s3://b/p", "http://127.0.0.1:9")
    with FeatureStore(repo_path=unreachable) as store, pytest.raises(RecoveryError) as caught:
        store.list_backups()
    assert "backup target 's3://b/p' at http://127.0.0.1:9: cannot reach the bucket 'b'" in str(caught.value)

    with MotoServer(tmp_path / "auth.log", env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"}) as locked:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONG")
        denied = _repo(tmp_path / "d", "s3://locked/b", locked.endpoint)
        with FeatureStore(repo_path=denied) as store, pytest.raises(RecoveryError) as caught:
            store.backup()
    assert f"backup target 's3://locked/b' at {locked.endpoint}" in str(caught.value)
    assert "access denied: check the credentials" in str(caught.value)


def _repo(where: Path, target: str, endpoint: str) -> Path:
    open_store(where, {}, extra=f"backup:\n  target: {target}\n  s3_endpoint_override: {endpoint}\n").close()
    return where
