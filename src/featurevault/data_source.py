"""Feast-compatible import path: ``from featurevault.data_source import PushMode, PushSource``."""

from featurevault.model.push_mode import PushMode
from featurevault.model.sources import DataSource, FileSource, PostgreSQLSource, PushSource, RequestSource
from featurevault.model.unsupported import KafkaSource, KinesisSource

__all__ = [
    "DataSource",
    "FileSource",
    "KafkaSource",
    "KinesisSource",
    "PostgreSQLSource",
    "PushMode",
    "PushSource",
    "RequestSource",
]
