"""Feast path ``feast.feature_logging``."""

from featurevault._model.logging_config import LoggingConfig

__all__ = ["LoggingConfig"]
