"""Feast path ``feast.feature_logging``."""

from featurevault.model.logging_config import LoggingConfig

__all__ = ["LoggingConfig"]
