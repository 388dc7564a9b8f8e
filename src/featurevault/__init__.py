"""featurevault: a production feature store.

Definitions use Feast's names, so a Feast repo switches by changing its imports::

    from featurevault import Entity, FeatureView, Field, FileSource, FeatureStore
    from featurevault.types import Float32, Int64

The public API is what this package exports (``__all__``): the definitions, the
:class:`FeatureStore`, the results and reports its methods return, the configuration
types and the exceptions. The modules at Feast's import paths (``featurevault.entity``,
``featurevault.feature_view``, ``featurevault.types``, ``featurevault.repo_config``,
``featurevault.infra...``; listed in docs/feast-compatibility.md) re-export parts of it
and are public too. Every other module (``featurevault._model``, ``ops``, ``backends``,
``governance``, ``quality``, ``lifecycle``, ``monitoring``, ``recovery``, ``server``,
``cli``, ...) is internal: it may change between releases without notice (import its
public names from here instead).

Every public name is loaded on first use (PEP 562), so ``import featurevault``
and the ``featurevault`` command start without pulling in pydantic or pyarrow.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType as _ModuleType  # not ``import types``: the submodule featurevault.types would replace it
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> the module that defines it (``module:name`` when exported under another name)
_EXPORTS: dict[str, str] = {
    # -- definitions
    **dict.fromkeys(
        (
            "Alert",
            "AllowAll",
            "AuthzedAction",
            "CsvFormat",
            "DataSource",
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
            "Projection",
            "PushSource",
            "RequestSource",
            "RoleBasedPolicy",
            "SparkSource",
            "on_demand_feature_view",
        ),
        "featurevault._model",
    ),
    **dict.fromkeys(
        (
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
        ),
        "featurevault._model.unsupported",
    ),
    **dict.fromkeys(
        ("FeatureFlag",),
        "featurevault._model.flags",
    ),
    **dict.fromkeys(
        (
            "ConflictPolicy",
            "LabelView",
        ),
        "featurevault._model.label_view",
    ),
    **dict.fromkeys(
        (
            "FileLoggingDestination",
            "LoggingConfig",
        ),
        "featurevault._model.logging_config",
    ),
    **dict.fromkeys(
        ("Project",),
        "featurevault._model.project",
    ),
    **dict.fromkeys(
        ("PushMode",),
        "featurevault._model.push_mode",
    ),
    **dict.fromkeys(
        (
            "NullPolicy",
            "Rule",
            "between",
            "expression",
            "matches",
            "not_null",
            "one_of",
            "unique",
        ),
        "featurevault._model.rules",
    ),
    **dict.fromkeys(
        ("ValueType",),
        "featurevault._model.types",
    ),
    **dict.fromkeys(
        (
            "DistributionProfiler",
            "SavedDataset",
            "SavedDatasetFileStorage",
            "ValidationFailed",
            "ValidationReference",
        ),
        "featurevault._quality.saved_dataset",
    ),
    # -- the store (in-process, or the feature server's client), its configuration, the principal
    **dict.fromkeys(
        ("FeatureStore",),
        "featurevault._store",
    ),
    **dict.fromkeys(
        ("FeatureServerClient",),
        "featurevault._client",
    ),
    **dict.fromkeys(
        (
            "AlertingConfig",
            "AuditConfig",
            "BackupConfig",
            "BatchEngineConfig",
            "DrConfig",
            "LimitsConfig",
            "LintConfig",
            "LintVocabularies",
            "NoAuthConfig",
            "OfflineMaintenanceConfig",
            "OidcAuthConfig",
            "OnlineCacheConfig",
            "PiiConfig",
            "ReceiverConfig",
            "RegistryConfig",
            "RepoConfig",
            "RouteConfig",
            "TokenAuthConfig",
        ),
        "featurevault._config",
    ),
    **dict.fromkeys(
        ("Principal",),
        "featurevault._governance.principal",
    ),
    # -- results and reports returned by FeatureStore methods
    **dict.fromkeys(
        (
            "ApplyResult",
            "Plan",
        ),
        "featurevault._ops.apply",
    ),
    **dict.fromkeys(
        ("RetrievalJob",),
        "featurevault._ops.historical",
    ),
    **dict.fromkeys(
        ("MaterializeResult",),
        "featurevault._ops.materialize",
    ),
    **dict.fromkeys(
        (
            "FieldStatus",
            "OnlineResponse",
        ),
        "featurevault._ops.online_response",
    ),
    **dict.fromkeys(
        ("ReleaseResult",),
        "featurevault._ops.quarantine",
    ),
    **dict.fromkeys(
        ("RegistryCache",),
        "featurevault._ops.registry_cache",
    ),
    **dict.fromkeys(
        (
            "MetricPoint",
            "VersionInfo",
        ),
        "featurevault._backends.registry.base",
    ),
    **dict.fromkeys(
        ("QualityGate",),
        "featurevault._quality.gate",
    ),
    **dict.fromkeys(
        ("Profile",),
        "featurevault._quality.profile",
    ),
    **dict.fromkeys(
        ("QuarantineEntry",),
        "featurevault._quality.quarantine.base",
    ),
    **dict.fromkeys(
        ("ReadinessReport",),
        "featurevault._quality.readiness",
    ),
    **dict.fromkeys(
        ("ValidationReport",),
        "featurevault._quality.validate",
    ),
    **dict.fromkeys(
        (
            "HistoryEntry",
            "RollbackResult",
            "VersionDiff",
        ),
        "featurevault._lifecycle.history",
    ),
    **dict.fromkeys(
        ("PromoteResult",),
        "featurevault._lifecycle.promote",
    ),
    **dict.fromkeys(
        (
            "ScheduleRunResult",
            "ScheduleStatus",
        ),
        "featurevault._lifecycle.schedule",
    ),
    **dict.fromkeys(
        ("RecordedRun",),
        "featurevault._lifecycle.schedule_record",
    ),
    **dict.fromkeys(
        ("ViewBaseline",),
        "featurevault._monitoring.baselines",
    ),
    **dict.fromkeys(
        ("ViewFreshness",),
        "featurevault._monitoring.freshness",
    ),
    **dict.fromkeys(
        ("ServedDrift",),
        "featurevault._monitoring.served_drift",
    ),
    **dict.fromkeys(
        ("MonitorRunResult",),
        "featurevault._monitoring.service",
    ),
    **dict.fromkeys(
        ("ConsistencyReport",),
        "featurevault._monitoring.skew",
    ),
    **dict.fromkeys(
        (
            "BackupResult",
            "RestoreResult",
        ),
        "featurevault._recovery.backup",
    ),
    **dict.fromkeys(
        ("CapacityPlan",),
        "featurevault._recovery.capacity",
    ),
    **dict.fromkeys(
        ("DrillResult",),
        "featurevault._recovery.drill",
    ),
    **dict.fromkeys(
        ("ForgetResult",),
        "featurevault._recovery.forget",
    ),
    **dict.fromkeys(
        ("Manifest",),
        "featurevault._recovery.manifest",
    ),
    **dict.fromkeys(
        ("MaintenanceResult",),
        "featurevault._recovery.offline",
    ),
    **dict.fromkeys(
        ("RebuildResult",),
        "featurevault._recovery.rebuild",
    ),
    **dict.fromkeys(
        ("RetentionResult",),
        "featurevault._recovery.retention",
    ),
    **dict.fromkeys(
        ("RecoveryService",),
        "featurevault._recovery.service",
    ),
    # -- exceptions (the tree is drawn in featurevault.errors)
    **dict.fromkeys(
        (
            "FeatureVaultError",
            "ConfigError",
            "DefinitionError",
            "DuplicateObjectError",
            "UnsupportedConstructError",
            "RepoLoadError",
            "NotFoundError",
            "FeatureViewNotFoundError",
            "FeatureServiceNotFoundError",
            "EntityNotFoundError",
            "DataSourceNotFoundError",
            "FeatureNotFoundError",
            "VersionNotFoundError",
            "FlagNotFoundError",
            "GateError",
            "FlagError",
            "ScheduleError",
            "RequestError",
            "EntityKeyError",
            "SchemaMismatchError",
            "DataQualityError",
            "TooManyEntityRowsError",
            "DataSourceError",
            "RegistryError",
            "RegistryConflictError",
            "BackendError",
            "BackendUnavailableError",
            "OnlineStoreTimeoutError",
            "RegistryUnavailableError",
            "MissingDependencyError",
            "LintError",
            "PermissionDeniedError",
            "AuthenticationError",
            "UnknownCredentialError",
            "AuditError",
            "EncryptionKeyError",
            "SealedValueIntegrityError",
            "RecoveryError",
            "BackupNotFoundError",
            "BackupIntegrityError",
            "MonitoringError",
            "NotificationError",
        ),
        "featurevault.errors",
    ),
    "AuditVerifyResult": "featurevault._governance.audit_verify:VerifyResult",
    "BackupVerifyResult": "featurevault._recovery.backup:VerifyResult",
}

if TYPE_CHECKING:
    from featurevault._backends.registry.base import (
        MetricPoint as MetricPoint,
        VersionInfo as VersionInfo,
    )
    from featurevault._client import (
        FeatureServerClient as FeatureServerClient,
    )
    from featurevault._config import (
        AlertingConfig as AlertingConfig,
        AuditConfig as AuditConfig,
        BackupConfig as BackupConfig,
        BatchEngineConfig as BatchEngineConfig,
        DrConfig as DrConfig,
        LimitsConfig as LimitsConfig,
        LintConfig as LintConfig,
        LintVocabularies as LintVocabularies,
        NoAuthConfig as NoAuthConfig,
        OfflineMaintenanceConfig as OfflineMaintenanceConfig,
        OidcAuthConfig as OidcAuthConfig,
        OnlineCacheConfig as OnlineCacheConfig,
        PiiConfig as PiiConfig,
        ReceiverConfig as ReceiverConfig,
        RegistryConfig as RegistryConfig,
        RepoConfig as RepoConfig,
        RouteConfig as RouteConfig,
        TokenAuthConfig as TokenAuthConfig,
    )
    from featurevault.errors import (
        AuditError as AuditError,
        AuthenticationError as AuthenticationError,
        BackendError as BackendError,
        BackendUnavailableError as BackendUnavailableError,
        BackupIntegrityError as BackupIntegrityError,
        BackupNotFoundError as BackupNotFoundError,
        ConfigError as ConfigError,
        DataQualityError as DataQualityError,
        DataSourceError as DataSourceError,
        DataSourceNotFoundError as DataSourceNotFoundError,
        DefinitionError as DefinitionError,
        DuplicateObjectError as DuplicateObjectError,
        EncryptionKeyError as EncryptionKeyError,
        EntityKeyError as EntityKeyError,
        EntityNotFoundError as EntityNotFoundError,
        FeatureNotFoundError as FeatureNotFoundError,
        FeatureServiceNotFoundError as FeatureServiceNotFoundError,
        FeatureVaultError as FeatureVaultError,
        FeatureViewNotFoundError as FeatureViewNotFoundError,
        FlagError as FlagError,
        FlagNotFoundError as FlagNotFoundError,
        GateError as GateError,
        LintError as LintError,
        MissingDependencyError as MissingDependencyError,
        MonitoringError as MonitoringError,
        NotFoundError as NotFoundError,
        NotificationError as NotificationError,
        OnlineStoreTimeoutError as OnlineStoreTimeoutError,
        PermissionDeniedError as PermissionDeniedError,
        RecoveryError as RecoveryError,
        RegistryConflictError as RegistryConflictError,
        RegistryError as RegistryError,
        RegistryUnavailableError as RegistryUnavailableError,
        RepoLoadError as RepoLoadError,
        RequestError as RequestError,
        ScheduleError as ScheduleError,
        SchemaMismatchError as SchemaMismatchError,
        SealedValueIntegrityError as SealedValueIntegrityError,
        TooManyEntityRowsError as TooManyEntityRowsError,
        UnknownCredentialError as UnknownCredentialError,
        UnsupportedConstructError as UnsupportedConstructError,
        VersionNotFoundError as VersionNotFoundError,
    )
    from featurevault._governance.principal import (
        Principal as Principal,
    )
    from featurevault._lifecycle.history import (
        HistoryEntry as HistoryEntry,
        RollbackResult as RollbackResult,
        VersionDiff as VersionDiff,
    )
    from featurevault._lifecycle.promote import (
        PromoteResult as PromoteResult,
    )
    from featurevault._lifecycle.schedule import (
        ScheduleRunResult as ScheduleRunResult,
        ScheduleStatus as ScheduleStatus,
    )
    from featurevault._lifecycle.schedule_record import (
        RecordedRun as RecordedRun,
    )
    from featurevault._model import (
        Alert as Alert,
        AllowAll as AllowAll,
        AuthzedAction as AuthzedAction,
        CsvFormat as CsvFormat,
        DataSource as DataSource,
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
        Projection as Projection,
        PushSource as PushSource,
        RequestSource as RequestSource,
        RoleBasedPolicy as RoleBasedPolicy,
        SparkSource as SparkSource,
        on_demand_feature_view as on_demand_feature_view,
    )
    from featurevault._model.flags import (
        FeatureFlag as FeatureFlag,
    )
    from featurevault._model.label_view import (
        ConflictPolicy as ConflictPolicy,
        LabelView as LabelView,
    )
    from featurevault._model.logging_config import (
        FileLoggingDestination as FileLoggingDestination,
        LoggingConfig as LoggingConfig,
    )
    from featurevault._model.project import (
        Project as Project,
    )
    from featurevault._model.push_mode import (
        PushMode as PushMode,
    )
    from featurevault._model.rules import (
        NullPolicy as NullPolicy,
        Rule as Rule,
        between as between,
        expression as expression,
        matches as matches,
        not_null as not_null,
        one_of as one_of,
        unique as unique,
    )
    from featurevault._model.types import (
        ValueType as ValueType,
    )
    from featurevault._model.unsupported import (
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
    from featurevault._monitoring.baselines import (
        ViewBaseline as ViewBaseline,
    )
    from featurevault._monitoring.freshness import (
        ViewFreshness as ViewFreshness,
    )
    from featurevault._monitoring.served_drift import (
        ServedDrift as ServedDrift,
    )
    from featurevault._monitoring.service import (
        MonitorRunResult as MonitorRunResult,
    )
    from featurevault._monitoring.skew import (
        ConsistencyReport as ConsistencyReport,
    )
    from featurevault._ops.apply import (
        ApplyResult as ApplyResult,
        Plan as Plan,
    )
    from featurevault._ops.historical import (
        RetrievalJob as RetrievalJob,
    )
    from featurevault._ops.materialize import (
        MaterializeResult as MaterializeResult,
    )
    from featurevault._ops.online_response import (
        FieldStatus as FieldStatus,
        OnlineResponse as OnlineResponse,
    )
    from featurevault._ops.quarantine import (
        ReleaseResult as ReleaseResult,
    )
    from featurevault._ops.registry_cache import (
        RegistryCache as RegistryCache,
    )
    from featurevault._quality.gate import (
        QualityGate as QualityGate,
    )
    from featurevault._quality.profile import (
        Profile as Profile,
    )
    from featurevault._quality.quarantine.base import (
        QuarantineEntry as QuarantineEntry,
    )
    from featurevault._quality.readiness import (
        ReadinessReport as ReadinessReport,
    )
    from featurevault._quality.saved_dataset import (
        DistributionProfiler as DistributionProfiler,
        SavedDataset as SavedDataset,
        SavedDatasetFileStorage as SavedDatasetFileStorage,
        ValidationFailed as ValidationFailed,
        ValidationReference as ValidationReference,
    )
    from featurevault._quality.validate import (
        ValidationReport as ValidationReport,
    )
    from featurevault._recovery.backup import (
        BackupResult as BackupResult,
        RestoreResult as RestoreResult,
    )
    from featurevault._recovery.capacity import (
        CapacityPlan as CapacityPlan,
    )
    from featurevault._recovery.drill import (
        DrillResult as DrillResult,
    )
    from featurevault._recovery.forget import (
        ForgetResult as ForgetResult,
    )
    from featurevault._recovery.manifest import (
        Manifest as Manifest,
    )
    from featurevault._recovery.offline import (
        MaintenanceResult as MaintenanceResult,
    )
    from featurevault._recovery.rebuild import (
        RebuildResult as RebuildResult,
    )
    from featurevault._recovery.retention import (
        RetentionResult as RetentionResult,
    )
    from featurevault._recovery.service import (
        RecoveryService as RecoveryService,
    )
    from featurevault._store import (
        FeatureStore as FeatureStore,
    )
    from featurevault._governance.audit_verify import VerifyResult as AuditVerifyResult
    from featurevault._recovery.backup import VerifyResult as BackupVerifyResult


def __getattr__(name: str) -> Any:
    where = _EXPORTS.get(name)
    if where is None:
        raise AttributeError(f"module 'featurevault' has no attribute {name!r}")
    module_name, _, attr = where.partition(":")
    value = getattr(importlib.import_module(module_name), attr or name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


class _CallableModule(_ModuleType):
    """``featurevault.on_demand_feature_view`` the module, callable as the decorator of the same name."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from featurevault._model.on_demand import on_demand_feature_view

        return on_demand_feature_view(*args, **kwargs)


class _Package(_ModuleType):
    """Importing the Feast-path submodule ``featurevault.on_demand_feature_view`` binds it over the
    decorator of the same name; the submodule is made callable so both spellings keep working."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "on_demand_feature_view" and isinstance(value, _ModuleType):
            value.__class__ = _CallableModule
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

__all__ = sorted([*_EXPORTS, "__version__"])
