"""A view's expected interval reads back from the registry as it was declared."""

from __future__ import annotations

from datetime import timedelta

import pytest

from featurevault import Entity, FeatureView, Field, FileSource
from featurevault._model.feature_view import FeatureView as ModelFeatureView
from featurevault.types import Float32

DRIVER = Entity(name="driver", join_keys=["driver_id"])
SOURCE = FileSource(name="stats", path="data/stats.parquet", timestamp_field="event_timestamp")


def _view(**kwargs: object) -> FeatureView:
    return FeatureView(
        name="driver_stats",
        entities=[DRIVER],
        source=SOURCE,
        schema=[Field(name="driver_rate", dtype=Float32)],
        **kwargs,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "seconds"),
    [
        ({"freshness": timedelta(hours=1)}, 3600),
        ({"tags": {"freshness": "daily"}}, 86400),
        ({"tags": {"freshness": "2h"}}, 7200),
        # a tag that is not a duration ("realtime") beside an explicit interval: the interval wins
        ({"freshness": timedelta(minutes=5), "tags": {"freshness": "realtime"}}, 300),
        ({"freshness": timedelta(hours=3), "tags": {"freshness": "hourly"}}, 10800),
        ({"tags": {"freshness": "realtime"}}, None),
    ],
)
def test_expected_interval_survives_the_registry_round_trip(kwargs: dict, seconds: float | None) -> None:
    view = _view(**kwargs)
    assert view.expected_interval == seconds
    assert ModelFeatureView.from_dict(view.to_dict()).expected_interval == seconds
