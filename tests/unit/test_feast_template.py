"""Feast's `local` template (feature_definitions.py and test_workflow.py), with only `feast` replaced by
`featurevault` in imports and CLI calls, runs end to end: Project, LabelView, LoggingConfig, Map/Json/Struct,
enable_validation and version, an on-demand view over a push-fed view, and a push that online reads show."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures" / "feast_local_template" / "feature_repo"
SRC = Path(__file__).resolve().parents[2] / "src"
DRIVERS = [1001, 1002, 1003, 1004, 1005]


def _driver_stats(now: datetime) -> pa.Table:
    """Hourly rows for the last two days: scalar features plus Map, JSON text and Struct columns."""
    hours = [now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=h) for h in range(48)]
    rows = [(d, t) for d in DRIVERS for t in hours]
    struct = pa.struct([("name", pa.string()), ("age", pa.string())])
    return pa.table(
        {
            "driver_id": pa.array([d for d, _ in rows], pa.int64()),
            "event_timestamp": pa.array([t for _, t in rows], pa.timestamp("us", tz="UTC")),
            "created": pa.array([now] * len(rows), pa.timestamp("us", tz="UTC")),
            "conv_rate": pa.array([(d % 10) / 10 for d, _ in rows], pa.float32()),
            "acc_rate": pa.array([0.5] * len(rows), pa.float32()),
            "avg_daily_trips": pa.array([d - 1000 for d, _ in rows], pa.int64()),
            "driver_metadata": pa.array(
                [{"vehicle_type": "sedan", "rating": str(d % 5)} for d, _ in rows], pa.map_(pa.string(), pa.string())
            ),
            "driver_config": [json.dumps({"max_distance_km": d % 100}) for d, _ in rows],
            "driver_profile": pa.array([{"name": f"driver_{d}", "age": str(20 + d % 30)} for d, _ in rows], struct),
        }
    )


def _labels(now: datetime) -> pa.Table:
    return pa.table(
        {
            "driver_id": pa.array(DRIVERS, pa.int64()),
            "event_timestamp": pa.array([now - timedelta(hours=3)] * len(DRIVERS), pa.timestamp("us", tz="UTC")),
            "label_driver_reported_satisfaction": pa.array([1, 2, 3, 4, 5], pa.int64()),
        }
    )


def test_feast_local_template_runs_with_only_imports_changed(tmp_path: Path) -> None:
    repo = tmp_path / "feature_repo"
    shutil.copytree(TEMPLATE, repo)
    (repo / "data").mkdir()
    now = datetime.now(UTC)
    pq.write_table(_driver_stats(now), repo / "data" / "driver_stats.parquet")
    pq.write_table(_labels(now), repo / "data" / "driver_labels.parquet")
    env = {
        **os.environ,
        "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    out = subprocess.run(
        [sys.executable, "test_workflow.py"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=240,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout + out.stderr
    assert "Traceback" not in text, text
    assert "Applied registry version 1 of project my_project" in text
    before, after = out.stdout.split("--- Online features again with updated values from a stream push---")
    # The push (ONLINE_AND_OFFLINE) shows in the next online read of the push-fed view and its on-demand view.
    assert "avg_daily_trips  :  [1000, 2]" in after, after
    assert "conv_rate_plus_val1  :  [1001.0," in after, after
    assert "driver_1001_updated" in after and "'vehicle_type': 'truck'" in after
    assert "avg_daily_trips  :  [1, 2]" in before
    # Map, Json and Struct values come back online as a dict, JSON text and a dict.
    assert "driver_metadata  :  [{'vehicle_type': 'sedan', 'rating': '1'}" in before, before
    assert "driver_config  :  ['{\"max_distance_km\": 1}'" in before, before
    assert "driver_profile  :  [{'name': 'driver_1001', 'age': '31'}" in before, before
    # The training frame carries them too (the batch-scoring rows, at "now").
    assert "driver_profile" in before and "conv_rate_plus_val1" in before
    # The pushed row was also appended to the batch source (offline).
    stats = pq.read_table(repo / "data" / "driver_stats.parquet")
    assert 1000 in stats.column("avg_daily_trips").to_pylist()
