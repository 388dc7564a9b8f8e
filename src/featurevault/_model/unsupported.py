"""Feast constructs featurevault does not offer: constructing one is an error, never a silent no-op."""

from __future__ import annotations

from typing import Any

from featurevault.errors import UnsupportedConstructError


class _Unsupported:
    reason = "it is not supported by featurevault"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name = kwargs.get("name")
        label = f"{type(self).__name__}(name={name!r})" if name else type(self).__name__
        raise UnsupportedConstructError(f"{label}: {self.reason}")


class StreamFeatureView(_Unsupported):
    reason = "stream feature views are not supported; use a FeatureView with a PushSource and push()"


class BatchFeatureView(_Unsupported):
    reason = "batch feature views with transformations are not supported; use a FeatureView"


class KafkaSource(_Unsupported):
    reason = "Kafka sources are not supported; push rows with PushSource"


class KinesisSource(_Unsupported):
    reason = "Kinesis sources are not supported; push rows with PushSource"


class BigQuerySource(_Unsupported):
    reason = "BigQuery sources are not supported; export to Parquet and use FileSource"


class SnowflakeSource(_Unsupported):
    reason = "Snowflake sources are not supported; export to Parquet and use FileSource"


class RedshiftSource(_Unsupported):
    reason = "Redshift sources are not supported; export to Parquet and use FileSource"


class TrinoSource(_Unsupported):
    reason = "Trino sources are not supported; use PostgreSQLSource, or export to Parquet and use FileSource"


class AthenaSource(_Unsupported):
    reason = "Athena sources are not supported; export to Parquet and use FileSource"


class MsSqlServerSource(_Unsupported):
    reason = "SQL Server sources are not supported; export to Parquet and use FileSource"


UNSUPPORTED = [
    "StreamFeatureView",
    "BatchFeatureView",
    "KafkaSource",
    "KinesisSource",
    "BigQuerySource",
    "SnowflakeSource",
    "RedshiftSource",
    "TrinoSource",
    "AthenaSource",
    "MsSqlServerSource",
]
