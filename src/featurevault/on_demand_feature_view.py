"""Feast-compatible import path: ``from featurevault.on_demand_feature_view import on_demand_feature_view``."""

from featurevault.model.on_demand import OnDemandFeatureView, on_demand_feature_view

__all__ = ["OnDemandFeatureView", "on_demand_feature_view"]
