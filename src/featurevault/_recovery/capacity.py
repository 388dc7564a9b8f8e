"""Capacity planning: per view, online size from sampled record sizes, offline growth per day, read headroom.

Record sizes are sampled from the online store itself (the encoded key and
record bytes, without the store's own per-key overhead); the entity count is
``--entities`` or the keys the table holds now. Offline growth is the source
files' size over the days their event times span. The read rate is measured
here, single-threaded, with one-key reads of sampled keys; headroom is that
rate over ``--qps``. The plan is recorded for readiness.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from featurevault._recovery.online_snapshot import maintainable
from featurevault._recovery.state import record
from featurevault._ops.offline_specs import view_spec

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

SAMPLE = 10_000
READ_PROBES = 200


@dataclass
class ViewCapacity:
    view: str
    entities: int
    record_bytes: float
    online_bytes: int
    offline_bytes_per_day: float | None


@dataclass
class CapacityPlan:
    views: list[ViewCapacity] = field(default_factory=list)
    qps: float | None = None
    read_rate: float = 0.0

    @property
    def online_bytes(self) -> int:
        return sum(v.online_bytes for v in self.views)

    @property
    def entities(self) -> int:
        return max((v.entities for v in self.views), default=0)

    @property
    def headroom(self) -> float | None:
        return self.read_rate / self.qps if self.qps else None

    @property
    def headroom_text(self) -> str:
        if self.headroom is None:
            return f"{self.read_rate:.0f} reads/s per client thread (no --qps given)"
        return f"{self.headroom:.1f}x over {self.qps:g} qps"

    def to_dict(self) -> dict[str, Any]:
        return {
            "views": [asdict(v) for v in self.views],
            "qps": self.qps,
            "read_rate": round(self.read_rate, 1),
            "headroom": self.headroom,
            "headroom_text": self.headroom_text,
            "online_bytes": self.online_bytes,
            "entities": self.entities,
        }


def plan_capacity(store: FeatureStore, entities: int | None = None, qps: float | None = None) -> CapacityPlan:
    online = maintainable(store.online_store)
    plan = CapacityPlan(qps=qps)
    probe_keys: list[tuple[str, bytes]] = []
    for view in store.registry.contents().feature_views.values():
        if not view.online:
            continue
        count, sizes, keys = _measure(online, view.name, counting=entities is None)
        mean = sum(sizes) / len(sizes) if sizes else 0.0
        n = entities if entities is not None else count
        plan.views.append(ViewCapacity(view.name, n, mean, int(mean * n), _offline_growth(store, view)))
        probe_keys += [(view.name, k) for k in keys[:READ_PROBES]]
    plan.read_rate = _read_rate(store.online_store, probe_keys[:READ_PROBES])
    record(store.registry.registry, store.project, "capacity", {**plan.to_dict(), "at": datetime.now(UTC).isoformat()})
    return plan


def _measure(online: Any, table: str, counting: bool) -> tuple[int, list[int], list[bytes]]:
    count = 0
    sizes: list[int] = []
    keys: list[bytes] = []
    for batch_keys, records in online.scan(table, SAMPLE):
        if not sizes:
            sizes = [len(k) + len(r) for k, r in zip(batch_keys, records)]
            keys = list(batch_keys)
        count += len(batch_keys)
        if not counting:
            break
    return count, sizes, keys


def _offline_growth(store: FeatureStore, view: Any) -> float | None:
    path = getattr(view.batch_source, "path", None) if hasattr(view, "batch_source") else None
    if not path or "://" in str(path):
        return None
    files = store.config.resolve(path)
    size = (
        sum(f.stat().st_size for f in files.rglob("*") if f.is_file())
        if files.is_dir()
        else (files.stat().st_size if files.exists() else 0)
    )
    first, last = store.offline_store.time_range(view_spec(view))
    if not size or first is None or last is None:
        return None
    days = max((last - first).total_seconds() / 86400, 1.0)
    return size / days


def _read_rate(online: Any, probes: list[tuple[str, bytes]]) -> float:
    if not probes:
        return 0.0
    began = time.perf_counter()
    for table, key in probes:
        online.read(table, [key])
    return len(probes) / (time.perf_counter() - began)
