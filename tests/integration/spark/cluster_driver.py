"""Run in its own process (one SparkContext per process): a user's repo pointed at a standalone cluster.

``python -m tests.integration.spark.cluster_driver REPO MASTER_URL ONLINE_JSON S3_JSON`` builds the Spark repo,
runs a historical retrieval and a materialization through the cluster, the same retrieval from a copy of the
driver rows in S3 (``S3_JSON``: ``{"path": "s3://...", "endpoint": "http://..."}``; the session has no S3A
connector, so the executors read the objects), runs the retrieval on DuckDB, and prints one JSON line with
what the test checks.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

import pandas as pd

from featurevault import FeatureView, FileSource
from featurevault._backends.offline import spark_files
from featurevault._store import FeatureStore
from tests.integration.spark.spark_repo import local_config, spark_repo
from tests.unit.online.repo_defs import T0, driver, driver_stats

FEATURES = ["driver_stats:conv_rate", "driver_stats:trips", "driver_stats:city"]


def entity_rows() -> pd.DataFrame:
    times = [T0 + timedelta(minutes=m) for m in (-30, 0, 30, 90, 120)]
    return pd.DataFrame({"driver_id": [1, 2, 1, 3, 1], "event_timestamp": times})


def s3_view(s3: dict[str, str]) -> FeatureView:
    """driver_stats, reading the same rows from object storage."""
    source = FileSource(
        name="driver_s3", path=s3["path"], timestamp_field="event_timestamp", s3_endpoint_override=s3["endpoint"]
    )
    return FeatureView(
        name="driver_s3", entities=[driver], ttl=driver_stats.ttl, schema=driver_stats.schema, source=source
    )


def main(repo: Path, master: str, online: dict[str, object], s3: dict[str, str]) -> dict[str, object]:
    conf = {"spark.master": master, "spark.executor.memory": "512m", "spark.cores.max": "2"}
    store = spark_repo(repo, online, spark_conf=conf)
    spark = store.offline_store.spark
    on_cluster = store.get_historical_features(entity_rows(), FEATURES).to_df()
    store.apply([s3_view(s3)], skip_lint=True)
    s3_refs = [ref.replace("driver_stats:", "driver_s3:") for ref in FEATURES]
    from_s3 = store.get_historical_features(entity_rows(), s3_refs).to_df()
    (run,) = store.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2), ["driver_stats"]).views
    store.set_now(T0 + timedelta(hours=2))
    online_values = store.get_online_features(["driver_stats:city"], {"driver_id": [1, 2, 3]}).to_dict()["city"]
    executors = spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1  # minus the driver
    local = FeatureStore(repo_path=local_config(repo, online)).get_historical_features(entity_rows(), FEATURES).to_df()
    return {
        "master": spark.sparkContext.master,
        "executors": executors,
        "same_as_duckdb": on_cluster.equals(local),
        "s3_same": from_s3.equals(on_cluster),
        "s3a": spark_files.has_s3a(spark),
        "cluster_rows": json.loads(on_cluster.to_json(orient="records", date_format="iso")),
        "materialized": run.rows,
        "online_city": online_values,
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4]))))
