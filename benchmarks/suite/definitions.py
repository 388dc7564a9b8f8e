"""The benchmark's feature definitions, written once for both feature stores.

Both packages take the same names and keyword arguments, so the definitions
are built from whichever package the calling process has imported. This
module imports neither (it runs in both environments).
"""

from __future__ import annotations

import json
from datetime import timedelta
from types import ModuleType
from typing import Any

ENTITY = "driver"
JOIN_KEY = "driver_id"
EVENT_TS = "event_timestamp"
CREATED_TS = "created"
#: view name -> ttl; 0 means unbounded in both stores
HISTORICAL_VIEWS = {"va": timedelta(days=2), "vb": timedelta(0), "vc": timedelta(days=10)}
ONLINE_VIEW = "vo"
N_FLOAT = 16
N_INT = 4


def feature_names(view: str) -> list[str]:
    return [f"{view}_f{j:02d}" for j in range(N_FLOAT + N_INT)]


def feature_refs(views: list[str]) -> list[str]:
    return [f"{view}:{name}" for view in views for name in feature_names(view)]


def build_objects(pkg: ModuleType, types: ModuleType, sources: dict[str, str], ttls: dict[str, timedelta]) -> list[Any]:
    """Entity + one feature view per ``sources`` entry (view name -> parquet path)."""
    driver = pkg.Entity(name=ENTITY, join_keys=[JOIN_KEY], value_type=pkg.ValueType.INT64)
    objects: list[Any] = [driver]
    for view, path in sources.items():
        source = pkg.FileSource(
            name=f"{view}_source", path=path, timestamp_field=EVENT_TS, created_timestamp_column=CREATED_TS
        )
        names = feature_names(view)
        schema = [pkg.Field(name=n, dtype=types.Float32) for n in names[:N_FLOAT]]
        schema += [pkg.Field(name=n, dtype=types.Int64) for n in names[N_FLOAT:]]
        objects.append(
            pkg.FeatureView(name=view, entities=[driver], ttl=ttls[view], schema=schema, source=source, online=True)
        )
    return objects


def repo_yaml(project: str, registry: str, online: dict[str, Any], offline: str) -> str:
    """feature_store.yaml text, with the keys both stores read for a local repo."""
    online_lines = "\n".join(f"  {k}: {json.dumps(v)}" for k, v in online.items())
    return (
        f"project: {project}\n"
        f"registry: {registry}\n"
        "provider: local\n"
        f"online_store:\n{online_lines}\n"
        f"offline_store:\n  type: {offline}\n"
        "entity_key_serialization_version: 3\n"
    )
