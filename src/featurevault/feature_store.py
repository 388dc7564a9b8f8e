"""Feast path ``feast.feature_store``."""

from featurevault._store import FeatureStore

__all__ = ["FeatureStore"]
