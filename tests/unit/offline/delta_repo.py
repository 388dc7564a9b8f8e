"""A feature repo whose view reads a Delta table: three daily appends, each one table version.

The table is on local disk (``data/tx`` in the repo) or in S3 (a fresh bucket on moto's server), as the
``location`` fixture of ``tests/conftest.py`` gives; tests reach its files the same way for both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from featurevault import DeltaSource, Entity, FeatureStore, FeatureView, Field
from featurevault.types import Float64, Int64
from tests.integration.objects.moto_server import Location
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
    #: the table's files: a local directory, or its prefix in S3
    table: Location
    #: a time after each version was committed, before the next
    after_version: list[datetime] = field(default_factory=list)

    @property
    def uri(self) -> str:
        """The table as deltalake and the engine name it: a local path or ``s3://bucket/prefix``."""
        return self.table.uri

    def delta_table(self) -> Any:
        """The table's latest version, read with deltalake as a user would."""
        from deltalake import DeltaTable

        from featurevault._backends.offline.delta_location import storage_options

        options = storage_options(self.table.endpoint) if self.table.endpoint else None
        return DeltaTable(self.uri, storage_options=options)

    def data_files(self, partition: str = "") -> list[str]:
        """The table's Parquet files (of every version not vacuumed) under ``partition``, relative to it."""
        return [f"{partition}/{f}" if partition else f for f in self.table.files(partition) if f.endswith(".parquet")]

    def objects_read(self) -> list[str]:
        """Data objects fetched from S3 so far (keys relative to the table), repeats included."""
        assert self.table.server is not None, "the table is on local disk"
        bucket, prefix = self.uri.removeprefix("s3://").split("/", 1)
        keys = [k.removeprefix(prefix + "/") for k in self.table.server.objects_read(bucket)]
        return [k for k in keys if k.endswith(".parquet")]

    def entities(self, users: tuple[int, ...] = (1, 2), day: int = 10) -> pd.DataFrame:
        return pd.DataFrame({"user_id": list(users), "event_timestamp": [T0 + timedelta(days=day)] * len(users)})

    def amounts(self, **kwargs: Any) -> list[float | None]:
        frame = self.store.get_historical_features(self.entities(), ["tx_stats:amount"], **kwargs).to_df()
        return [None if pd.isna(v) else float(v) for v in frame["amount"]]


def make_repo(
    root: Path, days: int = 3, *, engine: str = "duckdb", location: Location | None = None, **view_kwargs: Any
) -> DeltaRepo:
    """The repo applied, its Delta table written with day 0 (version 0), then days 1..``days``-1 appended
    through write_to_offline_store (versions 1..days-1).

    ``engine`` is the offline store reading it: ``duckdb`` or ``spark`` (the run's shared session).
    ``location``: an S3 location puts the table under it (``<uri>/tx``); otherwise it is ``data/tx``.
    """
    if location is not None and location.endpoint:
        uri = f"{location.uri}/tx"
        source = DeltaSource(
            name="tx", path=uri, timestamp_field="event_timestamp", s3_endpoint_override=location.endpoint
        )
        table = Location("s3", uri, location.endpoint, location.server)
    else:
        source = DeltaSource(name="tx", path="data/tx", timestamp_field="event_timestamp")
        table = Location("local", str(root / "data" / "tx"), None)
    store = (
        RepoBuilder(root, project="deltarepo")
        .with_config(offline_store={"type": engine})
        .with_delta(source, day_rows(0))
        .with_objects(USER, view(source, **view_kwargs))
        .build()
    )
    repo = DeltaRepo(store, source, table)
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
