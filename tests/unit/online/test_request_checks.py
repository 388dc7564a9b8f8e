"""Online reads refuse what they cannot answer truthfully: join keys of the wrong type, too many rows."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from featurevault.errors import SchemaMismatchError, TooManyEntityRowsError
from tests.unit.online.repo_defs import T0, Harness

REFS = ["driver_stats:trips"]


@pytest.fixture
def loaded(repo: Harness) -> Harness:
    repo.materialize(T0 - timedelta(days=30), T0 + timedelta(hours=2))
    return repo


@pytest.mark.parametrize("given", ["1", " 1 ", 1.0, np.int64(1), np.float64(1.0), "+1"])
def test_lossless_values_are_converted_to_the_declared_int64(loaded: Harness, given: object) -> None:
    out = loaded.get_online_features(REFS, [{"driver_id": given}]).to_dict()
    assert out == {"driver_id": [1], "trips": [11]}
    assert type(out["driver_id"][0]) is int


def test_mixed_column_is_converted_value_by_value(loaded: Harness) -> None:
    out = loaded.get_online_features(REFS, {"driver_id": [1, "1", 1.0, None, 99]}).to_dict()
    assert out == {"driver_id": [1, 1, 1, None, 99], "trips": [11, 11, 11, None, None]}


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("not-an-int", "not an integer"),
        (1.5, "not a whole number"),
        (True, "a boolean"),
        (2**70, "outside"),
        (float(2**70), "outside"),
        (-(2**63) - 1, "outside"),
        ("1e3", "not an integer"),
        ([1], ""),
        (b"1", ""),
    ],
)
def test_values_that_do_not_fit_name_key_value_and_type(loaded: Harness, given: object, why: str) -> None:
    with pytest.raises(SchemaMismatchError) as info:
        loaded.get_online_features(REFS, {"driver_id": [1, given]})
    message = str(info.value)
    assert "join key 'driver_id'" in message and repr(given)[:40] in message and "Int64" in message
    assert why in message


def test_a_dataframe_of_strings_converts(loaded: Harness) -> None:
    frame = pd.DataFrame({"driver_id": ["1", "2"]})
    assert loaded.get_online_features(REFS, frame).to_dict() == {"driver_id": [1, 2], "trips": [11, None]}


def test_sdk_has_no_row_limit_by_default(loaded: Harness) -> None:
    out = loaded.get_online_features(REFS, {"driver_id": [1] * 20_000}).to_dict()
    assert out["trips"] == [11] * 20_000


def test_sdk_row_limit_from_the_config(loaded: Harness, tmp_path: Path) -> None:
    yaml_path = tmp_path / "feature_store.yaml"
    yaml_path.write_text(yaml_path.read_text() + "limits:\n  max_entity_rows: 3\n")
    store = Harness(repo_path=tmp_path)
    store.set_now(T0 + timedelta(hours=2))
    try:
        assert store.get_online_features(REFS, {"driver_id": [1, 2, 3]}).to_dict()["trips"] == [11, None, None]
        with pytest.raises(TooManyEntityRowsError) as info:
            store.get_online_features(REFS, {"driver_id": [1, 2, 3, 4]})
        assert "4 entity rows" in str(info.value) and "limit of 3" in str(info.value)
        assert "limits.max_entity_rows" in str(info.value)
    finally:
        store.close()
