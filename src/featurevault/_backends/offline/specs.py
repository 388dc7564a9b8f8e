"""What an offline engine is told about a source or a feature view: plain, frozen data.

Engines never see definition objects (``featurevault._model``): the operations layer
builds these specs from them (:mod:`featurevault._ops.offline_specs`) and passes them
down, so definitions can change shape without touching an engine, and an engine
can be driven by anything that can fill in a spec.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: source kinds whose rows are files (Parquet, CSV, a Delta table), local or in object storage
FILE_KINDS = ("file", "delta")


@dataclass(frozen=True)
class SourceSpec:
    """Where a source's rows are and how its columns are named.

    ``kind`` is the definition's ``source_type``: ``file``, ``delta``, ``postgres``,
    ``spark``, ``push`` (its rows are kept offline in ``batch``) or ``request``.
    Names (``timestamp_field``, ...) are those feature views use; ``field_mapping``
    maps a source column to such a name.
    """

    kind: str
    name: str
    #: the definition's class name (``FileSource``, ``PostgreSQLSource``, ...), for messages
    type_name: str = ""
    timestamp_field: str = ""
    created_timestamp_column: str = ""
    field_mapping: Mapping[str, str] = field(default_factory=dict)
    date_partition_column: str = ""
    #: files: a local path (relative to the repo) or an ``s3://`` URI; spark: a path when it reads files
    path: str = ""
    #: ``parquet``, ``csv`` or ``delta`` (file and spark sources reading files)
    file_format: str = ""
    #: an S3-compatible server for ``s3://`` paths (MinIO, ...); AWS itself when empty
    s3_endpoint_override: str = ""
    #: delta: the columns a table created by a write is partitioned by (None: the date partition column)
    partition_by: tuple[str, ...] | None = None
    #: delta: the table version (int) or time (UTC) read; None: the latest version
    as_of: int | datetime | None = None
    #: postgres and spark: a table name, or a query
    table: str = ""
    query: str = ""
    #: postgres: a libpq URI or ``key=value`` string (``${VAR}`` read from the environment)
    connection_string: str = ""
    #: push: the source keeping the pushed rows offline
    batch: SourceSpec | None = None

    @property
    def offline(self) -> SourceSpec:
        """The source holding the rows offline: a push source's batch source, else this one."""
        return self.batch if self.batch is not None else self

    @property
    def is_files(self) -> bool:
        return self.kind in FILE_KINDS

    def partition_columns(self) -> list[str]:
        """The columns a Delta table created by a write is partitioned by."""
        if self.partition_by is not None:
            return list(self.partition_by)
        return [self.date_partition_column] if self.date_partition_column else []


@dataclass(frozen=True)
class FeatureSpec:
    """One feature of a view: its name and declared type (as written in definitions, e.g. ``Int64``)."""

    name: str
    dtype: str


@dataclass(frozen=True)
class ViewSpec:
    """A feature view as an engine reads it: keys, features, ttl and source."""

    name: str
    join_keys: tuple[str, ...]
    features: tuple[FeatureSpec, ...]
    source: SourceSpec
    #: how far back a value is valid for a row (None: unbounded)
    ttl: timedelta | None = None

    @property
    def batch_source(self) -> SourceSpec:
        """The source offline reads come from (a push source's batch source)."""
        return self.source.offline

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def ttl_seconds(self) -> float:
        """0 when values never expire."""
        return self.ttl.total_seconds() if self.ttl else 0.0


__all__ = ["FILE_KINDS", "FeatureSpec", "SourceSpec", "ViewSpec"]
