"""The registry's history and the diff between two of its versions, as the dashboard shows them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from featurevault.errors import NotFoundError, RequestError
from featurevault._governance.principal import Principal
from featurevault._model import AuthzedAction
from featurevault._model.contents import RepoContents
from featurevault._ops.apply import diff
from featurevault._ui.access import acting, secured

if TYPE_CHECKING:
    from featurevault._store import FeatureStore

MAX_VERSIONS = 200


def versions(store: FeatureStore, principal: Principal, limit: int = MAX_VERSIONS) -> list[dict[str, Any]]:
    """The newest ``limit`` versions (DESCRIBE on the project, as ``FeatureStore.registry_history``)."""
    infos = acting(store, principal).registry_history(limit)
    return [
        {"version": i.version, "created_at": i.created_at.isoformat(), "author": i.author, "message": i.message}
        for i in infos
    ]


def version_diff(store: FeatureStore, principal: Principal, old: int, new: int) -> dict[str, Any]:
    """What changed from version ``old`` to ``new``, among the objects ``principal`` may describe."""
    if old < 0 or new < 0:
        raise RequestError(f"registry versions are not negative: got {old} and {new}")
    with acting(store, principal).guarded(
        AuthzedAction.DESCRIBE, operation="ui.history.diff", details={"from": old, "to": new}
    ):
        before, after = _snapshot(store, old), _snapshot(store, new)
    changes = [c for c in diff(before, after) if _may_describe(store, principal, c.kind, c.name, before, after)]
    return {
        "from": old,
        "to": new,
        "changes": [{"kind": c.kind, "name": c.name, "action": c.action, "fields": list(c.fields)} for c in changes],
    }


def _snapshot(store: FeatureStore, version: int) -> RepoContents:
    snapshot = store.registry.registry.load(store.project, version)
    if snapshot is None:
        raise NotFoundError(f"project {store.project!r} has no registry version {version}")
    return RepoContents.from_dict(snapshot.contents)


def _may_describe(store: FeatureStore, principal: Principal, kind: str, name: str, *versions: RepoContents) -> bool:
    if not secured(store):
        return True
    from featurevault._governance.permissions import Resource

    obj = next((v.by_kind(kind)[name] for v in versions if name in v.by_kind(kind)), None)
    resource = Resource.of(obj) if obj is not None else Resource(kind, name)
    version, contents = store.registry.versioned_contents()
    return store.guard.state(version, contents).enforcer.allowed(principal, AuthzedAction.DESCRIBE, resource)
