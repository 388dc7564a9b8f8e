"""A feature repo whose view reads a Delta table: three daily appends, each one table version."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from featurevault import DeltaSource, Entity, FeatureStore, FeatureView, Field
from featurevault.types import Float64, Int64
from tests.support.repo_builder import RepoBuilder

T0 = datetime(2024, 1, 1, tzinfo=UTC)
USER = Entity(name="user", join_keys=["user_id"])
SCHEMA = [Field(name="user_id", dtype=Int64), Field(name="amount", dtype=Float64)]


def day_rows(day: int, users: tuple[int, ...] = (1, 2)) -> pd.DataFrame:
    """One row per user at T0 + day days + 1h; amount = 10 * day + user."""
    return pd.DataFrame(
        {
            "user_id": list(users),
            "event_timestamp": [T0 + timedelta(days=day, hours=1)] * len(users),
            "amount": [10.0 * day + u for u in users],
        }
    )


def view(source: DeltaSource, **kwargs: Any) -> FeatureView:
    return FeatureView(name="tx_stats", source=source, entities=[USER], schema=SCHEMA, **kwargs)


@dataclass
class DeltaRepo:
    store: FeatureStore
    source: DeltaSource
    path: Path
    #: a time after each version was committed, before the next
    after_version: list[datetime] = field(default_factory=list)

    def entities(self, users: tuple[int, ...] = (1, 2), day: int = 10) -> pd.DataFrame:
        return pd.DataFrame({"user_id": list(users), "event_timestamp": [T0 + timedelta(days=day)] * len(users)})

    def amounts(self, **kwargs: Any) -> list[float | None]:
        frame = self.store.get_historical_features(self.entities(), ["tx_stats:amount"], **kwargs).to_df()
        return [None if pd.isna(v) else float(v) for v in frame["amount"]]


def make_repo(root: Path, days: int = 3, *, engine: str = "duckdb", **view_kwargs: Any) -> DeltaRepo:
    """The repo applied, its Delta table written with day 0 (version 0), then days 1..``days``-1 appended
    through write_to_offline_store (versions 1..days-1).

    ``engine`` is the offline store reading it: ``duckdb`` or ``spark`` (the run's shared session).
    """
    source = DeltaSource(name="tx", path="data/tx", timestamp_field="event_timestamp")
    store = (
        RepoBuilder(root, project="deltarepo")
        .with_config(offline_store={"type": engine})
        .with_delta(source, day_rows(0))
        .with_objects(USER, view(source, **view_kwargs))
        .build()
    )
    repo = DeltaRepo(store, source, root / "data" / "tx")
    repo.after_version.append(_tick())
    for day in range(1, days):
        store.write_to_offline_store("tx_stats", day_rows(day))
        repo.after_version.append(_tick())
    return repo


def _tick() -> datetime:
    """A time strictly between two commits (Delta stamps commits in milliseconds)."""
    time.sleep(0.02)
    stamp = datetime.now(UTC)
    time.sleep(0.02)
    return stamp
