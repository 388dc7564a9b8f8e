"""A fraud-scoring repo for the lifecycle tests: 10,000 users, two views, services v2 and v3.

``fraud_model_v2`` reads the transaction statistics; ``fraud_model_v3`` adds a risk score
from a second view. Its base config uses SQLite files under ``data/``; the ``staging``
and ``prod`` environments each have a registry and online store of their own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from tests.support.repo_builder import RepoBuilder

NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
USERS = 10_000

CONFIG = """\
project: fraud
registry: data/registry.db
provider: local
online_store:
  type: sqlite
  path: data/online.db
offline_store:
  type: duckdb
environments:
  staging:
    registry: data/staging_registry.db
    online_store: {path: data/staging_online.db}
  prod:
    registry: {path: data/prod_registry.db, cache_ttl_seconds: 0}
    online_store: {path: data/prod_online.db}
"""

DEFINITIONS = """\
from datetime import timedelta

from featurevault import Entity, FeatureService, FeatureView, Field, FileSource
from featurevault._quality import between, not_null
from featurevault.types import Float64, Int64

user = Entity(name="user", join_keys=["user_id"], description="A card holder", owner="risk@example.com")

txn_source = FileSource(name="user_txn_source", path="data/txn.parquet", timestamp_field="event_timestamp")
risk_source = FileSource(name="user_risk_source", path="data/risk.parquet", timestamp_field="event_timestamp")

user_txn_stats_daily = FeatureView(
    name="user_txn_stats_daily",
    entities=[user],
    ttl=timedelta(days=30),
    schema=[Field(name="user_amount_sum_7d", dtype=Float64, description="Sum of amounts over 7 days",
                  null_policy="reject"),
            Field(name="user_txn_count_7d", dtype=Int64, description="Transactions over 7 days", null_policy="reject")],
    source=txn_source,
    rules=[not_null("user_txn_count_7d")],
    description="Transaction totals per user",
    owner="risk@example.com",
    tags={"team": "risk"},
)

user_risk_daily = FeatureView(
    name="user_risk_daily",
    entities=[user],
    ttl=timedelta(days=30),
    schema=[Field(name="user_device_risk_score", dtype=Float64, description="Device risk, 0 to 1",
                  null_policy="reject")],
    source=risk_source,
    rules=[between("user_device_risk_score", 0, 1)],
    description="Device risk per user",
    owner="risk@example.com",
    tags={"team": "risk"},
)

fraud_model_v2 = FeatureService(name="fraud_model_v2", features=[user_txn_stats_daily])
fraud_model_v3 = FeatureService(name="fraud_model_v3", features=[user_txn_stats_daily, user_risk_daily])
"""


def write_repo(repo: Path, definitions: str = DEFINITIONS, config: str = CONFIG) -> Path:
    """The repo written in ``repo`` (``definitions`` as its ``features.py``, ``config`` as its
    ``feature_store.yaml``), nothing applied."""
    ids = np.arange(1, USERS + 1, dtype=np.int64)
    stamp = pa.array([NOW - timedelta(hours=1)] * USERS, pa.timestamp("us", tz="UTC"))
    txn = {"user_id": ids, "event_timestamp": stamp, "user_amount_sum_7d": ids * 1.5, "user_txn_count_7d": ids % 17}
    risk = {"user_id": ids, "event_timestamp": stamp, "user_device_risk_score": (ids % 100) / 100.0}
    return (
        RepoBuilder(repo)
        .with_yaml(config)
        .with_definitions(definitions)
        .with_tables({"data/txn.parquet": pa.table(txn), "data/risk.parquet": pa.table(risk)})
        .write()
    )
