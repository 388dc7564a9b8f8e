"""Definitions turned into what an offline engine is told: :mod:`featurevault._backends.offline.specs`.

Engines never import ``featurevault._model``; every call into one passes specs built here.
"""

from __future__ import annotations

from dataclasses import replace

from featurevault._backends.offline.specs import FeatureSpec, SourceSpec, ViewSpec
from featurevault._model import DataSource, FeatureView, FileSource, PostgreSQLSource, PushSource
from featurevault._model.delta_source import DeltaSource
from featurevault._model.spark_source import SparkSource


def source_spec(source: DataSource) -> SourceSpec:
    """The engine's view of ``source`` (a push source's spec carries its batch source's)."""
    spec = SourceSpec(
        kind=source.source_type,
        name=source.name,
        type_name=type(source).__name__,
        timestamp_field=source.timestamp_field,
        created_timestamp_column=source.created_timestamp_column,
        field_mapping=dict(source.field_mapping),
        date_partition_column=source.date_partition_column,
    )
    if isinstance(source, FileSource):  # DeltaSource included
        spec = replace(
            spec, path=source.path, file_format=source.file_format, s3_endpoint_override=source.s3_endpoint_override
        )
    if isinstance(source, DeltaSource):
        return replace(spec, partition_by=tuple(source.partition_by), as_of=source.as_of)
    if isinstance(source, SparkSource):
        return replace(spec, path=source.path, file_format=source.file_format, table=source.table, query=source.query)
    if isinstance(source, PostgreSQLSource):
        return replace(spec, table=source.table, query=source.query, connection_string=source.connection_string)
    if isinstance(source, PushSource):
        return replace(spec, batch=source_spec(source.batch_source))
    return spec


def view_spec(view: FeatureView) -> ViewSpec:
    """The engine's view of a feature view: join keys, typed features, ttl and source."""
    return ViewSpec(
        name=view.name,
        join_keys=tuple(view.join_keys),
        features=tuple(FeatureSpec(f.name, str(f.dtype)) for f in view.features),
        source=source_spec(view.source),
        ttl=view.ttl,
    )


__all__ = ["source_spec", "view_spec"]
