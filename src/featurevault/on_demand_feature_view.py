"""Feast-compatible import path: ``from featurevault.on_demand_feature_view import on_demand_feature_view``.

Importing this submodule would shadow the ``featurevault.on_demand_feature_view``
decorator exported by the package, so the module itself is made callable and
behaves as the decorator either way.
"""

import sys
import types
from typing import Any

from featurevault.model.on_demand import OnDemandFeatureView, on_demand_feature_view

__all__ = ["OnDemandFeatureView", "on_demand_feature_view"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return on_demand_feature_view(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
