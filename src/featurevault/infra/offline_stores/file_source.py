"""Feast path ``feast.infra.offline_stores.file_source``."""

from featurevault._model.logging_config import FileLoggingDestination
from featurevault._model.sources import FileSource

__all__ = ["FileLoggingDestination", "FileSource"]
