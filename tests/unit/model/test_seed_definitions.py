"""The seed's unit tests ("Testing Strategies"), run as written against featurevault objects."""

from datetime import timedelta

import pandas as pd
import pytest

from featurevault import Entity, FeatureView, Field, FileSource, RequestSource
from featurevault.on_demand_feature_view import on_demand_feature_view
from featurevault.types import Float64, Int64

user = Entity(name="user", join_keys=["user_id"], description="Registered user identified by UUID")

user_features = FeatureView(
    name="user_features",
    entities=[user],
    ttl=timedelta(days=1),
    schema=[
        Field(name="account_age_days", dtype=Int64),
        Field(name="total_transactions", dtype=Int64),
        Field(name="avg_transaction_amount", dtype=Float64),
        Field(name="max_transaction_amount", dtype=Float64),
    ],
    source=FileSource(path="data/users.parquet", timestamp_field="event_timestamp"),
)

transaction = RequestSource(
    name="transaction",
    schema=[Field(name="transaction_amount", dtype=Float64), Field(name="transaction_hour", dtype=Int64)],
)


@on_demand_feature_view(
    sources=[user_features, transaction],
    schema=[Field(name="amount_vs_avg_ratio", dtype=Float64), Field(name="is_night", dtype=Int64)],
)
def transaction_context_features(inputs: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame()
    # Division by zero is handled: a zero average compares against one unit.
    denominator = inputs["avg_transaction_amount"].where(inputs["avg_transaction_amount"] > 0, 1.0)
    out["amount_vs_avg_ratio"] = inputs["transaction_amount"] / denominator
    out["is_night"] = (inputs["transaction_hour"] < 6).astype("int64")
    return out


class TestFeatureDefinitions:
    def test_user_features_schema(self) -> None:
        feature_names = [f.name for f in user_features.features]
        assert "account_age_days" in feature_names
        assert "total_transactions" in feature_names
        assert "avg_transaction_amount" in feature_names

    def test_user_features_entity(self) -> None:
        entity_names = [e.name for e in user_features.entities]
        assert "user" in entity_names

    def test_ttl_configured(self) -> None:
        assert user_features.ttl is not None
        assert user_features.ttl.total_seconds() > 0


class TestOnDemandFeatures:
    def test_amount_vs_avg_ratio(self) -> None:
        inputs = pd.DataFrame(
            {
                "transaction_amount": [100.0],
                "avg_transaction_amount": [50.0],
                "max_transaction_amount": [200.0],
                "transaction_hour": [14],
            }
        )
        result = transaction_context_features.transform(inputs)
        assert result["amount_vs_avg_ratio"].iloc[0] == 2.0

    def test_handles_zero_avg(self) -> None:
        inputs = pd.DataFrame(
            {
                "transaction_amount": [100.0],
                "avg_transaction_amount": [0.0],
                "max_transaction_amount": [0.0],
                "transaction_hour": [14],
            }
        )
        result = transaction_context_features.transform(inputs)
        assert result["amount_vs_avg_ratio"].iloc[0] > 0


def test_python_mode_transform_accepts_dicts_and_frames() -> None:
    @on_demand_feature_view(sources=[transaction], schema=[Field(name="doubled", dtype=Float64)], mode="python")
    def doubled(inputs: dict) -> dict:
        return {"doubled": [v * 2 for v in inputs["transaction_amount"]]}

    assert doubled.transform({"transaction_amount": [1.5]}) == {"doubled": [3.0]}
    frame = doubled.transform(pd.DataFrame({"transaction_amount": [2.0]}))
    assert frame["doubled"].tolist() == [4.0]


def test_unknown_mode_is_an_error() -> None:
    from featurevault.errors import DefinitionError

    def identity(df: pd.DataFrame) -> pd.DataFrame:
        return df

    with pytest.raises(DefinitionError, match="mode 'spark' is not one of"):
        on_demand_feature_view(sources=[transaction], schema=[Field(name="x", dtype=Int64)], mode="spark")(identity)
