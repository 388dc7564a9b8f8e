"""The offline engine interface: point-in-time joins, latest-row extraction, appends.

An engine reads the batch sources of feature views (files, tables) and returns
Arrow data. Everything that is not engine-specific (resolving feature
references, on-demand transforms, masking, the RetrievalJob users hold) lives
in :mod:`featurevault._ops`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from featurevault.errors import RequestError
from featurevault._backends.offline.specs import SourceSpec, ViewSpec

#: name of the event-time column in tables an engine returns for materialization
EVENT_TS = "__event_ts"


@dataclass
class ViewRequest:
    """The features wanted from one feature view in a historical retrieval.

    ``output_names[i]`` is the column name of ``features[i]`` in the result
    (``view__feature`` with full feature names). ``join_key_map`` maps a view
    join key to the entity column holding it (identity when empty).
    """

    view: ViewSpec
    features: list[str]
    output_names: list[str]
    join_key_map: dict[str, str] = field(default_factory=dict)

    def entity_column(self, join_key: str) -> str:
        return self.join_key_map.get(join_key, join_key)


class OfflineStore(ABC):
    """Base class of offline engines. Built once from its config section, then called."""

    type_name: str = ""

    @classmethod
    @abstractmethod
    def from_config(cls, config: Any, *, resolve: Callable[[str], Path]) -> OfflineStore:
        """Build the engine; ``resolve`` turns a relative source path into one under the repo."""

    @abstractmethod
    def historical(self, entity: pa.Table | str, requests: list[ViewRequest], *, timestamp_column: str) -> pa.Table:
        """Point-in-time join of ``entity`` (an Arrow table, or a SQL query) with each request.

        The result has exactly one row per entity row, in the entity's order,
        with the entity's own columns first (``timestamp_column`` as UTC
        timestamps), then each request's ``output_names``. For each entity
        row at time t and each view, the values come from the source row with
        the greatest event time in [t - ttl, t] (unbounded when ttl is 0),
        ties broken by the greatest created timestamp; null when none matches.
        """

    @abstractmethod
    def latest_per_key(
        self, view: ViewSpec, start: datetime | None, end: datetime, *, batch_rows: int = 100_000
    ) -> Iterator[pa.RecordBatch]:
        """For materialization: per entity key, the latest source row with start <= event time <= end.

        Batches carry the view's join keys, :data:`EVENT_TS` (UTC timestamps)
        and the view's features, each batch at most ``batch_rows`` rows.
        ``start`` None means from the beginning of the data.
        """

    @abstractmethod
    def time_range(self, view: ViewSpec) -> tuple[datetime | None, datetime | None]:
        """The earliest and latest event time in a view's source (None, None when empty)."""

    @abstractmethod
    def schema(self, source: SourceSpec) -> pa.Schema:
        """The columns a source provides, after its field mapping."""

    @abstractmethod
    def append(self, source: SourceSpec, table: pa.Table) -> None:
        """Append rows to a batch source (offline push). Columns use the source's own names."""

    def feature_rows(self, view: ViewSpec, features: list[str], start: datetime, end: datetime) -> pa.Table:
        """Every source row of ``view`` with start <= event time <= end: ``features`` as columns (monitoring)."""
        raise RequestError(f"the {self.type_name or type(self).__name__} offline engine does not read feature rows")

    def query(self, sql: str, *, sandbox: bool = False) -> pa.Table:
        """Run a SQL query in the engine (an ``entity_df`` given as SQL); engines without SQL refuse.

        With ``sandbox`` the query must not be able to read any file or table (it may compute
        rows from literals); an engine that cannot promise that refuses.
        """
        raise RequestError(f"the {self.type_name or type(self).__name__} offline engine does not run SQL queries")

    def close(self) -> None:
        """Release resources."""


#: ``sink(batches)`` writes latest rows (join keys, :data:`EVENT_TS`, features) and yields
#: ``(rows written, rows kept back because the online value was newer)``; it must be picklable
PartitionSink = Callable[[Iterator[pa.RecordBatch]], Iterator[tuple[int, int]]]


class FrameEngine(ABC):
    """Capability of engines whose results can stay in the engine as lazy DataFrames (Spark).

    ``historical`` is then ``collect(historical_frame(...))``; callers that want
    the engine's own DataFrame (``RetrievalJob.to_spark_df``) skip the collect.
    """

    @abstractmethod
    def is_frame(self, value: Any) -> bool:
        """Whether ``value`` is one of the engine's DataFrames (an ``entity_df`` may be one)."""

    @abstractmethod
    def frame_schema(self, entity: Any) -> pa.Schema:
        """The Arrow schema of an entity given as a DataFrame or SQL query (nothing is collected)."""

    @abstractmethod
    def historical_frame(self, entity: Any, requests: list[ViewRequest], *, timestamp_column: str) -> Any:
        """:meth:`OfflineStore.historical` as a lazy DataFrame, sorted in the entity rows' order."""

    @abstractmethod
    def collect(self, frame: Any, like: pa.Schema | None = None) -> pa.Table:
        """A DataFrame collected as Arrow; columns of ``like`` get its types back where they can."""


class PartitionWriter(ABC):
    """Capability of engines that write materialized rows from their workers, partition by partition."""

    @abstractmethod
    def write_latest(
        self, view: ViewSpec, start: datetime | None, end: datetime, sink: PartitionSink, *, partitions: int | None
    ) -> tuple[int, int]:
        """Run ``sink`` on each partition of the latest rows per key; the summed counts it yielded."""
