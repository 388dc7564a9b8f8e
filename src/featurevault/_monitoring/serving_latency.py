"""Serving latency for the ``serving_p99_ms`` metric: a quantile from a latency histogram's bucket counts.

The server counts online reads in a cumulative histogram; between two monitoring runs the
difference of the bucket counts is the histogram of that interval, and its quantile is
estimated as Prometheus' ``histogram_quantile`` does: linear within the bucket it falls in.
"""

from __future__ import annotations

import math


def histogram_quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """The ``q`` quantile from ``(upper bound, cumulative count)`` pairs (``inf`` last); None without data."""
    buckets = sorted(buckets)
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    lower, below = 0.0, 0.0
    for upper, count in buckets:
        if count >= rank:
            if math.isinf(upper):
                return lower  # past the last finite bound: the bound is all that is known
            inside = count - below
            return lower + (upper - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = upper, count
    return lower


class LatencyWindow:
    """The quantile of what a histogram counted since the previous :meth:`quantile_ms` call."""

    def __init__(self, cumulative: object) -> None:
        #: a callable giving ``{upper bound (s): cumulative count}`` summed over the histogram's labels
        self.cumulative = cumulative
        self._last: dict[float, float] = {}

    def quantile_ms(self, q: float = 0.99) -> float | None:
        current: dict[float, float] = self.cumulative()  # type: ignore[operator]
        delta = [(le, n - self._last.get(le, 0.0)) for le, n in current.items()]
        self._last = current
        value = histogram_quantile(q, delta)
        return None if value is None else value * 1000.0
