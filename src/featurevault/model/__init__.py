"""Definition objects: plain data, no I/O, serialisable to the registry.

The names below load on first use (PEP 562), so importing one light submodule, such as
:mod:`featurevault.model.permission` for the CLI's ``--help``, does not pull in pyarrow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from featurevault.model.alert import Alert
    from featurevault.model.base import DefinitionSite
    from featurevault.model.base import FeatureObject
    from featurevault.model.contents import RepoContents
    from featurevault.model.entity import Entity
    from featurevault.model.entity import Field
    from featurevault.model.feature_service import FeatureService
    from featurevault.model.feature_view import FeatureView
    from featurevault.model.feature_view import Projection
    from featurevault.model.on_demand import OnDemandFeatureView
    from featurevault.model.on_demand import on_demand_feature_view
    from featurevault.model.permission import AllowAll
    from featurevault.model.permission import AuthzedAction
    from featurevault.model.permission import GroupBasedPolicy
    from featurevault.model.permission import Permission
    from featurevault.model.permission import RoleBasedPolicy
    from featurevault.model.sources import CsvFormat
    from featurevault.model.sources import DataSource
    from featurevault.model.sources import DeltaFormat
    from featurevault.model.sources import FileSource
    from featurevault.model.sources import ParquetFormat
    from featurevault.model.sources import PostgreSQLSource
    from featurevault.model.sources import PushSource
    from featurevault.model.sources import RequestSource
    from featurevault.model.delta_source import DeltaSource
    from featurevault.model.spark_source import SparkSource

_WHERE = {
    "Alert": "featurevault.model.alert",
    "DefinitionSite": "featurevault.model.base",
    "FeatureObject": "featurevault.model.base",
    "RepoContents": "featurevault.model.contents",
    "Entity": "featurevault.model.entity",
    "Field": "featurevault.model.entity",
    "FeatureService": "featurevault.model.feature_service",
    "FeatureView": "featurevault.model.feature_view",
    "Projection": "featurevault.model.feature_view",
    "OnDemandFeatureView": "featurevault.model.on_demand",
    "on_demand_feature_view": "featurevault.model.on_demand",
    "AllowAll": "featurevault.model.permission",
    "AuthzedAction": "featurevault.model.permission",
    "GroupBasedPolicy": "featurevault.model.permission",
    "Permission": "featurevault.model.permission",
    "RoleBasedPolicy": "featurevault.model.permission",
    "CsvFormat": "featurevault.model.sources",
    "DataSource": "featurevault.model.sources",
    "DeltaFormat": "featurevault.model.sources",
    "FileSource": "featurevault.model.sources",
    "ParquetFormat": "featurevault.model.sources",
    "PostgreSQLSource": "featurevault.model.sources",
    "PushSource": "featurevault.model.sources",
    "RequestSource": "featurevault.model.sources",
    "DeltaSource": "featurevault.model.delta_source",
    "SparkSource": "featurevault.model.spark_source",
}
"""public name -> the submodule defining it"""


def __getattr__(name: str) -> Any:
    try:
        module = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'featurevault.model' has no attribute {name!r}") from None
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
