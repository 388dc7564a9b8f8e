"""A small repo with validation rules, shared by the data-quality tests.

``user_stats`` (file source, materialized) and ``user_live`` (push source writing to a
Parquet batch source) each declare one rule of every kind; ``make_store`` builds the
repo on any online backend.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from featurevault import Entity, FeatureView, Field, FileSource, PushSource
from featurevault._quality import between, expression, matches, not_null, one_of, unique
from featurevault._store import FeatureStore
from featurevault.types import Float64, Int64, String
from tests.support.repo_builder import RepoBuilder

T0 = datetime(2024, 1, 1, tzinfo=UTC)

user = Entity(name="user", join_keys=["user_id"])


def rules(on_fail: dict[str, str] | None = None) -> list[Any]:
    """One rule of each kind; ``on_fail`` overrides per rule name (default quarantine)."""
    o = on_fail or {}
    return [
        not_null("total", on_fail=o.get("not_null_total", "quarantine")),
        between("avg_amount", 0, 10_000, on_fail=o.get("between_avg_amount", "quarantine")),
        one_of("tier", ["free", "pro"], on_fail=o.get("one_of_tier", "quarantine")),
        matches("email", r"[^@\s]+@[^@\s]+", on_fail=o.get("matches_email", "quarantine")),
        unique(["user_id", "event_timestamp"], on_fail=o.get("unique_user_id_event_timestamp", "quarantine")),
        expression("max_amount >= avg_amount", name="max_ge_avg", on_fail=o.get("max_ge_avg", "quarantine")),
    ]


SCHEMA = [
    Field(name="user_id", dtype=Int64),
    Field(name="total", dtype=Int64),
    Field(name="avg_amount", dtype=Float64),
    Field(name="max_amount", dtype=Float64),
    Field(name="tier", dtype=String),
    Field(name="email", dtype=String, tags={"pii": "true"}),
]


def views(on_fail: dict[str, str] | None = None) -> list[Any]:
    stats_source = FileSource(name="stats_source", path="data/stats.parquet", timestamp_field="event_timestamp")
    live_batch = FileSource(name="live_batch", path="data/live.parquet", timestamp_field="event_timestamp")
    live_push = PushSource(name="live_push", batch_source=live_batch)
    stats = FeatureView(
        name="user_stats", entities=[user], schema=SCHEMA, source=stats_source, ttl=timedelta(0), rules=rules(on_fail)
    )
    live = FeatureView(
        name="user_live", entities=[user], schema=SCHEMA, source=live_push, ttl=timedelta(0), rules=rules(on_fail)
    )
    return [user, stats, live]


GOOD = {"total": 3, "avg_amount": 10.0, "max_amount": 20.0, "tier": "free", "email": "a@b.c"}
#: one row per rule, each breaking exactly that rule (by rule name)
BAD = {
    "not_null_total": {"total": None},
    "between_avg_amount": {"avg_amount": -1.0, "max_amount": 5.0},
    "one_of_tier": {"tier": "gold"},
    "matches_email": {"email": "not-an-email"},
    "max_ge_avg": {"max_amount": 1.0},
}


def rows(specs: list[tuple[int, dict[str, Any]]], at: datetime = T0) -> pa.Table:
    """A table of rows ``(user_id, overrides of GOOD)``, all stamped ``at`` unless overridden."""
    records = [{"user_id": uid, "event_timestamp": at, **GOOD, **over} for uid, over in specs]
    schema = pa.schema(
        [
            ("user_id", pa.int64()),
            ("event_timestamp", pa.timestamp("us", tz="UTC")),
            ("total", pa.int64()),
            ("avg_amount", pa.float64()),
            ("max_amount", pa.float64()),
            ("tier", pa.string()),
            ("email", pa.string()),
        ]
    )
    return pa.Table.from_pylist(records, schema=schema)


def mixed_rows(at: datetime = T0) -> pa.Table:
    """Users 1-3 good, then one user per BAD rule (ids 10, 11, ...)."""
    specs = [(1, {}), (2, {}), (3, {})] + [(10 + i, over) for i, over in enumerate(BAD.values())]
    return rows(specs, at)


def make_store(
    repo: Path,
    online: dict[str, Any] | None = None,
    stats: pa.Table | None = None,
    on_fail: dict[str, str] | None = None,
    registry: str = "data/registry.db",
    extra: str = "",
) -> FeatureStore:
    """Project ``qproj`` in ``repo``: ``stats`` (default :func:`mixed_rows`) as user_stats' source, one
    older row as user_live's batch source, the views applied. ``registry`` is YAML (a path, or a
    flow mapping such as ``{registry_type: sql, path: ...}``); ``extra``: top-level yaml sections."""
    return (
        RepoBuilder(repo, project="qproj")
        .with_config(registry=yaml.safe_load(registry), **(yaml.safe_load(extra) or {}))
        .with_online(online)
        .with_table("data/stats.parquet", stats if stats is not None else mixed_rows())
        .with_table("data/live.parquet", rows([(0, {})], T0 - timedelta(days=1)))
        .with_objects(*views(on_fail))
        .build()
    )
