"""A small in-memory stand-in for the FeatureStore facade: the server's unit tests check the HTTP layer only.

It answers with the library's real OnlineResponse.

The real store behind the real server is exercised in tests/integration/server.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from featurevault import Entity, FeatureService, FeatureView, Field, FileSource, PushSource
from featurevault.errors import (
    BackendUnavailableError,
    DataSourceNotFoundError,
    FeatureServiceNotFoundError,
    FeatureViewNotFoundError,
)
from featurevault._model import RepoContents
from featurevault._ops.online_response import FieldStatus, OnlineResponse, ResponseColumn
from featurevault.types import Float64, Int64


class FakeRegistry:
    age_seconds = 1.5
    stale = False
    version = 3
    max_staleness_seconds = 600.0
    project = "demo"

    def __init__(self, contents: RepoContents) -> None:
        self._contents = contents

    def contents(self) -> RepoContents:
        return self._contents

    def status(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "age_seconds": self.age_seconds,
            "stale": self.stale,
            "max_staleness_seconds": self.max_staleness_seconds,
            "error": None,
        }

    @staticmethod
    def state(namespace: str) -> dict[str, Any]:
        assert namespace == "materialization"
        return {"driver_stats": {"at": "2024-01-02T03:04:05+00:00", "end": "2024-01-02T00:00:00+00:00"}}


class FakeOnline:
    down = False

    def ping(self) -> None:
        if self.down:
            raise BackendUnavailableError("online store at 127.0.0.1:1 refused the connection")


class FakeStore:
    """Values: driver 1001 has conv_rate 0.5 written at 2024-01-02T03:04:05Z; others are not found."""

    def __init__(self) -> None:
        driver = Entity(name="driver", join_keys=["driver_id"])
        source = FileSource(name="driver_src", path="d.parquet", timestamp_field="event_timestamp")
        self.view = FeatureView(
            name="driver_stats",
            source=PushSource(name="driver_push", batch_source=source),
            entities=[driver],
            schema=[Field(name="driver_id", dtype=Int64), Field(name="conv_rate", dtype=Float64)],
            ttl=timedelta(days=1),
        )
        self.service = FeatureService(name="driver_v1", features=[self.view])
        self.online_store = FakeOnline()
        self.registry = FakeRegistry(
            RepoContents(
                feature_views={self.view.name: self.view},
                feature_services={self.service.name: self.service},
                data_sources={"driver_push": self.view.source},
            )
        )
        self.pushed: list[tuple[str, Any, str]] = []
        self.reads: list[tuple[Any, dict[str, list[Any]], bool]] = []

    def get_feature_service(self, name: str) -> FeatureService:
        if name != self.service.name:
            raise FeatureServiceNotFoundError(f"no feature service named {name!r}")
        return self.service

    def get_feature_view(self, name: str) -> FeatureView:
        if name != self.view.name:
            raise FeatureViewNotFoundError(f"no feature view named {name!r}")
        return self.view

    def get_on_demand_feature_view(self, name: str) -> Any:
        raise FeatureViewNotFoundError(f"no on-demand feature view named {name!r}")

    def get_data_source(self, name: str) -> Any:
        if name != "driver_push":
            raise DataSourceNotFoundError(f"no data source named {name!r}")
        return self.view.source

    def list_feature_views(self) -> list[FeatureView]:
        return [self.view]

    def list_on_demand_feature_views(self) -> list[Any]:
        return []

    def list_feature_services(self) -> list[FeatureService]:
        return [self.service]

    def get_online_features(self, features: Any, entity_rows: Any, full_feature_names: bool = False) -> OnlineResponse:
        if self.online_store.down:
            self.online_store.ping()
        self.reads.append((features, entity_rows, full_feature_names))
        if isinstance(features, list):
            for ref in features:
                if not ref.startswith("driver_stats:"):
                    raise FeatureViewNotFoundError(
                        f"feature reference {ref!r}: no feature view named {ref.split(':')[0]!r}"
                    )
        ids = entity_rows["driver_id"]
        name = "driver_stats__conv_rate" if full_feature_names else "conv_rate"
        found = [i == 1001 for i in ids]
        return OnlineResponse(
            [
                ResponseColumn("driver_id", list(ids), None),
                ResponseColumn(
                    name,
                    [0.5 if f else None for f in found],
                    Float64,
                    [FieldStatus.PRESENT if f else FieldStatus.NOT_FOUND for f in found],
                    [1704164645000000 if f else None for f in found],
                ),
            ]
        )

    def push(self, push_source_name: str, df: Any, to: Any = "online") -> int:
        self.pushed.append((push_source_name, df, to))
        return len(df)

    def write_to_online_store(self, feature_view_name: str, df: Any) -> int:
        self.pushed.append((feature_view_name, df, "online"))
        return len(df)

    def close(self) -> None:
        pass
