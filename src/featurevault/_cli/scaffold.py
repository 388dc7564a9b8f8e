"""``featurevault init``: a runnable demo repo with generated sample data (no download)."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from featurevault.errors import ConfigError

TEMPLATES = Path(__file__).parent / "templates"
DRIVER_IDS = range(1001, 1006)


def scaffold(target: Path) -> None:
    """Write the demo repo into ``target``, which must not exist or be empty."""
    if target.exists() and any(target.iterdir()):
        raise ConfigError(f"{target} already exists and is not empty; choose another name")
    (target / "data").mkdir(parents=True, exist_ok=True)
    project = "".join(c if c.isalnum() else "_" for c in target.name).strip("_") or "demo"
    if project[0].isdigit():
        project = f"p_{project}"
    config = (TEMPLATES / "feature_store.yaml").read_text().replace("PROJECT_NAME", project)
    (target / "feature_store.yaml").write_text(config)
    shutil.copy(TEMPLATES / "features.py", target / "features.py")
    shutil.copy(TEMPLATES / "demo_workflow.py", target / "demo_workflow.py")
    shutil.copy(TEMPLATES / "featurevaultignore", target / ".featurevaultignore")
    shutil.copy(TEMPLATES / "RUNBOOK.md", target / "RUNBOOK.md")
    shutil.copytree(TEMPLATES / "runbooks", target / "runbooks")
    pq.write_table(driver_stats(datetime.now(timezone.utc)), target / "data" / "driver_stats.parquet")
    from featurevault._cli.scaffold_ci import scaffold_ci

    scaffold_ci(target)


def driver_stats(now: datetime, days: int = 7, seed: int = 7) -> pa.Table:
    """Hourly statistics for five drivers over the ``days`` before ``now`` (deterministic values)."""
    rng = np.random.default_rng(seed)
    end = now.replace(minute=0, second=0, microsecond=0)
    hours = [end - timedelta(hours=h) for h in range(days * 24)]
    ids = np.repeat(np.array(list(DRIVER_IDS), dtype=np.int64), len(hours))
    times = hours * len(DRIVER_IDS)
    n = len(ids)
    conv_rate = rng.random(n).astype(np.float32)
    # the last driver's latest hour breaks the demo's between("driver_conv_rate", 0, 1) rule, so that
    # the first materialization quarantines it (`featurevault quarantine list` shows it)
    conv_rate[(len(DRIVER_IDS) - 1) * len(hours)] = 1.5
    return pa.table(
        {
            "driver_id": ids,
            "event_timestamp": pa.array(times, pa.timestamp("us", tz="UTC")),
            "conv_rate": conv_rate,
            "acc_rate": rng.random(n).astype(np.float32),
            "avg_daily_trips": rng.integers(0, 1000, n).astype(np.int64),
            "created": pa.array([now] * n, pa.timestamp("us", tz="UTC")),
        }
    )
