from datetime import timedelta

import pytest

import featurevault
from featurevault import Entity, FeatureService, FeatureView, Field, FileSource, PushSource, ValueType
from featurevault.errors import DefinitionError, FeatureNotFoundError, UnsupportedConstructError
from featurevault._model import OnDemandFeatureView, RepoContents
from featurevault.types import Array, Bool, Bytes, Float32, Int64, Json, Map, String, UnixTimestamp


def _view(**overrides: object) -> FeatureView:
    merchant = Entity(name="merchant", join_keys=["merchant_id"])
    user = Entity(name="user", join_keys=["user_id"])
    args: dict = dict(
        name="user_merchant_daily",
        entities=[user, merchant],
        schema=[Field(name="user_merchant_affinity_score", dtype=Float32), Field(name="tags", dtype=Array(String))],
        source=FileSource(path="data/um.parquet", timestamp_field="ts"),
        ttl=timedelta(hours=3),
    )
    args.update(overrides)
    return FeatureView(**args)


def test_composite_join_keys_and_round_trip() -> None:
    view = _view()
    assert view.join_keys == ["user_id", "merchant_id"]
    assert FeatureView.from_dict(view.to_dict()) == view


def test_projection_selects_and_keeps_order() -> None:
    view = _view()
    projected = view[["tags"]]
    assert projected.projection.features == ["tags"]
    assert view.projection.features == ["user_merchant_affinity_score", "tags"]
    with pytest.raises(FeatureNotFoundError, match="no feature 'nope'"):
        view[["nope"]]


def test_entity_less_view() -> None:
    view = _view(entities=[], name="global_daily")
    assert view.join_keys == []


def test_value_type_and_every_dtype_accepted() -> None:
    for dtype in (Int64, Float32, String, Bool, Bytes, UnixTimestamp, Map, Json, Array(Int64), ValueType.INT64):
        assert Field(name="f", dtype=dtype).dtype.name


def test_bad_definitions_name_the_object() -> None:
    with pytest.raises(DefinitionError, match="feature view 'v'.*ttl"):
        _view(name="v", ttl=timedelta(seconds=-1))
    with pytest.raises(DefinitionError, match="entities must be Entity objects"):
        _view(entities=["user"])
    with pytest.raises(DefinitionError, match="name 'bad name'"):
        Entity(name="bad name")
    with pytest.raises(DefinitionError, match="field 'tags' appears twice"):
        _view(schema=[Field(name="tags", dtype=Int64), Field(name="tags", dtype=Int64)])


@pytest.mark.parametrize("construct", ["StreamFeatureView", "TrinoSource", "KafkaSource"])
def test_unsupported_feast_constructs_raise(construct: str) -> None:
    with pytest.raises(UnsupportedConstructError, match=construct):
        getattr(featurevault, construct)(name="x")


def test_feature_service_and_contents_round_trip() -> None:
    view = _view()
    service = FeatureService(name="fraud_detection_v1", features=[view[["tags"]], view])
    assert service.feature_refs() == [
        "user_merchant_daily:tags",
        "user_merchant_daily:user_merchant_affinity_score",
        "user_merchant_daily:tags",
    ]
    contents = RepoContents(feature_views={view.name: view}, feature_services={service.name: service})
    again = RepoContents.from_dict(contents.to_dict())
    assert again.to_dict() == contents.to_dict()


def test_push_source_needs_batch_source() -> None:
    with pytest.raises(DefinitionError, match="batch_source"):
        PushSource(name="p", batch_source="nope")  # type: ignore[arg-type]


def test_definition_site_is_recorded() -> None:
    view = _view()
    assert view.site is not None and view.site.file.endswith("test_objects.py")


def test_odfv_pickle_round_trip_runs_in_a_fresh_object() -> None:
    import pandas as pd

    from featurevault import on_demand_feature_view

    view = _view()

    @on_demand_feature_view(sources=[view], schema=[Field(name="double_score", dtype=Float32)])
    def doubled(df: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"double_score": df["user_merchant_affinity_score"] * 2})

    again = OnDemandFeatureView.from_dict(doubled.to_dict())
    out = again.transform(pd.DataFrame({"user_merchant_affinity_score": [1.5]}))
    assert out["double_score"].tolist() == [3.0]
