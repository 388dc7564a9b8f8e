"""Jensen-Shannon distance (base 2, so between 0 and 1) of two distributions over the same bins."""

from __future__ import annotations

import numpy as np

from featurevault._monitoring.drift.requires import scipy_module


def js_distance(expected: np.ndarray, current: np.ndarray) -> float:
    jensenshannon = scipy_module("scipy.spatial.distance").jensenshannon

    e, c = np.asarray(expected, dtype=float), np.asarray(current, dtype=float)
    if e.sum() <= 0 or c.sum() <= 0:
        return 0.0 if e.sum() == c.sum() else 1.0
    return float(jensenshannon(e, c, base=2))
