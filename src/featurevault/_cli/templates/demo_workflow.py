"""Read the demo's features: a training frame, online values, then a push that changes them.

Run after `featurevault apply` and `featurevault materialize-incremental now`.
"""

from datetime import datetime, timedelta, timezone

import pandas as pd

from featurevault import FeatureStore
from featurevault.data_source import PushMode


def main() -> None:
    store = FeatureStore(repo_path=".")
    now = datetime.now(timezone.utc)
    entity_df = pd.DataFrame(
        {
            "driver_id": [1001, 1002, 1003, 1001],
            "event_timestamp": [now - timedelta(hours=h) for h in (1, 5, 30, 200)],
            "driver_rate_bonus": [1, 2, 3, 4],
            "driver_rate_bonus_2": [10, 20, 30, 40],
        }
    )
    training = store.get_historical_features(
        entity_df=entity_df,
        features=[
            "driver_stats_hourly:driver_conv_rate",
            "driver_stats_hourly:driver_acc_rate",
            "driver_stats_hourly:driver_trips_avg_7d",
            "driver_conv_rate_adjusted:driver_bonus_conv_rate",
        ],
    ).to_df()
    print("Training frame (point-in-time correct):")
    print(training.to_string(index=False))

    online = store.get_online_features(
        features=store.get_feature_service("driver_ranking_v2"),
        entity_rows=[
            {"driver_id": 1001, "driver_rate_bonus": 1, "driver_rate_bonus_2": 10},
            {"driver_id": 1002, "driver_rate_bonus": 2, "driver_rate_bonus_2": 20},
            {"driver_id": 9999, "driver_rate_bonus": 3, "driver_rate_bonus_2": 30},
        ],
    ).to_dict()
    print("\nOnline features (driver 9999 is unknown):")
    print(pd.DataFrame(online).to_string(index=False))

    live = store.get_feature_service("driver_ranking_live_v1")
    before = store.get_online_features(live, [{"driver_id": 1001}]).to_dict()
    store.push(
        "driver_stats_push_source",
        pd.DataFrame(
            {
                "driver_id": [1001],
                "event_timestamp": [datetime.now(timezone.utc)],
                "created": [datetime.now(timezone.utc)],
                "conv_rate": [1.0],
                "acc_rate": [1.0],
                "avg_daily_trips": [1000],
            }
        ),
        to=PushMode.ONLINE_AND_OFFLINE,
    )
    after = store.get_online_features(live, [{"driver_id": 1001}]).to_dict()
    print("\nLive features of driver 1001 before and after a push:")
    print(pd.DataFrame([before, after], index=["before", "after"]).map(lambda v: v[0]).to_string())


if __name__ == "__main__":
    main()
