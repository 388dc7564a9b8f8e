"""A Spark standalone cluster (a master and two workers on loopback) runs a historical retrieval (from local
Parquet and from moto's S3 server, whose objects the workers read) and a materialization for a repo whose
feature_store.yaml points at it. Run once, with small data: starting the cluster's JVMs is the cost."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.integration.objects.moto_server import MotoServer
from tests.unit.online.repo_defs import driver_rows

from .spark_repo import _drop_namespace, _online_section, namespace
from .standalone import StandaloneCluster

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.xdist_group("spark"), pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[3]


S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def test_retrieval_and_materialization_on_a_standalone_cluster(tmp_path: Path) -> None:
    import boto3

    space = namespace() + ":"
    try:
        with MotoServer(tmp_path / "moto.log") as moto, StandaloneCluster(tmp_path / "cluster") as master:
            client = boto3.client("s3", endpoint_url=moto.endpoint, **_boto_credentials())
            client.create_bucket(Bucket="lake")
            body = io.BytesIO()
            pq.write_table(driver_rows(), body)
            client.put_object(Bucket="lake", Key="driver/part-0.parquet", Body=body.getvalue())
            s3 = json.dumps({"path": "s3://lake/driver", "endpoint": moto.endpoint})
            online = json.dumps(_online_section("redis", space))
            cmd = [
                sys.executable,
                "-m",
                "tests.integration.spark.cluster_driver",
                str(tmp_path / "repo"),
                master,
                online,
                s3,
            ]
            env = {**os.environ, **S3_ENV}
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=800, env=env)
            objects_read = moto.objects_read("lake")
    finally:
        _drop_namespace("redis", space)
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["master"] == master
    assert result["executors"] == 2
    assert result["same_as_duckdb"], result["cluster_rows"]
    assert result["s3_same"] and not result["s3a"]  # read by the workers through pyarrow, equal to local Parquet
    assert "driver/part-0.parquet" in objects_read
    assert [r["city"] for r in result["cluster_rows"]] == [None, "c", "a", None, "b"]
    assert result["materialized"] == 3
    assert result["online_city"] == ["b", "c", None]  # driver 3's row is older than the view's ttl


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": S3_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": S3_ENV["AWS_SECRET_ACCESS_KEY"],
        "region_name": S3_ENV["AWS_REGION"],
    }
