"""Shared fixtures: an in-memory registry state and a small repo's definitions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from featurevault._model import (
    Entity,
    FeatureService,
    FeatureView,
    Field,
    FileSource,
    OnDemandFeatureView,
    RepoContents,
    RequestSource,
)
from featurevault.types import Float64, Int64, String


class StateOnlyRegistry:
    """The operational-state half of a Registry, in memory (tokens live there)."""

    def __init__(self) -> None:
        self.state: dict[tuple[str, str], dict[str, Any]] = {}

    def get_state(self, project: str, namespace: str) -> dict[str, Any]:
        return dict(self.state.get((project, namespace), {}))

    def set_state(self, project: str, namespace: str, key: str, value: Any) -> None:
        ns = self.state.setdefault((project, namespace), {})
        if value is None:
            ns.pop(key, None)
        else:
            ns[key] = value


@pytest.fixture
def registry() -> StateOnlyRegistry:
    return StateOnlyRegistry()


def _double_amount(df: Any) -> Any:
    import pandas as pd

    return pd.DataFrame({"amount_x2": df["amount"] * 2, "email_domain": df["email"].str.split("@").str[-1]})


@pytest.fixture
def contents() -> RepoContents:
    user = Entity(name="user", join_keys=["user_id"], tags={"pii": "true"})
    src = FileSource(name="users_src", path="users.parquet", timestamp_field="ts")
    pii_view = FeatureView(
        name="user_pii_features",
        source=src,
        entities=[user],
        ttl=timedelta(days=1),
        schema=[
            Field(name="user_id", dtype=Int64),
            Field(name="email", dtype=String, tags={"pii": "true", "pii.masking": "hash"}),
            Field(name="phone", dtype=String, tags={"pii": "true", "pii.masking": "partial"}),
            Field(name="ssn", dtype=String, tags={"pii": "true"}),
            Field(name="amount", dtype=Float64),
        ],
    )
    public = FeatureView(
        name="user_public_features",
        source=src,
        entities=[user],
        schema=[Field(name="user_id", dtype=Int64), Field(name="age", dtype=Int64)],
    )
    req = RequestSource(name="req", schema=[Field(name="factor", dtype=Float64)])
    odfv = OnDemandFeatureView(
        name="derived",
        sources=[pii_view[["amount", "email"]], req],
        schema=[Field(name="amount_x2", dtype=Float64), Field(name="email_domain", dtype=String)],
        udf=_double_amount,
        tags={"pii.declassify": "amount_x2"},
    )
    odfv_strict = OnDemandFeatureView(
        name="derived_strict",
        sources=[pii_view[["amount", "email"]]],
        schema=[Field(name="amount_x2", dtype=Float64), Field(name="email_domain", dtype=String)],
        udf=_double_amount,
    )
    service = FeatureService(name="fraud_model_v2", features=[pii_view[["amount"]], public])
    c = RepoContents()
    c.entities = {"user": user}
    c.data_sources = {"users_src": src}
    c.feature_views = {v.name: v for v in (pii_view, public)}
    c.on_demand_feature_views = {v.name: v for v in (odfv, odfv_strict)}
    c.feature_services = {"fraud_model_v2": service}
    return c
