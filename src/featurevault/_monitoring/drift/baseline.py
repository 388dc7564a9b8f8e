"""A feature's baseline: quantile bins (numeric) or category shares, plus a fixed-seed sample for KS."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

BINS = 10
SAMPLE_SIZE = 5000
SEED = 20240601


@dataclass
class FeatureBaseline:
    """What drift is measured against. ``kind`` is ``numeric`` or ``categorical``."""

    kind: str
    rows: int
    null_rate: float
    edges: list[float] = field(default_factory=list)
    shares: list[float] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    sample: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureBaseline:
        return cls(**data)


def is_numeric(column: pa.ChunkedArray | pa.Array) -> bool:
    kind = column.type
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind))


def numeric_values(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    values = pc.drop_null(column).to_numpy(zero_copy_only=False).astype(float)
    finite: np.ndarray = values[np.isfinite(values)]
    return finite


def category_counts(column: pa.ChunkedArray | pa.Array) -> dict[str, int]:
    counts = pc.value_counts(pc.drop_null(pc.cast(column, pa.string())))
    return {str(v): int(n) for v, n in zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist())}


def summarise(column: pa.ChunkedArray | pa.Array) -> FeatureBaseline:
    """The baseline of one feature column."""
    rows = len(column)
    null_rate = column.null_count / rows if rows else 0.0
    if is_numeric(column):
        values = numeric_values(column)
        edges = _quantile_edges(values)
        counts = bin_counts(values, edges)
        return FeatureBaseline("numeric", rows, null_rate, edges=edges, shares=_shares(counts), sample=_sample(values))
    categories = category_counts(column)
    names = sorted(categories)
    return FeatureBaseline(
        "categorical", rows, null_rate, categories=names, shares=_shares(np.array([categories[n] for n in names]))
    )


def bin_counts(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """Counts per bin; the outer bins are open so that values beyond the baseline's range count."""
    if not edges:
        return np.array([len(values)], dtype=float)
    index = np.searchsorted(np.asarray(edges), values, side="right")
    return np.bincount(index, minlength=len(edges) + 1).astype(float)


def _quantile_edges(values: np.ndarray) -> list[float]:
    if len(values) == 0:
        return []
    inner = np.quantile(values, np.linspace(0, 1, BINS + 1)[1:-1])
    return [float(e) for e in np.unique(inner)]


def _shares(counts: np.ndarray) -> list[float]:
    total = counts.sum()
    return [float(c / total) if total else 0.0 for c in counts]


def _sample(values: np.ndarray) -> list[float]:
    if len(values) <= SAMPLE_SIZE:
        return [float(v) for v in values]
    rng = np.random.default_rng(SEED)
    return [float(v) for v in rng.choice(values, SAMPLE_SIZE, replace=False)]
