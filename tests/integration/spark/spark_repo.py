"""A feature repo on the Spark engine (the online tests' small repo), with Redis or PostgreSQL online."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tests.integration.online.test_online_backends import _drop_namespace, _online_section
from tests.support.repo_builder import RepoBuilder
from tests.unit.online.repo_defs import ALL, Harness, source_tables


def namespace() -> str:
    return f"fvspark_{uuid.uuid4().hex[:8]}"


def spark_repo(
    repo: Path, online: dict[str, Any], *, batch_engine: str = "spark", spark_conf: dict[str, str] | None = None
) -> Harness:
    """The small online-test repo in ``repo``, read by Spark, materialized by ``batch_engine``."""
    store = (
        RepoBuilder(repo)
        .with_online(online)
        .with_config(
            offline_store={"type": "spark", "spark_conf": spark_conf or {}},
            batch_engine={"type": batch_engine, "partitions": 2},
        )
        .with_tables(source_tables())
        .open(Harness)
    )
    store.apply(ALL, skip_lint=True)
    return store


def local_config(repo: Path, online: dict[str, Any]) -> Path:
    """The same repo's config on the local engines (DuckDB reads, local materialization); data kept."""
    return RepoBuilder(repo).with_online(online).with_config(batch_engine={"type": "local"}).write()


__all__ = ["_drop_namespace", "_online_section", "local_config", "namespace", "spark_repo"]
