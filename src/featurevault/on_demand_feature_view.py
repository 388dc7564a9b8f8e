"""Feast path ``feast.on_demand_feature_view``: ``from featurevault.on_demand_feature_view import on_demand_feature_view``.

The package keeps ``featurevault.on_demand_feature_view`` callable as the decorator after
this submodule is imported (see ``featurevault/__init__.py``).
"""

from featurevault._model.on_demand import OnDemandFeatureView, on_demand_feature_view

__all__ = ["OnDemandFeatureView", "on_demand_feature_view"]
