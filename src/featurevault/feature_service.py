"""Feast-compatible import path."""

from featurevault.model.feature_service import FeatureService

__all__ = ["FeatureService"]
