"""Feast path ``feast.infra.offline_stores.file_source``."""

from featurevault.model.logging_config import FileLoggingDestination
from featurevault.model.sources import FileSource

__all__ = ["FileLoggingDestination", "FileSource"]
