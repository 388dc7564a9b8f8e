"""Deterministic synthetic data, written once per scale to parquet under ``benchmarks/.work``.

Feature rows: for each entity, events at distinct times across a 30-day
window (no two rows of an entity share an event time, so the comparator's
unstable tie-breaking never matters), a created timestamp a little later,
16 float32 and 4 int64 features. Entity rows: random entities (1% unknown)
at random times, a few exact duplicates (which the comparator drops, and the
cross-check therefore leaves out).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.suite.definitions import (
    CREATED_TS,
    EVENT_TS,
    HISTORICAL_VIEWS,
    JOIN_KEY,
    N_FLOAT,
    ONLINE_VIEW,
    feature_names,
)
from benchmarks.suite.scales import Scale

logger = logging.getLogger(__name__)

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
SPAN_US = 30 * 86_400 * 1_000_000
DUPLICATE_FRACTION = 0.005
UNKNOWN_FRACTION = 0.01
FORMAT_VERSION = 1
WARMUP_ROWS = 10


@dataclass
class Manifest:
    """Where each generated file is, and the in-memory size of what a retrieval reads."""

    root: str
    #: feature rows per view -> view name -> parquet path
    views: dict[str, dict[str, str]]
    #: entity rows -> parquet path
    entity_dfs: dict[str, str]
    #: feature rows -> Arrow bytes of the three views
    view_bytes: dict[str, int]
    #: entity rows -> Arrow bytes of the entity frame
    entity_bytes: dict[str, int]
    online_path: str
    materialize_path: str
    materialize_rows: int
    online_entities: int
    end: str
    #: a few entity rows, retrieved once untimed so that first-call costs stay out of the figures
    warmup_path: str = ""


def _features(rng: np.random.Generator, view: str, n: int) -> dict[str, np.ndarray]:
    names = feature_names(view)
    columns: dict[str, np.ndarray] = {}
    for j, name in enumerate(names):
        if j < N_FLOAT:
            columns[name] = rng.standard_normal(n, dtype=np.float32)
        else:
            columns[name] = rng.integers(0, 1_000_000, n, dtype=np.int64)
    return columns


def _timestamps(us: np.ndarray) -> pa.Array:
    return pa.array(us.astype("datetime64[us]"), type=pa.timestamp("us", tz="UTC"))


def feature_table(seed: int, view: str, rows: int, entities: int) -> pa.Table:
    """``rows`` events spread over ``entities`` keys, each key's events in distinct time slots."""
    rng = np.random.default_rng(seed)
    index = np.arange(rows, dtype=np.int64)
    per_entity = -(-rows // entities)
    slot_us = SPAN_US // per_entity
    event_us = _start_us() + (index // entities) * slot_us + rng.integers(0, slot_us, rows)
    created_us = event_us + rng.integers(0, 3_600_000_000, rows)
    columns = {JOIN_KEY: index % entities, EVENT_TS: _timestamps(event_us), CREATED_TS: _timestamps(created_us)}
    columns.update(_features(rng, view, rows))
    return pa.table(columns)


def entity_table(seed: int, rows: int, entities: int) -> pa.Table:
    """Entity rows at random times from day 1 to a day past the data; a few duplicates and unknown keys."""
    rng = np.random.default_rng(seed)
    unknown = int(entities * UNKNOWN_FRACTION) + 1
    ids = rng.integers(0, entities + unknown, rows, dtype=np.int64)
    ts = _start_us() + 86_400_000_000 + rng.integers(0, SPAN_US, rows)
    duplicates = int(rows * DUPLICATE_FRACTION)
    if duplicates:
        source = rng.integers(0, rows - duplicates, duplicates)
        ids[rows - duplicates :] = ids[source]
        ts[rows - duplicates :] = ts[source]
    return pa.table({JOIN_KEY: ids, EVENT_TS: _timestamps(ts)})


def latest_table(seed: int, view: str, rows: int) -> pa.Table:
    """One row per entity (``rows`` entities), for materialization and online reads."""
    rng = np.random.default_rng(seed)
    event_us = _start_us() + rng.integers(0, SPAN_US, rows)
    columns = {
        JOIN_KEY: np.arange(rows, dtype=np.int64),
        EVENT_TS: _timestamps(event_us),
        CREATED_TS: _timestamps(event_us + 1_000_000),
    }
    columns.update(_features(rng, view, rows))
    return pa.table(columns)


def _start_us() -> int:
    return int(START.timestamp() * 1_000_000)


def _write(table: pa.Table, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=256_000)
    return str(path)


def generate(scale: Scale, root: Path) -> Manifest:
    """Write the scale's files under ``root/<scale>`` (reused when already there) and describe them."""
    base = root.resolve() / scale.name
    manifest_path = base / "manifest.json"
    if manifest_path.exists():
        data = json.loads(manifest_path.read_text())
        if data.pop("format_version", None) == FORMAT_VERSION:
            return _with_warmup(Manifest(**data), scale)
    views: dict[str, dict[str, str]] = {}
    view_bytes: dict[str, int] = {}
    for rows in scale.feature_rows:
        views[str(rows)], total = {}, 0
        for k, view in enumerate(HISTORICAL_VIEWS):
            table = feature_table(1000 * k + rows % 997, view, rows, scale.entities)
            total += table.nbytes
            views[str(rows)][view] = _write(table, base / f"features_{rows}" / f"{view}.parquet")
        view_bytes[str(rows)] = total
        logger.info("wrote %s feature rows x %d views", rows, len(HISTORICAL_VIEWS))
    entity_dfs, entity_bytes = {}, {}
    for rows in scale.entity_rows:
        table = entity_table(7 + rows % 991, rows, scale.entities)
        entity_dfs[str(rows)] = _write(table, base / f"entity_{rows}.parquet")
        entity_bytes[str(rows)] = table.nbytes
    online = latest_table(11, ONLINE_VIEW, scale.online_entities)
    materialize = latest_table(13, ONLINE_VIEW, scale.materialize_rows)
    end = START.replace(month=2, day=15)
    manifest = Manifest(
        root=str(base),
        views=views,
        entity_dfs=entity_dfs,
        view_bytes=view_bytes,
        entity_bytes=entity_bytes,
        online_path=_write(online, base / "online" / f"{ONLINE_VIEW}.parquet"),
        materialize_path=_write(materialize, base / "materialize" / f"{ONLINE_VIEW}.parquet"),
        materialize_rows=scale.materialize_rows,
        online_entities=scale.online_entities,
        end=end.isoformat(),
    )
    manifest_path.write_text(json.dumps({"format_version": FORMAT_VERSION, **asdict(manifest)}, indent=1))
    return _with_warmup(manifest, scale)


def _with_warmup(manifest: Manifest, scale: Scale) -> Manifest:
    path = Path(manifest.root) / "entity_warmup.parquet"
    if not path.exists():
        _write(entity_table(3, WARMUP_ROWS, scale.entities), path)
    manifest.warmup_path = str(path)
    return manifest
