"""Feature definitions of the demo repo: drivers and their hourly statistics."""

from datetime import timedelta

import pandas as pd

from featurevault import Entity, FeatureService, FeatureView, Field, FileSource, PushSource, RequestSource
from featurevault.on_demand_feature_view import on_demand_feature_view
from featurevault.quality import between, not_null
from featurevault.types import Float32, Float64, Int64

driver = Entity(
    name="driver",
    join_keys=["driver_id"],
    description="A driver of the ride-hailing fleet, by numeric driver_id",
    owner="data-platform@example.com",
)

driver_stats_source = FileSource(
    name="driver_hourly_stats_source",
    path="data/driver_stats.parquet",
    timestamp_field="event_timestamp",
    created_timestamp_column="created",
)

driver_hourly_stats = FeatureView(
    name="driver_hourly_stats",
    entities=[driver],
    ttl=timedelta(days=1),
    schema=[
        Field(name="conv_rate", dtype=Float32),
        Field(name="acc_rate", dtype=Float32),
        Field(name="avg_daily_trips", dtype=Int64),
    ],
    online=True,
    source=driver_stats_source,
    # checked on every write; a failing row is quarantined (see `featurevault quarantine list`)
    rules=[
        between("conv_rate", 0, 1),
        between("acc_rate", 0, 1),
        not_null("avg_daily_trips"),
    ],
    description="Hourly conversion, acceptance and trip statistics per driver",
    owner="data-platform@example.com",
    tags={"team": "driver_performance"},
)

input_request = RequestSource(
    name="vals_to_add",
    schema=[Field(name="val_to_add", dtype=Int64), Field(name="val_to_add_2", dtype=Int64)],
)


@on_demand_feature_view(
    sources=[driver_hourly_stats, input_request],
    schema=[Field(name="conv_rate_plus_val1", dtype=Float64), Field(name="conv_rate_plus_val2", dtype=Float64)],
)
def transformed_conv_rate(inputs: pd.DataFrame) -> pd.DataFrame:
    """The conversion rate plus values supplied with the request."""
    out = pd.DataFrame()
    out["conv_rate_plus_val1"] = inputs["conv_rate"] + inputs["val_to_add"]
    out["conv_rate_plus_val2"] = inputs["conv_rate"] + inputs["val_to_add_2"]
    return out


driver_activity_v1 = FeatureService(
    name="driver_activity_v1",
    features=[driver_hourly_stats[["conv_rate"]], transformed_conv_rate],
)

driver_activity_v2 = FeatureService(name="driver_activity_v2", features=[driver_hourly_stats, transformed_conv_rate])

driver_stats_push_source = PushSource(name="driver_stats_push_source", batch_source=driver_stats_source)
