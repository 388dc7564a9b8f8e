"""Two-sample Kolmogorov-Smirnov statistic and p-value (numeric features)."""

from __future__ import annotations

import numpy as np

from featurevault._monitoring.drift.requires import scipy_module


def ks(baseline_sample: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    ks_2samp = scipy_module("scipy.stats").ks_2samp

    if len(baseline_sample) == 0 or len(current) == 0:
        return 0.0, 1.0
    result = ks_2samp(baseline_sample, current)
    return float(result.statistic), float(result.pvalue)
