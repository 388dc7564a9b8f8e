from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from featurevault.errors import DefinitionError
from featurevault._governance.pii import Masker, build_catalog, output_strategies
from featurevault._model import FeatureView, Field, FileSource, OnDemandFeatureView, RepoContents
from featurevault.types import String

KEY = b"k" * 32


def test_catalog_finds_tagged_fields_with_their_masking(contents: RepoContents) -> None:
    catalog = build_catalog(contents)
    assert catalog.masking_of("user_pii_features", "email") == "hash"
    assert catalog.masking_of("user_pii_features", "phone") == "partial"
    assert catalog.masking_of("user_pii_features", "ssn") == "redact"
    assert catalog.masking_of("user_pii_features", "amount") is None
    assert catalog.masking_of("user_public_features", "age") is None
    assert "user_id" in catalog.pii_join_keys  # the entity is tagged pii


def test_view_tag_makes_every_feature_pii() -> None:
    src = FileSource(name="s", path="x.parquet", timestamp_field="ts")
    view = FeatureView(
        name="v", source=src, schema=[Field(name="a", dtype=String)], tags={"pii": "true", "pii.masking": "partial"}
    )
    catalog = build_catalog(RepoContents(feature_views={"v": view}))
    assert catalog.masking_of("v", "a") == "partial"
    assert catalog.fields[("v", "a")].reason == "view tag"


def test_lineage_makes_derived_features_pii_unless_declassified(contents: RepoContents) -> None:
    catalog = build_catalog(contents)
    # derived reads email (PII): its outputs are PII ...
    assert catalog.masking_of("derived_strict", "amount_x2") == "redact"
    assert "user_pii_features:email" in catalog.fields[("derived_strict", "email_domain")].reason
    # ... except what the view declassifies, which is recorded
    assert catalog.masking_of("derived", "amount_x2") is None
    assert catalog.masking_of("derived", "email_domain") == "redact"
    assert catalog.declassified[("derived", "amount_x2")] == ("user_pii_features:email",)
    assert set(catalog.fields[("user_pii_features", "email")].derived_into) == {"derived", "derived_strict"}


def test_declassifying_an_unknown_feature_is_an_error(contents: RepoContents) -> None:
    odfv = contents.on_demand_feature_views["derived"]
    bad = OnDemandFeatureView.from_dict({**odfv.to_dict(), "tags": {"pii.declassify": "nope"}})
    contents.on_demand_feature_views["derived"] = bad
    with pytest.raises(DefinitionError, match="nope"):
        build_catalog(contents)


def test_unknown_masking_strategy_is_an_error() -> None:
    src = FileSource(name="s", path="x.parquet", timestamp_field="ts")
    view = FeatureView(
        name="v", source=src, schema=[Field(name="a", dtype=String, tags={"pii": "true", "pii.masking": "rot13"})]
    )
    with pytest.raises(DefinitionError, match="rot13"):
        build_catalog(RepoContents(feature_views={"v": view}))


def test_masking_strategies_on_arrow() -> None:
    masker = Masker(KEY)
    arr = pa.array(["alice@example.com", None, "bob@example.com", "alice@example.com"])
    redacted = masker.mask_array(arr, "redact")
    assert redacted.null_count == 4 and redacted.type == pa.string()
    hashed = masker.mask_array(arr, "hash").to_pylist()
    assert hashed[0] == hashed[3] != hashed[2]  # stable, so it still joins
    assert hashed[1] is None
    assert "alice" not in hashed[0] and len(hashed[0]) == 64
    assert Masker(b"other-key-000000").mask_array(arr, "hash").to_pylist()[0] != hashed[0]  # keyed
    assert masker.mask_array(pa.array(["555-123-4567", "12", None]), "partial").to_pylist() == [
        "****4567",
        "****12",
        None,
    ]
    assert masker.mask_array(pa.array([123456789]), "partial").to_pylist() == ["****6789"]
    assert masker.mask_array(pa.chunked_array([[1, 2], [1]]), "hash").to_pylist()[0] == masker.hash_value(1)
    assert masker.mask_array(pa.array([[1, 2], None]), "hash").to_pylist()[1] is None


def test_mask_table_frame_and_columns_agree() -> None:
    masker = Masker(KEY)
    strategies = {"email": "hash", "ssn": "redact", "phone": "partial"}
    data = {"email": ["a@x.io", "b@x.io"], "ssn": ["123", "456"], "phone": ["5551234", None], "n": [1, 2]}
    table = masker.mask_table(pa.table(data), strategies).to_pydict()
    frame = masker.mask_frame(pd.DataFrame(data), strategies)
    columns = masker.mask_columns(data, strategies)
    assert table == columns
    assert frame["email"].tolist() == table["email"]
    assert frame["ssn"].isna().all() and frame["n"].tolist() == [1, 2]
    assert table["phone"] == ["****1234", None]


def test_output_strategies_skip_views_read_clear(contents: RepoContents) -> None:
    catalog = build_catalog(contents)
    parts = [("user_pii_features", ["email", "amount"], ["user_pii_features__email", "amount"])]
    assert output_strategies(catalog, parts, set()) == {"user_pii_features__email": "hash"}
    assert output_strategies(catalog, parts, {"user_pii_features"}) == {}


def test_short_hash_key_is_refused() -> None:
    with pytest.raises(ValueError):
        Masker(b"short")


def test_a_masked_job_refuses_to_hand_out_a_spark_dataframe() -> None:
    from featurevault.errors import PermissionDeniedError
    from featurevault._governance.guard import MaskedRetrievalJob

    class Job:
        def to_spark_df(self) -> object:  # would carry the raw values
            raise AssertionError("the unmasked frame was requested")

    masked = MaskedRetrievalJob(Job(), Masker(KEY), {"email": "hash"})
    with pytest.raises(PermissionDeniedError, match="email.*masked.*to_df"):
        masked.to_spark_df()
