"""Definition objects: plain data, no I/O, serialisable to the registry."""

from featurevault.model.alert import Alert
from featurevault.model.base import DefinitionSite, FeatureObject
from featurevault.model.contents import RepoContents
from featurevault.model.entity import Entity, Field
from featurevault.model.feature_service import FeatureService
from featurevault.model.feature_view import FeatureView, Projection
from featurevault.model.on_demand import OnDemandFeatureView, on_demand_feature_view
from featurevault.model.permission import (
    AllowAll,
    AuthzedAction,
    GroupBasedPolicy,
    Permission,
    RoleBasedPolicy,
)
from featurevault.model.sources import (
    CsvFormat,
    DataSource,
    DeltaFormat,
    FileSource,
    ParquetFormat,
    PostgreSQLSource,
    PushSource,
    RequestSource,
)
from featurevault.model.delta_source import DeltaSource
from featurevault.model.spark_source import SparkSource

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
