"""Read the demo's features: a training frame from the offline store, then online values.

Run after `featurevault apply` and `featurevault materialize-incremental now`.
"""

from datetime import datetime, timedelta, timezone

import pandas as pd

from featurevault import FeatureStore


def main() -> None:
    store = FeatureStore(repo_path=".")
    now = datetime.now(timezone.utc)
    entity_df = pd.DataFrame(
        {
            "driver_id": [1001, 1002, 1003, 1001],
            "event_timestamp": [now - timedelta(hours=h) for h in (1, 5, 30, 200)],
            "val_to_add": [1, 2, 3, 4],
            "val_to_add_2": [10, 20, 30, 40],
        }
    )
    training = store.get_historical_features(
        entity_df=entity_df,
        features=[
            "driver_hourly_stats:conv_rate",
            "driver_hourly_stats:acc_rate",
            "driver_hourly_stats:avg_daily_trips",
            "transformed_conv_rate:conv_rate_plus_val1",
        ],
    ).to_df()
    print("Training frame (point-in-time correct):")
    print(training.to_string(index=False))

    online = store.get_online_features(
        features=store.get_feature_service("driver_activity_v2"),
        entity_rows=[
            {"driver_id": 1001, "val_to_add": 1, "val_to_add_2": 10},
            {"driver_id": 1002, "val_to_add": 2, "val_to_add_2": 20},
            {"driver_id": 9999, "val_to_add": 3, "val_to_add_2": 30},
        ],
    ).to_dict()
    print("\nOnline features (driver 9999 is unknown):")
    print(pd.DataFrame(online).to_string(index=False))


if __name__ == "__main__":
    main()
