"""SparkSource: Feast's constructor, one of table/query/path, registry round trip, import paths."""

from __future__ import annotations

import pytest

from featurevault.errors import DefinitionError
from featurevault._model import DeltaFormat, FileSource
from featurevault._model.sources import source_from_dict
from featurevault._model.spark_source import SparkSource


def test_importable_from_featurevault_and_feasts_path() -> None:
    import featurevault
    from featurevault.infra.offline_stores.contrib.spark_offline_store.spark_source import SparkSource as FeastPath

    assert featurevault.SparkSource is SparkSource is FeastPath


@pytest.mark.parametrize(
    "kwargs",
    [
        {"table": "db.events", "timestamp_field": "ts"},
        {"name": "q", "query": "SELECT * FROM events", "created_timestamp_column": "created"},
        {
            "name": "f",
            "path": "s3://lake/events",
            "file_format": DeltaFormat(),
            "field_mapping": {"a": "b"},
            "date_partition_column": "dt",
        },
    ],
)
def test_round_trip_through_the_registry_form(kwargs: dict[str, object]) -> None:
    source = SparkSource(**kwargs)  # type: ignore[arg-type]
    again = source_from_dict(source.to_dict())
    assert isinstance(again, SparkSource) and again == source


def test_defaults_and_names() -> None:
    assert SparkSource(table="db.events").name == "db_events"
    assert SparkSource(name="f", path="x").file_format == "parquet"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "s"}, "exactly one of table=, query= or path="),
        ({"name": "s", "table": "t", "query": "q"}, "exactly one of"),
        ({"query": "SELECT 1"}, "name is required"),
        ({"name": "s", "path": "p", "file_format": "orc"}, "file_format 'orc'"),
    ],
)
def test_bad_definitions_are_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        SparkSource(**kwargs)  # type: ignore[arg-type]


def test_file_source_keeps_its_s3_endpoint() -> None:
    source = FileSource(name="s", path="s3://b/p", timestamp_field="ts", s3_endpoint_override="http://minio:9000")
    assert source_from_dict(source.to_dict()).s3_endpoint_override == "http://minio:9000"
