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


class LabelView(_Unsupported):
    reason = "label views are not supported"


class LoggingConfig(_Unsupported):
    reason = "feature logging is not supported"


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


UNSUPPORTED = [
    "StreamFeatureView",
    "BatchFeatureView",
    "LabelView",
    "LoggingConfig",
    "KafkaSource",
    "KinesisSource",
    "BigQuerySource",
    "SnowflakeSource",
    "RedshiftSource",
]
