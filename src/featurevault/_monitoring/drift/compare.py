"""A current window of a feature against its baseline: every statistic that applies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from featurevault._monitoring.drift.baseline import FeatureBaseline, bin_counts, category_counts, numeric_values
from featurevault._monitoring.drift.chi2 import chi_square
from featurevault._monitoring.drift.js import js_distance
from featurevault._monitoring.drift.ks import ks
from featurevault._monitoring.drift.psi import psi


@dataclass
class FeatureDrift:
    """Drift of one feature; KS for numeric features, chi-square for categorical ones, None otherwise."""

    feature: str
    rows: int
    null_rate: float
    psi: float
    js: float
    ks: float | None = None
    ks_pvalue: float | None = None
    chi2: float | None = None
    chi2_pvalue: float | None = None

    def metrics(self) -> dict[str, float]:
        """The values recorded in the metrics store, by metric name."""
        names = ("null_rate", "psi", "js", "ks", "ks_pvalue", "chi2", "chi2_pvalue")
        values = {name: getattr(self, name) for name in names}
        return {name: float(value) for name, value in values.items() if value is not None}


def feature_drift(name: str, baseline: FeatureBaseline, column: pa.ChunkedArray | pa.Array) -> FeatureDrift:
    rows = len(column)
    null_rate = column.null_count / rows if rows else 0.0
    expected = np.asarray(baseline.shares, dtype=float)
    if baseline.kind == "numeric":
        values = numeric_values(column)
        current = bin_counts(values, baseline.edges)
        statistic, pvalue = ks(np.asarray(baseline.sample), values)
        return FeatureDrift(
            name, rows, null_rate, psi(expected, current), js_distance(expected, current), statistic, pvalue
        )
    counts = category_counts(column)
    names = list(baseline.categories) + sorted(set(counts) - set(baseline.categories))
    expected = np.concatenate([expected, np.zeros(len(names) - len(baseline.categories))])
    observed = np.array([counts.get(n, 0) for n in names], dtype=float)
    statistic, pvalue = chi_square(expected, observed)
    return FeatureDrift(
        name,
        rows,
        null_rate,
        psi(expected, observed),
        js_distance(expected, observed),
        chi2=statistic,
        chi2_pvalue=pvalue,
    )
