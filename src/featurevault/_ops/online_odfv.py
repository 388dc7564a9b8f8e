"""On-demand feature views at online read time: run the transformation over the rows read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from featurevault.errors import SchemaMismatchError
from featurevault._model import OnDemandFeatureView
from featurevault._ops import codec


def run_odfv(
    view: OnDemandFeatureView, features: Sequence[str], inputs: dict[str, list[Any]], rows: int
) -> list[list[Any]]:
    """The values of ``features`` for each row, cast to their declared types.

    pandas mode gets a DataFrame of ``inputs``; python mode a dict of lists.
    """
    if view.mode == "pandas":
        import pandas as pd

        output = view.transform(pd.DataFrame(inputs, index=range(rows)))
    else:
        output = view.transform({k: list(v) for k, v in inputs.items()})
    return [_output_column(view, output, feat, rows) for feat in features]


def _output_column(view: OnDemandFeatureView, output: Any, feature: str, rows: int) -> list[Any]:
    what = f"on-demand feature view {view.name!r} output {feature!r}"
    try:
        values = output[feature]
    except (KeyError, TypeError, IndexError):
        raise SchemaMismatchError(f"{what} is missing from what the transformation returned") from None
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        values = [values] * rows  # python mode may return one value for a single row
    if len(values) != rows:
        raise SchemaMismatchError(f"{what} has {len(values)} values for {rows} rows")
    dtype = view.feature(feature).dtype
    return codec.to_python(codec.values_to_arrow(values, dtype, what=what), dtype)
