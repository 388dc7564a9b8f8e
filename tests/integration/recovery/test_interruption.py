"""kill -9 during a backup and during a restore: never listed complete; the restore reruns to completion."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from featurevault._store import FeatureStore
from tests.integration.objects.moto_server import Location
from tests.integration.recovery.demo import cli, cli_json, make_demo

BULK = 300_000


def _fill_bulk(repo: Path) -> None:
    with FeatureStore(repo_path=repo) as store:
        for start in range(0, BULK, 50_000):
            keys = [f"k{i:07d}".encode() for i in range(start, start + 50_000)]
            store.online_store.write("bulk", keys, [b"r" * 64 + k for k in keys])


def _start(repo: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "featurevault._cli.main", "-c", str(repo), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill_when(process: subprocess.Popen[str], ready: callable, timeout: float = 120) -> None:  # type: ignore[valid-type]
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, f"finished before it could be interrupted: {process.communicate()}"
        assert time.monotonic() < deadline, "never reached the point to interrupt"
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()


def test_a_backup_killed_half_way_is_never_listed_and_is_pruned(tmp_path: Path, location: Location) -> None:
    repo = make_demo(tmp_path, f"\nbackup:\n  target: {location.uri}\n{location.settings()}")
    _fill_bulk(repo)

    _kill_when(_start(repo, "backup", "create"), lambda: location.uploading(".arrows"))
    (partial,) = location.names()
    assert not location.exists(f"{partial}/manifest.json")
    assert cli_json(repo, "backup", "list") == []
    done = cli(repo, "backup", "verify", partial)
    assert done.returncode == 1 and "no complete backup" in done.stderr

    complete = cli_json(repo, "backup", "create")
    assert [b["backup_id"] for b in cli_json(repo, "backup", "list")] == [complete["backup_id"]]

    from featurevault._recovery.retention import apply_retention

    with FeatureStore(repo_path=repo) as store:
        result = apply_retention(store.recovery().context(), keep_last=5, now=datetime.now(UTC) + timedelta(hours=2))
    assert result.incomplete_removed == [partial] and result.kept == [complete["backup_id"]]
    assert location.names() == [complete["backup_id"]]


def test_a_restore_killed_half_way_reruns_to_completion(tmp_path: Path) -> None:
    repo = make_demo(tmp_path)
    _fill_bulk(repo)
    before = cli(
        repo, "get-online-features", "-f", "driver_stats_hourly:driver_conv_rate", "-e", "driver_id=1001"
    ).stdout
    backup_id = cli_json(repo, "backup", "create")["backup_id"]
    with FeatureStore(repo_path=repo) as store:
        store.online_store.drop("bulk")
        store.online_store.write("bulk", [b"only-after-backup"], [b"x"])
    online_db = repo / "data" / "online_store.db"

    def restoring() -> bool:
        with sqlite3.connect(f"file:{online_db}?mode=ro", uri=True) as conn:
            (rows,) = conn.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE '%bulk__restore'").fetchone()
        return bool(rows)

    _kill_when(_start(repo, "backup", "restore", backup_id, "--force"), restoring)
    # the live table was not touched yet: readers kept the old records
    with FeatureStore(repo_path=repo) as store:
        assert store.online_store.read("bulk", [b"only-after-backup"]) == [b"x"]

    rerun = cli(repo, "backup", "restore", backup_id, "--format", "json")  # no --force: it resumes
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["online_records"]["bulk"] == BULK
    with FeatureStore(repo_path=repo) as store:
        assert store.online_store.read("bulk", [b"only-after-backup", b"k0000007"]) == [None, b"r" * 64 + b"k0000007"]
        assert "bulk__restore" not in store.online_store.tables()
    after = cli(
        repo, "get-online-features", "-f", "driver_stats_hourly:driver_conv_rate", "-e", "driver_id=1001"
    ).stdout
    assert after == before and "driver_conv_rate" in before
