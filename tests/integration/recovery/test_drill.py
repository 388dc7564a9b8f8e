"""The DR drill on the demo repo: a passing drill (from a local directory and from S3), a planted
mismatch, a missed target, readiness."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from tests.integration.objects.moto_server import Location
from tests.integration.recovery.demo import cli, cli_json, make_demo


def test_drill_passes_and_is_recorded_for_readiness(tmp_path: Path, location: Location) -> None:
    backups = f"backup:\n  target: {location.uri}\n{location.settings()}"
    repo = make_demo(tmp_path, "dr:\n  rto_target: 10m\n  rpo_target: 1h\n  sample_size: 5\n" + backups)
    backup = cli_json(repo, "backup", "create")
    drill = cli_json(repo, "dr", "drill")
    assert drill["passed"] is True, drill
    assert drill["backup_id"] == backup["backup_id"]
    assert drill["rows_checked"] >= 5 * 3 and drill["mismatches"] == 0
    assert 0 < drill["rto_seconds"] < 600 and drill["rpo_seconds"] < 3600
    assert not (repo / "data" / "online_store.db-drill").exists()
    status = cli_json(repo, "dr", "status")
    assert status["last_drill"]["passed"] is True and status["last_backup"]["backup_id"] == backup["backup_id"]
    readiness = json.loads(cli(repo, "readiness", "--format", "json").stdout)
    items = {i["item"]: i for i in readiness["items"]}
    assert items["Disaster recovery tested"]["status"] == "pass", items["Disaster recovery tested"]
    assert items["Backup strategy implemented"]["status"] == "pass", items["Backup strategy implemented"]


def test_drill_fails_on_a_mismatch_planted_in_the_offline_data(tmp_path: Path) -> None:
    repo = make_demo(tmp_path, "dr:\n  sample_size: 5\n")
    cli_json(repo, "backup", "create")
    path = repo / "data" / "driver_stats.parquet"
    table = pq.read_table(path)
    planted = table.set_column(
        table.column_names.index("conv_rate"), "conv_rate", pc.add(table.column("conv_rate"), 0.5).cast("float32")
    )
    pq.write_table(planted, path)  # the same event times, other values: the rematerialized gap does not cover them
    done = cli(repo, "dr", "drill", "--format", "json")
    assert done.returncode == 1, done.stderr
    drill = json.loads(done.stdout)
    assert drill["passed"] is False and drill["mismatches"] > 0
    assert "driver_stats_hourly.driver_conv_rate" in drill["mismatch_examples"][0]
    assert any("differ from the offline store" in m for m in drill["misses"])
    readiness = json.loads(cli(repo, "readiness", "--format", "json").stdout)
    items = {i["item"]: i for i in readiness["items"]}
    assert items["Disaster recovery tested"]["status"] == "fail"


def test_drill_fails_when_the_rto_target_is_missed(tmp_path: Path) -> None:
    repo = make_demo(tmp_path, "dr:\n  rto_target: 0.001\n")
    cli_json(repo, "backup", "create")
    done = cli(repo, "dr", "drill", "--format", "json")
    assert done.returncode == 1
    assert "RTO" in json.loads(done.stdout)["misses"][0]


def test_drill_without_a_backup_says_what_to_do(tmp_path: Path) -> None:
    repo = make_demo(tmp_path)
    done = cli(repo, "dr", "drill")
    assert done.returncode == 1 and "backup create" in done.stderr
