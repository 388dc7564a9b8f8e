"""Chi-square test of the current category counts against the baseline's shares (categorical features)."""

from __future__ import annotations

import numpy as np

from featurevault._monitoring.drift.requires import scipy_module

#: expected share of a category the baseline never saw (keeps the statistic finite)
UNSEEN_SHARE = 1e-4


def chi_square(expected_shares: np.ndarray, observed_counts: np.ndarray) -> tuple[float, float]:
    chisquare = scipy_module("scipy.stats").chisquare

    observed = np.asarray(observed_counts, dtype=float)
    total = observed.sum()
    if total == 0 or len(observed) < 2:
        return 0.0, 1.0
    shares = np.clip(np.asarray(expected_shares, dtype=float), UNSEEN_SHARE, None)
    expected = shares / shares.sum() * total
    result = chisquare(observed, expected)
    return float(result.statistic), float(result.pvalue)
