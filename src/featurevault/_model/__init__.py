"""Definition objects: plain data, no I/O, serialisable to the registry.

The names below load on first use (PEP 562), so importing one light submodule, such as
:mod:`featurevault._model.permission` for the CLI's ``--help``, does not pull in pyarrow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from featurevault._model.alert import Alert
    from featurevault._model.base import DefinitionSite
    from featurevault._model.base import FeatureObject
    from featurevault._model.contents import RepoContents
    from featurevault._model.entity import Entity
    from featurevault._model.entity import Field
    from featurevault._model.feature_service import FeatureService
    from featurevault._model.feature_view import FeatureView
    from featurevault._model.feature_view import Projection
    from featurevault._model.on_demand import OnDemandFeatureView
    from featurevault._model.on_demand import on_demand_feature_view
    from featurevault._model.permission import AllowAll
    from featurevault._model.permission import AuthzedAction
    from featurevault._model.permission import GroupBasedPolicy
    from featurevault._model.permission import Permission
    from featurevault._model.permission import RoleBasedPolicy
    from featurevault._model.sources import CsvFormat
    from featurevault._model.sources import DataSource
    from featurevault._model.sources import DeltaFormat
    from featurevault._model.sources import FileSource
    from featurevault._model.sources import ParquetFormat
    from featurevault._model.sources import PostgreSQLSource
    from featurevault._model.sources import PushSource
    from featurevault._model.sources import RequestSource
    from featurevault._model.delta_source import DeltaSource
    from featurevault._model.spark_source import SparkSource

_WHERE = {
    "Alert": "featurevault._model.alert",
    "DefinitionSite": "featurevault._model.base",
    "FeatureObject": "featurevault._model.base",
    "RepoContents": "featurevault._model.contents",
    "Entity": "featurevault._model.entity",
    "Field": "featurevault._model.entity",
    "FeatureService": "featurevault._model.feature_service",
    "FeatureView": "featurevault._model.feature_view",
    "Projection": "featurevault._model.feature_view",
    "OnDemandFeatureView": "featurevault._model.on_demand",
    "on_demand_feature_view": "featurevault._model.on_demand",
    "AllowAll": "featurevault._model.permission",
    "AuthzedAction": "featurevault._model.permission",
    "GroupBasedPolicy": "featurevault._model.permission",
    "Permission": "featurevault._model.permission",
    "RoleBasedPolicy": "featurevault._model.permission",
    "CsvFormat": "featurevault._model.sources",
    "DataSource": "featurevault._model.sources",
    "DeltaFormat": "featurevault._model.sources",
    "FileSource": "featurevault._model.sources",
    "ParquetFormat": "featurevault._model.sources",
    "PostgreSQLSource": "featurevault._model.sources",
    "PushSource": "featurevault._model.sources",
    "RequestSource": "featurevault._model.sources",
    "DeltaSource": "featurevault._model.delta_source",
    "SparkSource": "featurevault._model.spark_source",
}
"""public name -> the submodule defining it"""


def __getattr__(name: str) -> Any:
    try:
        module = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'featurevault._model' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__all__ = [
    "Alert",
    "AllowAll",
    "AuthzedAction",
    "GroupBasedPolicy",
    "Permission",
    "RoleBasedPolicy",
    "CsvFormat",
    "DataSource",
    "DefinitionSite",
    "DeltaFormat",
    "DeltaSource",
    "Entity",
    "FeatureObject",
    "FeatureService",
    "FeatureView",
    "Field",
    "FileSource",
    "OnDemandFeatureView",
    "ParquetFormat",
    "PostgreSQLSource",
    "Projection",
    "PushSource",
    "RepoContents",
    "RequestSource",
    "SparkSource",
    "on_demand_feature_view",
]
