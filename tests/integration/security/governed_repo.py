"""The governed feature repo the security tests share: PII views, an on-demand view, a service, policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from featurevault._governance.principal import Principal
from tests.support.repo_builder import RepoBuilder

NOW = datetime.now(UTC).replace(microsecond=0)

REPO = """
from datetime import timedelta

import pandas as pd

from featurevault import Entity, FeatureService, FeatureView, Field, FileSource, PushSource, on_demand_feature_view
from featurevault._governance.permissions import permissions_from_access_policies
from featurevault._model import AuthzedAction, Permission, RoleBasedPolicy
from featurevault._model.permission import ALL_ACTIONS
from featurevault.types import Float64, Int64, String

user = Entity(name="user", join_keys=["user_id"], tags={"pii": "true"})
source = FileSource(name="users_src", path="data/users.parquet", timestamp_field="event_timestamp")
push = PushSource(name="users_push", batch_source=source)

user_pii_features = FeatureView(
    name="user_pii_features",
    entities=[user],
    ttl=timedelta(days=3650),
    source=push,
    schedule="@hourly",
    schema=[
        Field(name="email", dtype=String, tags={"pii": "true", "pii.masking": "hash"}),
        Field(name="phone", dtype=String, tags={"pii": "true", "pii.masking": "partial"}),
        Field(name="ssn", dtype=String, tags={"pii": "true"}),
        Field(name="amount", dtype=Float64),
    ],
)
user_public_features = FeatureView(
    name="user_public_features",
    entities=[user],
    ttl=timedelta(days=3650),
    source=source,
    schema=[Field(name="age", dtype=Int64)],
)


@on_demand_feature_view(
    sources=[user_pii_features[["amount", "email"]]],
    schema=[Field(name="amount_x2", dtype=Float64), Field(name="email_domain", dtype=String)],
    tags={"pii.declassify": "amount_x2"},
)
def derived(inputs: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {"amount_x2": inputs["amount"] * 2, "email_domain": inputs["email"].str.split("@").str[-1]}
    )


fraud_model_v2 = FeatureService(name="fraud_model_v2", features=[user_pii_features[["amount"]], user_public_features])

ACCESS_POLICIES = {
    "feature_views": {
        "user_pii_features": {
            "read": ["data-scientists", "ml-engineers", "compliance"],
            "write": ["data-platform"],
            "admin": ["data-platform-leads"],
        },
        "user_public_features": {
            "read": ["*"],
            "write": ["data-platform", "ml-engineers"],
        },
        "derived": {"read": ["data-scientists"]},
    },
    "feature_services": {"fraud_model_v2": {"read": ["fraud-team", "ml-platform"]}},
}
for _p in permissions_from_access_policies(ACCESS_POLICIES):
    globals()["perm_" + _p.name.replace("-", "_")] = _p

compliance_reads_pii = Permission(
    name="compliance-reads-pii",
    types=["feature_view", "on_demand_feature_view"],
    actions=[AuthzedAction.READ_PII],
    policy=RoleBasedPolicy(roles=["compliance"]),
)
platform_admin = Permission(
    name="platform-admin", actions=ALL_ACTIONS, policy=RoleBasedPolicy(roles=["platform-admin"])
)
"""

YAML = """project: secured
registry: data/registry.db
online_store:
    type: sqlite
    path: data/online.db
auth:
    type: token
audit:
    path: data/audit.jsonl
    flush_interval_ms: 20
environments:
    staging:
        registry: data/staging_registry.db
        online_store: {path: data/staging_online.db}
        audit: {sink: none}
    prod: {}
"""

ADMIN = Principal("root-admin", roles=["platform-admin"])


def users_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [1, 2, 3],
            "event_timestamp": [NOW - timedelta(hours=1)] * 3,
            "email": ["ann@example.com", "bob@example.org", "cy@example.net"],
            "phone": ["555-000-1111", "555-000-2222", "555-000-3333"],
            "ssn": ["111-11-1111", "222-22-2222", "333-33-3333"],
            "amount": [10.0, 20.0, 30.0],
            "age": [31, 42, 53],
        }
    )


def governed_builder(root: Path, definitions: str = REPO, extra_yaml: str = "") -> RepoBuilder:
    """The governed repo under ``root``: ``users.parquet`` (:func:`users_frame`), ``definitions`` as
    ``features.py`` and :data:`YAML` (plus ``extra_yaml``) as its config."""
    return (
        RepoBuilder(root)
        .with_yaml(YAML + extra_yaml)
        .with_table("data/users.parquet", users_frame())
        .with_definitions(definitions)
    )
