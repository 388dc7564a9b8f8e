"""The lineage graph: sources -> feature views -> on-demand views -> services, with PII flow marked.

Nodes are the objects the principal may describe, in four columns; each lists its inputs. A node
is PII when it holds a PII field or one derived from one (the PII catalog follows derivations).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from featurevault._governance.pii import build_catalog
from featurevault._governance.principal import Principal
from featurevault._model import AuthzedAction
from featurevault._ui.access import acting, visible

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

COLUMNS = ("data_source", "feature_view", "on_demand_feature_view", "feature_service")


def lineage(store: FeatureStore, principal: Principal) -> dict[str, Any]:
    with acting(store, principal).guarded(AuthzedAction.DESCRIBE, operation="ui.lineage"):
        contents = store.registry.contents()
    catalog = build_catalog(contents)
    pii_views = {view for view, _ in catalog.fields}
    shown = {kind: visible(store, principal, list(contents.by_kind(kind).values())) for kind in COLUMNS}
    names = {kind: {obj.name for obj in objects} for kind, objects in shown.items()}
    columns = {}
    for kind, objects in shown.items():
        columns[kind] = [_node(obj, kind, pii_views, names) for obj in sorted(objects, key=lambda o: o.name)]
    return {"columns": columns}


def _inputs(obj: Any, kind: str) -> list[tuple[str, str]]:
    if kind == "feature_view":
        found = [("data_source", obj.source.name)]
        batch = getattr(obj.source, "batch_source", None)
        return found + ([("data_source", batch.name)] if batch is not None else [])
    if kind == "on_demand_feature_view":
        return [("feature_view", name) for name in obj.source_feature_view_projections]
    if kind == "feature_service":
        return [(obj.view_kinds.get(p.name, "feature_view"), p.name) for p in obj.feature_view_projections]
    return []


def _node(obj: Any, kind: str, pii_views: set[str], names: dict[str, set[str]]) -> dict[str, Any]:
    inputs = [(k if k in names else "feature_view", n) for k, n in _inputs(obj, kind)]
    inputs = [(k, n) for k, n in inputs if n in names.get(k, set()) or n in names["on_demand_feature_view"]]
    pii = obj.name in pii_views or (kind == "feature_service" and any(n in pii_views for _, n in inputs))
    return {"name": obj.name, "kind": kind, "inputs": [n for _, n in inputs], "pii": pii}
