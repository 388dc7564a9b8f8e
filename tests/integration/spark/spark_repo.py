"""A feature repo on the Spark engine (the online tests' small repo), with Redis or PostgreSQL online."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from tests.integration.online.test_online_backends import _drop_namespace, _online_section
from tests.unit.online.repo_defs import ALL, Harness, source_tables


def namespace() -> str:
    return f"fvspark_{uuid.uuid4().hex[:8]}"


def spark_repo(
    repo: Path, online: dict[str, Any], *, batch_engine: str = "spark", spark_conf: dict[str, str] | None = None
) -> Harness:
    """The small online-test repo in ``repo``, read by Spark, materialized by ``batch_engine``."""
    (repo / "data").mkdir(parents=True, exist_ok=True)
    for path, table in source_tables().items():
        pq.write_table(table, repo / path)
    config = {
        "project": "proj",
        "registry": "data/registry.db",
        "offline_store": {"type": "spark", "spark_conf": spark_conf or {}},
        "batch_engine": {"type": batch_engine, "partitions": 2},
        "online_store": online,
    }
    (repo / "feature_store.yaml").write_text(json.dumps(config))
    store = Harness(repo_path=repo)
    store.apply(ALL, skip_lint=True)
    return store


__all__ = ["_drop_namespace", "_online_section", "namespace", "spark_repo"]
