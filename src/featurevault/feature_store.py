"""Feast path ``feast.feature_store``."""

from featurevault.store import FeatureStore

__all__ = ["FeatureStore"]
