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

T0 = datetime(2024, 1, 1, tzinfo=UTC)
USER = Entity(name="user", join_keys=["user_id"])
SCHEMA = [Field(name="user_id", dtype=Int64), Field(name="amount", dtype=Float64)]

CONFIG = """project: deltarepo
registry: data/registry.db
online_store:
  type: sqlite
  path: data/online.db
offline_store:
  type: {engine}
"""


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
    """The repo applied, with ``days`` daily appends through write_to_offline_store (versions 0..days-1).

    ``engine`` is the offline store reading it: ``duckdb`` or ``spark`` (the run's shared session).
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "feature_store.yaml").write_text(CONFIG.format(engine=engine))
    store = FeatureStore(root)
    source = DeltaSource(name="tx", path="data/tx", timestamp_field="event_timestamp")
    repo = DeltaRepo(store, source, root / "data" / "tx")
    from featurevault.backends.offline.delta import append

    import pyarrow as pa

    append(source, repo.path, pa.Table.from_pandas(day_rows(0), preserve_index=False))
    store.apply([USER, view(source, **view_kwargs)])
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
