"""Benchmark scales: how much data and how many repetitions each one means."""

from __future__ import annotations

from dataclasses import dataclass

ONLINE_BATCH_SIZES = (1, 10, 100, 1000)
SERVE_CONCURRENCY = (1, 8, 32)


@dataclass(frozen=True)
class Scale:
    """One benchmark size. Feature rows are per feature view (three views)."""

    name: str
    #: distinct entity keys the historical feature views cover
    entities: int
    #: rows per feature view, one historical data set each
    feature_rows: tuple[int, ...]
    #: entity_df sizes retrieved against every feature data set
    entity_rows: tuple[int, ...]
    #: rows (one per entity) materialized for the online and serving workloads
    online_entities: int
    #: calls per batch size per interleaved round of the online read
    online_iterations: int
    #: rows x 20 features materialized in the materialization workload
    materialize_rows: int
    #: requests per concurrency level per round of the serving workload
    serve_requests: int
    #: interleaved rounds (A B A B ...) of every workload
    rounds: int


SCALES = {
    "tiny": Scale("tiny", 500, (5_000,), (2_000,), 2_000, 30, 5_000, 100, 2),
    "small": Scale("small", 10_000, (100_000, 1_000_000), (10_000, 100_000), 10_000, 200, 100_000, 500, 3),
    "medium": Scale("medium", 100_000, (1_000_000,), (100_000, 1_000_000), 100_000, 300, 1_000_000, 1_000, 3),
    "large": Scale(
        "large", 1_000_000, (1_000_000, 10_000_000), (100_000, 1_000_000), 1_000_000, 500, 1_000_000, 2_000, 3
    ),
}


def get_scale(name: str) -> Scale:
    try:
        return SCALES[name]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}; choose one of {', '.join(SCALES)}") from None
