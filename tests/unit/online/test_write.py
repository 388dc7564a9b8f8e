"""write_to_online_store and push: validation before any write, latest row per key, push modes."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featurevault import FeatureView, Field, PushSource
from featurevault.errors import DataSourceNotFoundError, EntityKeyError, FeatureViewNotFoundError, SchemaMismatchError
from featurevault.types import Float32
from featurevault._ops import codec
from featurevault._ops.write import PushMode
from tests.unit.online.repo_defs import T0, Harness

FRESH = ["driver_fresh:conv_rate", "driver_fresh:trips", "driver_fresh:city"]


def _rows(**overrides: object) -> pd.DataFrame:
    data = {
        "driver_id": [7, 8, 7],
        "event_timestamp": [T0, T0, T0 + timedelta(minutes=5)],
        "conv_rate": [0.5, 0.25, 0.75],
        "trips": [1, 2, 3],
        "city": ["p", "q", "r"],
    }
    data.update(overrides)
    return pd.DataFrame(data)


def test_write_keeps_latest_row_per_key(repo: Harness) -> None:
    assert repo.write_to_online_store("driver_stats", _rows()) == 2
    out = repo.get_online_features(["driver_stats:city", "driver_stats:trips"], {"driver_id": [7, 8]}).to_dict()
    assert out == {"driver_id": [7, 8], "city": ["r", "q"], "trips": [3, 2]}


def test_write_accepts_arrow_and_dicts(repo: Harness) -> None:
    table = pa.Table.from_pandas(_rows(), preserve_index=False)
    repo.write_to_online_store("driver_stats", table)
    repo.write_to_online_store("driver_stats", {**_rows().to_dict(orient="list"), "city": ["s", "t", "u"]})
    out = repo.get_online_features(["driver_stats:city"], {"driver_id": [7, 8]}).to_dict()
    assert out["city"] == ["u", "t"]


def test_ties_go_to_the_later_row(repo: Harness) -> None:
    repo.write_to_online_store("driver_stats", _rows(event_timestamp=[T0] * 3))
    assert repo.get_online_features(["driver_stats:city"], [{"driver_id": 7}]).to_dict()["city"] == ["r"]


def test_nullable_ints_from_pandas_are_accepted(repo: Harness) -> None:
    repo.write_to_online_store("driver_stats", _rows(trips=[1, None, 3]))
    out = repo.get_online_features(["driver_stats:trips"], {"driver_id": [7, 8]}).to_dict()
    assert out["trips"] == [3, None]


@pytest.mark.parametrize(
    ("change", "error", "pattern"),
    [
        ({"drop": "driver_id"}, EntityKeyError, "'driver_id'.*'driver_stats'"),
        ({"drop": "trips"}, SchemaMismatchError, "'trips'.*'driver_stats'"),
        ({"drop": "event_timestamp"}, SchemaMismatchError, "'event_timestamp'"),
        ({"trips": ["a", "b", "c"]}, SchemaMismatchError, "'trips'.*'driver_stats'"),
        ({"trips": [1.5, 2, 3]}, SchemaMismatchError, "'trips'"),
        ({"driver_id": [7, None, 8]}, EntityKeyError, "null"),
        ({"city": [1, 2, 3]}, SchemaMismatchError, "'city'"),
        ({"driver_id": ["a", "b", "c"]}, SchemaMismatchError, "join key 'driver_id'"),
    ],
)
def test_bad_input_is_rejected_and_nothing_is_written(
    repo: Harness, change: dict[str, object], error: type[Exception], pattern: str
) -> None:
    df = _rows()
    if "drop" in change:
        df = df.drop(columns=[change.pop("drop")])
    for column, values in change.items():
        df[column] = values
    with pytest.raises(error, match=pattern):
        repo.write_to_online_store("driver_stats", df)
    assert repo.online_store.tables() == []


def test_entityless_view_keeps_the_latest_row(repo: Harness) -> None:
    rows = {"event_timestamp": [T0, T0 + timedelta(hours=1), T0], "total": [5, 6, 7]}
    assert repo.write_to_online_store("global_stats", rows) == 1
    assert repo.get_online_features(["global_stats:total"], [{}]).to_dict() == {"total": [6]}


def test_unknown_view(repo: Harness) -> None:
    with pytest.raises(FeatureViewNotFoundError, match="nope"):
        repo.write_to_online_store("nope", _rows())


def test_push_online(repo: Harness) -> None:
    assert repo.push("driver_push", _rows()) == 3
    out = repo.get_online_features(FRESH, {"driver_id": [7, 8]}).to_dict()
    assert out["city"] == ["r", "q"] and out["conv_rate"] == [0.75, 0.25]
    assert _offline_rows(repo) == 4
    assert repo.online_store.tables() == ["driver_fresh"]


def _offline_rows(store: Harness) -> int:
    return pq.read_table(store.repo_path / "data" / "driver.parquet").num_rows


def test_push_offline_appends_to_the_batch_source(repo: Harness) -> None:
    repo.push("driver_push", _rows(), to=PushMode.OFFLINE)
    assert repo.online_store.tables() == []
    training = repo.get_historical_features(
        pd.DataFrame({"driver_id": [7, 8], "event_timestamp": [T0 + timedelta(hours=1)] * 2}),
        ["driver_stats:city", "driver_stats:conv_rate"],
    ).to_df()
    assert training["city"].tolist() == ["r", "q"]
    assert training["conv_rate"].tolist() == [0.75, 0.25]


def test_push_online_and_offline(repo: Harness) -> None:
    repo.push("driver_push", _rows(), to="online_and_offline")
    assert repo.get_online_features(FRESH, [{"driver_id": 8}]).to_dict()["trips"] == [2]
    training = repo.get_historical_features(
        pd.DataFrame({"driver_id": [8], "event_timestamp": [T0 + timedelta(hours=1)]}), ["driver_stats:trips"]
    ).to_df()
    assert training["trips"].tolist() == [2]


def test_push_errors_write_nothing(repo: Harness) -> None:
    with pytest.raises(SchemaMismatchError, match="'trips'"):
        repo.push("driver_push", _rows(trips=["x", "y", "z"]), to=PushMode.ONLINE_AND_OFFLINE)
    assert repo.online_store.tables() == []
    training = repo.get_historical_features(
        pd.DataFrame({"driver_id": [7], "event_timestamp": [T0 + timedelta(hours=1)]}), ["driver_stats:trips"]
    ).to_df()
    assert training["trips"].isna().all()
    with pytest.raises(DataSourceNotFoundError, match="driver_source"):
        repo.push("driver_source", _rows())


def test_every_type_round_trips_through_write_and_read(harness: Harness) -> None:
    from datetime import UTC, datetime

    from featurevault import Entity, FeatureView, Field, FileSource
    from featurevault.types import Array, Bool, Bytes, Float32, Float64, Int32, Int64, Json, Map, String, UnixTimestamp

    when = datetime(2024, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)
    values = {
        "i32": (Int32, [-(2**31), None]),
        "i64": (Int64, [2**63 - 1, None]),
        "f32": (Float32, [1.5, None]),
        "f64": (Float64, [float("inf"), None]),
        "flag": (Bool, [False, None]),
        "text": (String, ["日本語 🎉", None]),
        "blob": (Bytes, [b"\x00\xff", None]),
        "when": (UnixTimestamp, [when, None]),
        "attrs": (Map, [{"k": "v"}, None]),
        "doc": (Json, ['{"a": 1}', None]),
        "ints": (Array(Int64), [[1, None], None]),
        "times": (Array(UnixTimestamp), [[when], None]),
    }
    thing = Entity(name="thing", join_keys=["thing_id"])
    view = FeatureView(
        name="all_types",
        entities=[thing],
        ttl=None,
        schema=[Field(name=n, dtype=t) for n, (t, _) in values.items()],
        source=FileSource(name="all_src", path="all.parquet", timestamp_field="ts"),
    )
    rows = {"thing_id": ["a", "b"], "ts": [when, when], **{n: v for n, (_, v) in values.items()}}
    pq.write_table(
        pa.table(
            {n: codec.values_to_arrow(v, t, what=n) for n, (t, v) in values.items()}
            | {"thing_id": pa.array(["a", "b"]), "ts": pa.array([when, when])}
        ),
        harness.repo_path / "all.parquet",
    )
    harness.apply([view])
    harness.write_to_online_store("all_types", rows)
    resp = harness.get_online_features([f"all_types:{n}" for n in values], {"thing_id": ["a", "b"]})
    assert resp.to_dict() == {"thing_id": ["a", "b"], **{n: v for n, (_, v) in values.items()}}
    table = resp.to_arrow()
    for name, (dtype, _) in values.items():
        assert table.schema.field(name).type == dtype.to_arrow()


def test_push_with_a_field_mapping(harness: Harness) -> None:
    from featurevault import Entity, FeatureView, Field, FileSource, PushSource
    from featurevault.types import Float64

    rider = Entity(name="rider", join_keys=["rider_id"])
    batch = FileSource(
        name="rider_src", path="riders.parquet", timestamp_field="ts", field_mapping={"raw_score": "score"}
    )
    view = FeatureView(
        name="rider_stats",
        entities=[rider],
        ttl=None,
        schema=[Field(name="score", dtype=Float64)],
        source=PushSource(name="rider_push", batch_source=batch),
    )
    pq.write_table(
        pa.table({"rider_id": [1], "ts": pa.array([T0], pa.timestamp("us", tz="UTC")), "raw_score": [0.5]}),
        harness.repo_path / "riders.parquet",
    )
    harness.apply([view])
    pushed = pd.DataFrame({"rider_id": [2], "ts": [T0], "raw_score": [2.5]})
    harness.push("rider_push", pushed, to=PushMode.ONLINE_AND_OFFLINE)
    harness.push("rider_push", pd.DataFrame({"rider_id": [3], "ts": [T0], "score": [3.5]}), to="online_and_offline")
    out = harness.get_online_features(["rider_stats:score"], {"rider_id": [2, 3]}).to_dict()
    assert out["score"] == [2.5, 3.5]
    offline = pq.read_table(harness.repo_path / "riders.parquet")
    assert "raw_score" in offline.column_names and "score" not in offline.column_names
    assert sorted(offline.column("raw_score").to_pylist()) == [0.5, 2.5, 3.5]


def test_push_offline_to_a_view_covering_part_of_the_source(repo: Harness) -> None:
    from tests.unit.online.repo_defs import driver, driver_source

    rate_only = FeatureView(
        name="driver_rate_only",
        entities=[driver],
        ttl=timedelta(0),
        schema=[Field(name="conv_rate", dtype=Float32)],
        source=PushSource(name="rate_push", batch_source=driver_source),
    )
    repo.apply([rate_only])
    repo.push("rate_push", _rows().drop(columns=["trips", "city"]), to=PushMode.ONLINE_AND_OFFLINE)
    training = repo.get_historical_features(
        pd.DataFrame({"driver_id": [8], "event_timestamp": [T0 + timedelta(hours=1)]}),
        ["driver_stats:conv_rate", "driver_stats:trips"],
    ).to_df()
    assert training["conv_rate"].tolist() == [0.25]
    assert training["trips"].isna().all()  # columns no pushed view covers are null in the appended rows


def test_entity_key_that_cannot_be_encoded_is_a_request_error(repo: Harness) -> None:
    from featurevault.errors import RequestError

    with pytest.raises(RequestError, match="driver_id"):
        repo.get_online_features(["driver_stats:trips"], [{"driver_id": 2**70}])
