"""Population stability index: sum over bins of (current - expected) * ln(current / expected)."""

from __future__ import annotations

import numpy as np

#: share given to an empty bin, so that the logarithm stays finite
EPSILON = 1e-4


def psi(expected: np.ndarray, current: np.ndarray) -> float:
    """PSI of two share vectors over the same bins (each is normalised here)."""
    e = _shares(expected)
    c = _shares(current)
    return float(np.sum((c - e) * np.log(c / e)))


def _shares(counts: np.ndarray) -> np.ndarray:
    values = np.asarray(counts, dtype=float)
    total = values.sum()
    shares = values / total if total > 0 else np.full(len(values), 1.0 / max(len(values), 1))
    clipped: np.ndarray = np.clip(shares, EPSILON, None)
    return clipped
