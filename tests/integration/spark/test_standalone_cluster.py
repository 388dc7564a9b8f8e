"""A Spark standalone cluster (a master and two workers on loopback) runs a historical retrieval and a
materialization for a repo whose feature_store.yaml points at it. Run once, with small data: starting the
cluster's JVMs is the cost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .spark_repo import _drop_namespace, _online_section, namespace
from .standalone import StandaloneCluster

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.xdist_group("spark"), pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[3]


def test_retrieval_and_materialization_on_a_standalone_cluster(tmp_path: Path) -> None:
    space = namespace() + ":"
    try:
        with StandaloneCluster(tmp_path / "cluster") as master:
            online = json.dumps(_online_section("redis", space))
            cmd = [
                sys.executable,
                "-m",
                "tests.integration.spark.cluster_driver",
                str(tmp_path / "repo"),
                master,
                online,
            ]
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=800)
    finally:
        _drop_namespace("redis", space)
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["master"] == master
    assert result["executors"] == 2
    assert result["same_as_duckdb"], result["cluster_rows"]
    assert [r["city"] for r in result["cluster_rows"]] == [None, "c", "a", None, "b"]
    assert result["materialized"] == 3
    assert result["online_city"] == ["b", "c", None]  # driver 3's row is older than the view's ttl
