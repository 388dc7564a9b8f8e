"""Feature definitions of the demo repo: drivers, their hourly statistics, and fresh values pushed live.

Feast's quickstart columns (conv_rate, acc_rate, avg_daily_trips) are mapped to
names that say whose feature each is (driver_conv_rate, ...), as the linter asks.
"""

from datetime import timedelta

import pandas as pd

from featurevault import (
    Alert,
    Entity,
    FeatureService,
    FeatureView,
    Field,
    FileSource,
    Permission,
    PushSource,
    RequestSource,
    RoleBasedPolicy,
)
from featurevault._model.permission import ALL_ACTIONS, READ
from featurevault.on_demand_feature_view import on_demand_feature_view
from featurevault._quality import Rule, between
from featurevault.types import Float32, Float64, Int64

OWNER = "data-platform@example.com"
COLUMNS = {"conv_rate": "driver_conv_rate", "acc_rate": "driver_acc_rate", "avg_daily_trips": "driver_trips_avg_7d"}

driver = Entity(
    name="driver",
    join_keys=["driver_id"],
    description="A driver of the ride-hailing fleet, by numeric driver_id",
    owner=OWNER,
)

driver_stats_source = FileSource(
    name="driver_stats_source",
    path="data/driver_stats.parquet",
    timestamp_field="event_timestamp",
    created_timestamp_column="created",
    field_mapping=COLUMNS,
    description="Hourly driver statistics exported from the trips warehouse",
    owner=OWNER,
)


def driver_stats_schema() -> list[Field]:
    return [
        # null policies: a missing rate is served as missing ("allow"); a missing trip count is refused
        # on write ("reject": such a row is quarantined)
        Field(
            name="driver_conv_rate",
            dtype=Float32,
            description="Share of ride offers the driver converted",
            null_policy="allow",
        ),
        Field(
            name="driver_acc_rate",
            dtype=Float32,
            description="Share of ride offers the driver accepted",
            null_policy="allow",
        ),
        Field(
            name="driver_trips_avg_7d",
            dtype=Int64,
            description="Trips per day, averaged over the last 7 days",
            null_policy="reject",
        ),
    ]


def driver_stats_rules() -> list[Rule]:
    return [
        between("driver_conv_rate", 0, 1),
        between("driver_acc_rate", 0, 1),
    ]


driver_stats_hourly = FeatureView(
    name="driver_stats_hourly",
    entities=[driver],
    ttl=timedelta(days=1),
    schema=driver_stats_schema(),
    online=True,
    source=driver_stats_source,
    # checked on every write; a failing row is quarantined (see `featurevault quarantine list`)
    rules=driver_stats_rules(),
    description="Hourly conversion, acceptance and trip statistics per driver",
    owner=OWNER,
    tags={"team": "driver_performance", "pii": "false", "freshness": "hourly"},
)

# Rows pushed here are served online at once (and appended to the batch source with to="online_and_offline").
driver_stats_push_source = PushSource(
    name="driver_stats_push_source",
    batch_source=driver_stats_source,
    description="Live driver statistics pushed by the trips service",
    owner=OWNER,
)

driver_stats_realtime = FeatureView(
    name="driver_stats_realtime",
    entities=[driver],
    ttl=timedelta(days=1),
    schema=driver_stats_schema(),
    online=True,
    source=driver_stats_push_source,
    rules=driver_stats_rules(),
    description="The driver statistics as last pushed (or materialized from the batch source)",
    owner=OWNER,
    # pushed continuously; an hour without a push is late
    freshness=timedelta(hours=1),
    tags={"team": "driver_performance", "pii": "false", "freshness": "realtime"},
)

trip_request = RequestSource(
    name="trip_request",
    schema=[
        Field(name="driver_rate_bonus", dtype=Int64, description="Bonus added to the rate in this request"),
        Field(name="driver_rate_bonus_2", dtype=Int64, description="A second bonus, for comparison"),
    ],
    description="Values the caller sends with each request",
    owner=OWNER,
)


@on_demand_feature_view(
    sources=[driver_stats_hourly, trip_request],
    schema=[
        Field(name="driver_bonus_conv_rate", dtype=Float64, description="driver_conv_rate + driver_rate_bonus"),
        Field(name="driver_bonus_two_conv_rate", dtype=Float64, description="driver_conv_rate + the second bonus"),
    ],
    description="The conversion rate plus bonuses sent with the request",
    owner=OWNER,
    tags={"team": "driver_performance", "pii": "false"},
)
def driver_conv_rate_adjusted(inputs: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame()
    out["driver_bonus_conv_rate"] = inputs["driver_conv_rate"] + inputs["driver_rate_bonus"]
    out["driver_bonus_two_conv_rate"] = inputs["driver_conv_rate"] + inputs["driver_rate_bonus_2"]
    return out


driver_ranking_v1 = FeatureService(
    name="driver_ranking_v1",
    features=[driver_stats_hourly[["driver_conv_rate"]], driver_conv_rate_adjusted],
    description="Features of the driver ranking model, version 1",
    owner=OWNER,
)

driver_ranking_v2 = FeatureService(
    name="driver_ranking_v2",
    features=[driver_stats_hourly, driver_conv_rate_adjusted],
    description="Features of the driver ranking model, version 2",
    owner=OWNER,
)

driver_ranking_live_v1 = FeatureService(
    name="driver_ranking_live_v1",
    features=[driver_stats_realtime],
    description="Live features of the driver ranking model (values as last pushed)",
    owner=OWNER,
)

# -- alerts: checked by `featurevault monitor run`; P1 pages the on-call (alerting: in feature_store.yaml)

driver_stats_hourly_stale = Alert(
    name="driver_stats_hourly_stale",
    feature_view="driver_stats_hourly",
    condition="freshness > 2x",
    severity="P1",
    for_="10m",
    runbook="runbooks/stale_features.md",
    owner=OWNER,
    description="No new hourly statistics for twice the expected interval",
)

driver_stats_realtime_stale = Alert(
    name="driver_stats_realtime_stale",
    feature_view="driver_stats_realtime",
    condition="freshness > 2x",
    severity="P1",
    for_="10m",
    runbook="runbooks/stale_features.md",
    owner=OWNER,
    description="No push from the trips service for twice the expected interval",
)

driver_stats_rule_failures = Alert(
    name="driver_stats_rule_failures",
    feature_view="driver_stats_hourly",
    condition="rule_failures(between_driver_conv_rate) > 0.01",
    severity="P2",
    runbook="runbooks/quality_failures.md",
    owner=OWNER,
    description="More than 1% of the rows fail the conversion-rate range rule",
)

driver_conv_rate_drift = Alert(
    name="driver_conv_rate_drift",
    feature_view="driver_stats_hourly",
    condition="psi(driver_conv_rate) > 0.2",
    severity="P2",
    runbook="runbooks/drift.md",
    owner=OWNER,
    description="The conversion rate's distribution moved away from its baseline",
)

# -- who may do what once auth is on (the prod environment; see docs/security.md)

platform_admins = Permission(
    name="platform_admins",
    actions=ALL_ACTIONS,
    policy=RoleBasedPolicy(roles=["platform-admin"]),
    description="The data platform team runs the store: every action on every object",
)

ranking_model_readers = Permission(
    name="ranking_model_readers",
    types=[FeatureService],
    name_patterns=["driver_ranking_.*"],
    actions=READ,
    policy=RoleBasedPolicy(roles=["ranking-model"]),
    description="The ranking model's service account reads its feature services",
)
