"""Online/offline consistency: the online values of sampled entities against the offline latest values.

For each sampled entity the offline store gives the latest row up to now (what
materialization would write). A difference is explained, not counted, when the
offline row is newer than the view's last materialization (not yet
materialized) or older than the view's ttl (expired online, by design).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from featurevault._backends.registry.base import MetricPoint
from featurevault._monitoring.service import feature_view, non_pii_features

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

EXAMPLES = 5
SEED = 20240601


@dataclass
class FeatureConsistency:
    feature: str
    compared: int = 0
    mismatches: int = 0
    not_materialized: int = 0
    expired: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)
    #: False for PII features and views keyed by PII: counts only, no values in the report
    show_examples: bool = True

    @property
    def mismatch_rate(self) -> float:
        return self.mismatches / self.compared if self.compared else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "show_examples"}
        return {**data, "mismatch_rate": self.mismatch_rate}


@dataclass
class ConsistencyReport:
    view: str
    sampled: int
    features: list[FeatureConsistency]

    def to_dict(self) -> dict[str, Any]:
        return {"view": self.view, "sampled": self.sampled, "features": [f.to_dict() for f in self.features]}


def check_consistency(
    store: FeatureStore, contents: Any, view_name: str, sample: int, *, seed: int | None = None
) -> ConsistencyReport:
    from featurevault._backends.offline.base import EVENT_TS
    from featurevault._ops.materialize import watermarks
    from featurevault._ops.offline_specs import view_spec

    view = feature_view(contents, view_name)
    now = datetime.now(UTC)
    latest = pa.concat_tables(
        [pa.Table.from_batches([b]) for b in store.offline_store.latest_per_key(view_spec(view), None, now)]
        or [pa.table({})]
    )
    rows = _sample(latest, sample, SEED if seed is None else seed)
    keys = {k: rows.column(k).to_pylist() for k in view.join_keys} if rows.num_rows else {}
    refs = [f"{view.name}:{f}" for f in view.feature_names]
    version, _ = store.registry.versioned_contents()
    online = store._online_reader.read(version, contents, refs, keys, False).to_dict() if rows.num_rows else {}
    mark = (watermarks(store).get(view.name) or {}).get("end")
    materialized_to = datetime.fromisoformat(mark) if mark else None
    times = rows.column(EVENT_TS).to_pylist() if rows.num_rows else []
    report = ConsistencyReport(view.name, rows.num_rows, [])
    private = set(view.feature_names) - set(non_pii_features(contents, view))
    for name in view.feature_names:
        result = FeatureConsistency(name, show_examples=name not in private and not _pii_keys(contents, view))
        offline_values = rows.column(name).to_pylist() if rows.num_rows else []
        for i, (want, got, ts) in enumerate(zip(offline_values, online.get(name, []), times, strict=False)):
            _compare(result, view, {k: keys[k][i] for k in keys}, want, got, ts, materialized_to, now)
        report.features.append(result)
    store.registry.registry.record_metrics(
        store.project, [MetricPoint(view.name, f.feature, "skew_rate", now, f.mismatch_rate) for f in report.features]
    )
    return report


def _compare(
    result: FeatureConsistency,
    view: Any,
    key: dict[str, Any],
    want: Any,
    got: Any,
    ts: datetime,
    materialized_to: datetime | None,
    now: datetime,
) -> None:
    if _same(want, got):
        result.compared += 1
        return
    if materialized_to is None or ts > materialized_to:
        result.not_materialized += 1
        return
    if view.ttl_seconds and (now - ts).total_seconds() > view.ttl_seconds:
        result.expired += 1
        return
    result.compared += 1
    result.mismatches += 1
    if result.show_examples and len(result.examples) < EXAMPLES:
        result.examples.append({"entity": key, "online": got, "offline": want, "event_timestamp": ts.isoformat()})


def _pii_keys(contents: Any, view: Any) -> bool:
    from featurevault._governance.pii import build_catalog

    return bool(build_catalog(contents).pii_join_keys & set(view.join_keys))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


def _sample(table: pa.Table, n: int, seed: int) -> pa.Table:
    if table.num_rows <= n:
        return table
    picked = np.sort(np.random.default_rng(seed).choice(table.num_rows, n, replace=False))
    return table.take(pa.array(picked))
