"""featurevault: a production feature store.

Definitions use Feast's names, so a Feast repo switches by changing its imports::

    from featurevault import Entity, FeatureView, Field, FileSource, FeatureStore
    from featurevault.types import Float32, Int64

Every public name is loaded on first use (PEP 562), so ``import featurevault``
and the ``featurevault`` command start without pulling in pydantic or pyarrow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "RepoConfig": "featurevault.config",
    "FeatureVaultError": "featurevault.errors",
    "FeatureStore": "featurevault.store",
    "PushMode": "featurevault.model.push_mode",
    "Project": "featurevault.model.project",
    "ValueType": "featurevault.types",
    "SavedDataset": "featurevault.quality.saved_dataset",
    "SavedDatasetFileStorage": "featurevault.quality.saved_dataset",
    "ValidationReference": "featurevault.quality.saved_dataset",
    "LabelView": "featurevault.model.label_view",
    "ConflictPolicy": "featurevault.model.label_view",
    "LoggingConfig": "featurevault.model.logging_config",
    "FileLoggingDestination": "featurevault.model.logging_config",
    **{
        name: "featurevault.model"
        for name in (
            "Alert",
            "AllowAll",
            "AuthzedAction",
            "CsvFormat",
            "DeltaFormat",
            "DeltaSource",
            "Entity",
            "FeatureService",
            "FeatureView",
            "Field",
            "FileSource",
            "GroupBasedPolicy",
            "OnDemandFeatureView",
            "ParquetFormat",
            "Permission",
            "PostgreSQLSource",
            "PushSource",
            "RequestSource",
            "RoleBasedPolicy",
            "SparkSource",
            "on_demand_feature_view",
        )
    },
    **{
        name: "featurevault.model.unsupported"
        for name in (
            "AthenaSource",
            "BatchFeatureView",
            "BigQuerySource",
            "KafkaSource",
            "KinesisSource",
            "MsSqlServerSource",
            "RedshiftSource",
            "SnowflakeSource",
            "StreamFeatureView",
            "TrinoSource",
        )
    },
}

if TYPE_CHECKING:
    # "name as name": re-exported for type checkers (the names load lazily at run time)
    from featurevault.config import RepoConfig as RepoConfig
    from featurevault.errors import FeatureVaultError as FeatureVaultError
    from featurevault.model import (
        Alert as Alert,
        AllowAll as AllowAll,
        AuthzedAction as AuthzedAction,
        CsvFormat as CsvFormat,
        DeltaFormat as DeltaFormat,
        DeltaSource as DeltaSource,
        Entity as Entity,
        FeatureService as FeatureService,
        FeatureView as FeatureView,
        Field as Field,
        FileSource as FileSource,
        GroupBasedPolicy as GroupBasedPolicy,
        OnDemandFeatureView as OnDemandFeatureView,
        ParquetFormat as ParquetFormat,
        Permission as Permission,
        PostgreSQLSource as PostgreSQLSource,
        PushSource as PushSource,
        RequestSource as RequestSource,
        RoleBasedPolicy as RoleBasedPolicy,
        SparkSource as SparkSource,
        on_demand_feature_view as on_demand_feature_view,
    )
    from featurevault.model.label_view import (
        ConflictPolicy as ConflictPolicy,
        LabelView as LabelView,
    )
    from featurevault.model.logging_config import (
        FileLoggingDestination as FileLoggingDestination,
        LoggingConfig as LoggingConfig,
    )
    from featurevault.model.project import Project as Project
    from featurevault.model.push_mode import PushMode as PushMode
    from featurevault.store import FeatureStore as FeatureStore
    from featurevault.quality.saved_dataset import (
        SavedDataset as SavedDataset,
        SavedDatasetFileStorage as SavedDatasetFileStorage,
        ValidationReference as ValidationReference,
    )
    from featurevault.types import ValueType as ValueType
    from featurevault.model.unsupported import (
        AthenaSource as AthenaSource,
        BatchFeatureView as BatchFeatureView,
        BigQuerySource as BigQuerySource,
        KafkaSource as KafkaSource,
        KinesisSource as KinesisSource,
        MsSqlServerSource as MsSqlServerSource,
        RedshiftSource as RedshiftSource,
        SnowflakeSource as SnowflakeSource,
        StreamFeatureView as StreamFeatureView,
        TrinoSource as TrinoSource,
    )


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'featurevault' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = sorted([*_EXPORTS, "__version__"])
