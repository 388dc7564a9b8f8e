"""Feast-compatible import path."""

from featurevault._model.feature_service import FeatureService

__all__ = ["FeatureService"]
