"""A small monitored repo on the embedded defaults: one view of users with a numeric and a categorical feature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from featurevault import Alert, Entity, FeatureStore, FeatureView, Field, FileSource
from featurevault.types import Float64, Int64, String
from tests.support.repo_builder import RepoBuilder

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
USERS = 2000


def recent() -> datetime:
    """The current hour: data that the online store's ttl (checked against the clock) still serves.

    Read it once per test and pass the value on: two readings differ when the test runs across
    the hour.
    """
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def frame(
    start: datetime, hours: int, *, seed: int, mean: float = 50.0, mix: tuple[float, ...] = (0.6, 0.3, 0.1)
) -> pd.DataFrame:
    """One row per user per hour over ``hours`` hours from ``start``; ``mean`` and ``mix`` shift the data."""
    rng = np.random.default_rng(seed)
    n = USERS * hours
    times = [start + timedelta(hours=h, minutes=int(m)) for h in range(hours) for m in rng.integers(0, 59, USERS)]
    return pd.DataFrame(
        {
            "user_id": np.tile(np.arange(USERS, dtype=np.int64), hours),
            "event_timestamp": pd.to_datetime(times, utc=True),
            "amount": rng.normal(mean, 10.0, n),
            "plan": rng.choice(["free", "pro", "team"], n, p=list(mix)),
        }
    )


def write(path: Path, df: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(path, index=False)


def definitions(alerts: list[Alert] | None = None, freshness: timedelta | None = timedelta(hours=1)) -> list[Any]:
    user = Entity(name="user", join_keys=["user_id"])
    source = FileSource(name="user_source", path="data/users.parquet", timestamp_field="event_timestamp")
    view = FeatureView(
        name="user_stats",
        entities=[user],
        source=source,
        ttl=timedelta(days=2),
        schema=[
            Field(name="user_id", dtype=Int64),
            Field(name="amount", dtype=Float64),
            Field(name="plan", dtype=String),
        ],
        freshness=freshness,
    )
    return [user, source, view, *(alerts or [])]


def make_store(tmp: Path, alerting: dict[str, Any] | None = None) -> FeatureStore:
    """The store of a repo in ``tmp`` with the runbooks ``featurevault init`` ships (data and
    definitions are the test's: :func:`write`, :func:`definitions`)."""
    return (
        RepoBuilder(tmp, project="monitored")
        .with_config(
            registry={"path": "registry.db"},
            online_store={"type": "sqlite", "path": "online.db"},
            audit={"path": "audit.jsonl"},
            alerting=alerting or {},
        )
        .with_runbooks()
        .open()
    )
