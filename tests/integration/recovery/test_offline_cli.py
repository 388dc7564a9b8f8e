"""``offline compact|vacuum``, ``forget`` and ``plan`` on a repo whose view reads a Delta table, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.recovery.demo import cli, cli_json
from tests.unit.offline.delta_repo import DeltaRepo, day_rows, make_repo

pytestmark = pytest.mark.integration

DEFINITIONS = """
from datetime import timedelta

from featurevault import DeltaSource, Entity, FeatureView, Field
from featurevault.types import Float64, Int64

user = Entity(name="user", join_keys=["user_id"])
tx_stats = FeatureView(
    name="tx_stats",
    entities=[user],
    source=DeltaSource(name="tx", path="data/tx", timestamp_field="event_timestamp"),
    schema=[Field(name="user_id", dtype=Int64), Field(name="amount", dtype=Float64)],
    retention=timedelta(days=400),
)
"""


@pytest.fixture
def repo(tmp_path: Path) -> DeltaRepo:
    repo = make_repo(tmp_path / "repo", days=2)
    for user in (3, 4, 5):
        repo.store.write_to_offline_store("tx_stats", day_rows(1, users=(user,)))
    (repo.store.repo_path / "features.py").write_text(DEFINITIONS)
    return repo


def test_compact_vacuum_and_plan_report_as_json(repo: DeltaRepo) -> None:
    root = repo.store.repo_path
    plan = cli_json(root, "plan")
    assert plan["retention_seconds"] == {"tx_stats": 400 * 86400.0}
    done = cli(root, "plan")
    assert "offline retention: tx_stats keeps 400 days (applied by offline vacuum)" in done.stdout
    assert cli(root, "apply").returncode == 0
    compacted = cli_json(root, "offline", "compact", "tx_stats")
    assert compacted["sources"][0]["files_removed"] == 4  # day 2's four small files
    vacuumed = cli_json(root, "offline", "vacuum", "--retain", "0d")
    # 2024 rows are older than 400 days: all seven go, and the files of every older version
    assert vacuumed["rows_deleted"] == 7 and vacuumed["files_removed"] >= 6
    table = cli(root, "offline", "vacuum", "--retain", "1d", "--dry-run")
    assert table.returncode == 0 and "offline vacuum (dry run)" in table.stdout


def test_bad_input_is_a_usage_error_naming_it(repo: DeltaRepo) -> None:
    root = repo.store.repo_path
    done = cli(root, "offline", "vacuum", "--retain", "ninety days")
    assert done.returncode == 2 and "--retain 'ninety days' is not a duration" in done.stderr
    done = cli(root, "offline", "compact", "nope")
    assert done.returncode == 1 and "'nope'" in done.stderr


def test_forget_reports_the_delta_rows_it_deleted(repo: DeltaRepo) -> None:
    root = repo.store.repo_path
    dry = cli_json(root, "forget", "--entity", "user_id=3", "--dry-run")
    assert dry["offline_deleted"] == {"tx": 1} and dry["dry_run"] is True
    done = cli_json(root, "forget", "--entity", "user_id=3")
    assert done["offline_deleted"] == {"tx": 1}
    again = json.loads(cli(root, "forget", "--entity", "user_id=3", "--format", "json").stdout)
    assert again["offline_deleted"] == {"tx": 0}
