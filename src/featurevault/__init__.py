"""featurevault: a production feature store.

Definitions use Feast's names, so a Feast repo switches by changing its imports::

    from featurevault import Entity, FeatureView, Field, FileSource, FeatureStore
    from featurevault.types import Float32, Int64
"""

from featurevault.config import RepoConfig
from featurevault.errors import FeatureVaultError
from featurevault.model import (
    Alert,
    AllowAll,
    AuthzedAction,
    CsvFormat,
    DeltaFormat,
    Entity,
    FeatureService,
    FeatureView,
    Field,
    FileSource,
    GroupBasedPolicy,
    OnDemandFeatureView,
    ParquetFormat,
    Permission,
    PostgreSQLSource,
    PushSource,
    RequestSource,
    RoleBasedPolicy,
    on_demand_feature_view,
)
from featurevault.model.unsupported import (
    BatchFeatureView,
    BigQuerySource,
    KafkaSource,
    KinesisSource,
    LabelView,
    LoggingConfig,
    RedshiftSource,
    SnowflakeSource,
    StreamFeatureView,
    ValidationReference,
)
from featurevault.ops.write import PushMode
from featurevault.types import ValueType

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # The facade pulls in the operation modules; load it on first use so that
    # reading definitions (a repo's imports) stays cheap.
    if name == "FeatureStore":
        from featurevault.store import FeatureStore

        return FeatureStore
    raise AttributeError(f"module 'featurevault' has no attribute {name!r}")

__all__ = [
    "Alert",
    "AllowAll",
    "AuthzedAction",
    "BatchFeatureView",
    "BigQuerySource",
    "CsvFormat",
    "DeltaFormat",
    "Entity",
    "FeatureService",
    "FeatureStore",
    "FeatureVaultError",
    "FeatureView",
    "Field",
    "FileSource",
    "GroupBasedPolicy",
    "KafkaSource",
    "KinesisSource",
    "LabelView",
    "LoggingConfig",
    "OnDemandFeatureView",
    "ParquetFormat",
    "Permission",
    "PostgreSQLSource",
    "PushMode",
    "PushSource",
    "RedshiftSource",
    "RepoConfig",
    "RequestSource",
    "RoleBasedPolicy",
    "SnowflakeSource",
    "StreamFeatureView",
    "ValidationReference",
    "ValueType",
    "on_demand_feature_view",
    "__version__",
]
