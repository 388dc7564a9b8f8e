"""Feast-compatible import path."""

from featurevault.model.feature_view import FeatureView

__all__ = ["FeatureView"]
