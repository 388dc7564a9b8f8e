"""Saved datasets and validation references, as in Feast.

``store.create_saved_dataset(from_=job, name=..., storage=SavedDatasetFileStorage(path=...))``
writes a retrieval job's result to Parquet and records it in the registry's state
(namespace ``saved_datasets``). ``ValidationReference(name=..., dataset=..., profiler=...)``
derives expectations from the dataset's profile; ``job.to_df(validation_reference=ref)``
raises :class:`ValidationFailed` (a DataQualityError) carrying the report when new data
breaks them. The profiler is ours: :class:`DistributionProfiler` (no great_expectations).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from featurevault.errors import DataQualityError, DefinitionError, NotFoundError
from featurevault._quality.profile import FeatureProfile, Profile, profile_table

NAMESPACE = "saved_datasets"


@dataclass(frozen=True)
class SavedDatasetFileStorage:
    """Where a saved dataset's rows live: a Parquet file (relative paths are under the repo)."""

    path: str
    file_format: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"type": "file", "path": self.path}


@dataclass
class SavedDataset:
    name: str
    storage: SavedDatasetFileStorage
    features: list[str]
    join_keys: list[str]
    rows: int
    created: datetime
    tags: dict[str, str] = field(default_factory=dict)
    _resolved: Path | None = None

    def to_arrow(self) -> pa.Table:
        import pyarrow.parquet as pq

        return pq.read_table(self._resolved or self.storage.path)

    def to_df(self) -> Any:
        return self.to_arrow().to_pandas()

    def as_reference(self, name: str, profiler: Any) -> ValidationReference:
        return ValidationReference(name=name, dataset=self, profiler=profiler)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "storage": self.storage.to_dict(),
            "features": self.features,
            "join_keys": self.join_keys,
            "rows": self.rows,
            "created": self.created.isoformat(),
            "tags": self.tags,
        }


def save_dataset(
    registry: Any,
    project: str,
    resolve: Callable[[str], Path],
    job: Any,
    name: str,
    storage: Any,
    tags: dict[str, str],
    allow_overwrite: bool,
) -> SavedDataset:
    import pyarrow.parquet as pq

    if not isinstance(storage, SavedDatasetFileStorage):
        raise DefinitionError(f"saved dataset {name!r}: storage must be a SavedDatasetFileStorage, got {storage!r}")
    if not allow_overwrite and name in registry.get_state(project, NAMESPACE):
        raise DefinitionError(f"saved dataset {name!r} already exists (pass allow_overwrite=True to replace it)")
    table = job.to_arrow()
    path = resolve(storage.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    features = list(getattr(job, "feature_columns", []) or [])
    meta = getattr(job, "metadata", None)
    join_keys = list(meta.keys) if meta is not None and hasattr(meta, "keys") else []
    dataset = SavedDataset(name, storage, features, join_keys, table.num_rows, datetime.now(UTC), dict(tags), path)
    registry.set_state(project, NAMESPACE, name, dataset.to_dict())
    return dataset


def load_dataset(registry: Any, project: str, resolve: Callable[[str], Path], name: str) -> SavedDataset:
    data = registry.get_state(project, NAMESPACE).get(name)
    if data is None:
        known = ", ".join(sorted(registry.get_state(project, NAMESPACE))) or "none"
        raise NotFoundError(f"no saved dataset named {name!r} (known: {known})")
    storage = SavedDatasetFileStorage(data["storage"]["path"])
    return SavedDataset(
        data["name"],
        storage,
        data["features"],
        data["join_keys"],
        data["rows"],
        datetime.fromisoformat(data["created"]),
        data.get("tags", {}),
        resolve(storage.path),
    )


# -- expectations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    feature: str
    what: str
    low: float
    high: float

    def check(self, value: float | None) -> bool:
        return value is not None and self.low <= value <= self.high


@dataclass
class ValidationReport:
    reference: str
    failures: list[dict[str, Any]]

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {"reference": self.reference, "passed": self.passed, "failures": self.failures}


class ValidationFailed(DataQualityError):
    """New data broke the expectations of a validation reference (``report`` says which)."""


class DistributionProfiler:
    """Expectations from a reference profile: per numeric feature, the mean and median stay within
    ``tolerance`` reference standard deviations, and per feature the null rate rises by at most
    ``null_rate_margin``.
    """

    def __init__(self, features: list[str] | None = None, tolerance: float = 0.5, null_rate_margin: float = 0.05):
        self.features = features
        self.tolerance = tolerance
        self.null_rate_margin = null_rate_margin

    def __call__(self, profile: Profile) -> list[Expectation]:
        expectations = []
        for name, p in profile.features.items():
            if self.features is not None and name not in self.features:
                continue
            expectations.append(Expectation(name, "null_rate", 0.0, p.null_rate + self.null_rate_margin))
            if p.mean is not None and p.std is not None:
                spread = self.tolerance * (p.std or 0.0)
                expectations.append(Expectation(name, "mean", p.mean - spread, p.mean + spread))
                median = p.quantiles.get("0.5")
                if median is not None:
                    expectations.append(Expectation(name, "median", median - spread, median + spread))
        return expectations


def _measure(p: FeatureProfile, what: str) -> float | None:
    if what == "null_rate":
        return p.null_rate
    if what == "mean":
        return p.mean
    if what == "median":
        return p.quantiles.get("0.5")
    return None


class ValidationReference:
    """Expectations derived once from a saved dataset's profile, checked against new data."""

    def __init__(self, name: str, dataset: SavedDataset, profiler: Callable[[Profile], list[Expectation]]):
        self.name = name
        self.dataset = dataset
        self.profiler = profiler
        self._expectations: list[Expectation] | None = None

    @property
    def expectations(self) -> list[Expectation]:
        if self._expectations is None:
            self._expectations = self.profiler(profile_table(self.dataset.to_arrow(), self.dataset.name))
        return self._expectations

    def validate(self, table: pa.Table) -> ValidationReport:
        profile = profile_table(table, self.name)
        failures = []
        for e in self.expectations:
            p = profile.features.get(e.feature)
            value = _measure(p, e.what) if p is not None else None
            if not e.check(value):
                failures.append({"feature": e.feature, "check": e.what, "value": value, "expected": [e.low, e.high]})
        return ValidationReport(self.name, failures)

    def enforce(self, table: pa.Table) -> None:
        report = self.validate(table)
        if not report.passed:
            parts = [f"{f['feature']} {f['check']}={f['value']} not in {f['expected']}" for f in report.failures[:5]]
            raise ValidationFailed(
                f"validation reference {self.name!r}: {len(report.failures)} expectation(s) broken: "
                + "; ".join(parts),
                report=report,
            )
