"""Feast-compatible import path."""

from featurevault._model.feature_view import FeatureView

__all__ = ["FeatureView"]
