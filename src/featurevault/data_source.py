"""Feast-compatible import path: ``from featurevault.data_source import PushMode, PushSource``."""

from featurevault._model.push_mode import PushMode
from featurevault._model.sources import DataSource, FileSource, PostgreSQLSource, PushSource, RequestSource
from featurevault._model.unsupported import KafkaSource, KinesisSource

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
