"""Unit tests of the repo's definitions: schemas against their sources, entities, TTLs, on-demand transforms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, source_rows

from featurevault._ops.offline_specs import source_spec
from featurevault._ops.repo import load_repo
from featurevault.types import from_arrow

CONTENTS = load_repo(REPO)
VIEWS = list(CONTENTS.feature_views.values())
ODFVS = list(CONTENTS.on_demand_feature_views.values())


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_schema_matches_the_source(store, view) -> None:
    schema = store.offline_store.schema(source_spec(view.batch_source))
    mapping = dict(view.batch_source.field_mapping)  # source column -> the view's name
    columns = {mapping.get(f.name, f.name): f.type for f in schema}
    for key in [*view.join_keys, view.batch_source.timestamp_field]:
        assert key in columns, f"{view.name}: source lacks column {key!r}"
    for feature in view.features:
        assert feature.name in columns, f"{view.name}: source lacks feature column {feature.name!r}"
        stored = from_arrow(columns[feature.name])
        assert stored.name == feature.dtype.name, (
            f"{view.name}.{feature.name}: declared {feature.dtype.name}, source has {stored.name}"
        )


@pytest.mark.parametrize("entity", list(CONTENTS.entities.values()), ids=lambda e: e.name)
def test_entity_has_join_keys_and_a_description(entity) -> None:
    assert entity.join_keys, f"entity {entity.name} has no join key"
    assert entity.description, f"entity {entity.name} has no description"


@pytest.mark.parametrize("view", VIEWS, ids=lambda v: v.name)
def test_ttl_is_set(view) -> None:
    assert view.ttl is not None and view.ttl.total_seconds() > 0, f"{view.name}: set a ttl (values never expire)"


def _inputs(store, odfv, rows: int) -> pd.DataFrame:
    frame = pd.DataFrame(index=range(rows))
    for name, projection in odfv.source_feature_view_projections.items():
        sample = source_rows(store, CONTENTS.feature_views[name]).head(rows).reset_index(drop=True)
        for feature in projection.features:
            frame[feature] = sample[feature]
    for field in odfv.request_fields:
        frame[field.name] = 1
    return frame


def _check_outputs(odfv, output: pd.DataFrame) -> None:
    for feature in odfv.features:
        assert feature.name in output.columns, f"{odfv.name}: the transform does not return {feature.name!r}"
        values = pd.to_numeric(output[feature.name], errors="coerce").to_numpy(dtype=float)
        assert not np.isinf(values).any(), f"{odfv.name}.{feature.name}: infinite values"


@pytest.mark.parametrize("odfv", ODFVS, ids=lambda v: v.name)
def test_on_demand_transform_on_sample_rows(store, odfv) -> None:
    inputs = _inputs(store, odfv, 20)
    output = odfv.transform(inputs)
    assert len(output) == len(inputs)
    _check_outputs(odfv, output)


@pytest.mark.parametrize("odfv", ODFVS, ids=lambda v: v.name)
def test_on_demand_transform_when_inputs_are_zero(store, odfv) -> None:
    """The division-by-zero case: an input of zero (each in turn, then all) gives finite values or nulls,
    never inf or an exception."""
    sample = _inputs(store, odfv, 3)
    numeric = [c for c in sample.columns if pd.api.types.is_numeric_dtype(sample[c])]
    for zeroed in [[c] for c in numeric] + [numeric]:
        inputs = sample.copy()
        inputs[zeroed] = 0
        _check_outputs(odfv, odfv.transform(inputs))
