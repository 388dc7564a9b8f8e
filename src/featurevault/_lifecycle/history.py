"""History of a project's registry versions, diffs between two versions, and rollback to one.

Every apply stores a whole snapshot, so a diff compares two stored snapshots and a
rollback applies an old snapshot as a new version (history only grows). After
``rollback(V)``, ``diff(V)`` against the newest version is empty.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from featurevault._backends.registry.base import Registry, VersionInfo
from featurevault.errors import VersionNotFoundError
from featurevault._model import RepoContents

if TYPE_CHECKING:
    from featurevault._ops.apply import ApplyResult, Plan
    from featurevault._store import FeatureStore

logger = logging.getLogger(__name__)

#: keys of a stored object that never count as a change (a pickled function differs between processes)
IGNORED_FIELDS = frozenset({"udf_pickle"})


@dataclass(frozen=True)
class HistoryEntry:
    """One registry version as ``featurevault history`` shows it."""

    version: int
    created_at: datetime
    principal: str
    environment: str | None
    summary: str
    changes: list[str]
    meta: dict[str, Any]

    @classmethod
    def from_info(cls, info: VersionInfo) -> HistoryEntry:
        meta = dict(info.meta)
        summary = info.message
        if meta.get("rollback_to"):
            summary = f"rollback to {meta['rollback_to']}: {summary}"
        if meta.get("promoted_from"):
            summary = f"promoted from {meta['promoted_from']} v{meta.get('source_version')}: {summary}"
        principal = str(meta.get("principal") or info.author)
        return cls(
            info.version,
            info.created_at,
            principal,
            meta.get("environment"),
            summary,
            list(meta.get("changes", [])),
            meta,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created_at": self.created_at.isoformat(),
            "principal": self.principal,
            "environment": self.environment,
            "summary": self.summary,
            "changes": self.changes,
        }


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ObjectChange:
    """One object that differs: ``add``, ``remove``, or ``update`` with the fields that changed."""

    kind: str
    name: str
    action: str
    fields: list[FieldChange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        changed = [{"field": f.field, "before": f.before, "after": f.after} for f in self.fields]
        return {"kind": self.kind, "name": self.name, "action": self.action, "fields": changed}


@dataclass(frozen=True)
class VersionDiff:
    from_version: int
    to_version: int
    changes: list[ObjectChange]

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def to_dict(self) -> dict[str, Any]:
        return {
            "from_version": self.from_version,
            "to_version": self.to_version,
            "changes": [c.to_dict() for c in self.changes],
        }


@dataclass(frozen=True)
class RollbackResult:
    target_version: int
    base_version: int
    new_version: int | None
    plan: Plan
    committed: bool


def history(registry: Registry, project: str, limit: int | None = None) -> list[HistoryEntry]:
    """The project's versions, newest first."""
    return [HistoryEntry.from_info(info) for info in registry.history(project, limit)]


def snapshot_dict(registry: Registry, project: str, version: int) -> dict[str, Any]:
    """The stored definitions of ``version`` (VersionNotFoundError naming the versions there are)."""
    snapshot = registry.load(project, version) if version > 0 else None
    if snapshot is None:
        latest = registry.latest_version(project)
        raise VersionNotFoundError(
            f"project {project!r} has no registry version {version} (versions are 1..{latest})"
            if latest
            else f"project {project!r} has no registry versions yet (nothing applied)"
        )
    return snapshot.contents


def diff_versions(registry: Registry, project: str, old: int, new: int | None = None) -> VersionDiff:
    """Object- and field-level differences from version ``old`` to ``new`` (the newest when None)."""
    new_version = registry.latest_version(project) if new is None else new
    before = snapshot_dict(registry, project, old)
    after = snapshot_dict(registry, project, new_version)
    return VersionDiff(old, new_version, diff_dicts(before, after))


def diff_dicts(before: dict[str, Any], after: dict[str, Any]) -> list[ObjectChange]:
    changes: list[ObjectChange] = []
    for kind in dict.fromkeys([*before, *after]):
        old, new = before.get(kind, {}) or {}, after.get(kind, {}) or {}
        changes += [ObjectChange(kind, name, "add") for name in sorted(new.keys() - old.keys())]
        for name in sorted(old.keys() & new.keys()):
            fields = _field_changes(old[name], new[name])
            if fields:
                changes.append(ObjectChange(kind, name, "update", fields))
        changes += [ObjectChange(kind, name, "remove") for name in sorted(old.keys() - new.keys())]
    return changes


def _field_changes(before: Any, after: Any) -> list[FieldChange]:
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [] if before == after else [FieldChange("", before, after)]
    keys = dict.fromkeys([*before, *after])
    return [
        FieldChange(k, before.get(k), after.get(k))
        for k in keys
        if k not in IGNORED_FIELDS and before.get(k) != after.get(k)
    ]


def rollback(store: FeatureStore, version: int, *, dry_run: bool = False) -> RollbackResult:
    """Apply the definitions of ``version`` as a new version (or, with ``dry_run``, only plan it).

    Online tables are kept, or dropped for re-materialization, as the plan says (a view removed
    or whose entity keys changed). The caller (the facade) authorizes and audits.
    """
    from featurevault._ops import apply as apply_ops
    from featurevault._ops.registry_cache import EXTRA_KINDS

    registry = store.registry.registry
    target = RepoContents.from_dict(snapshot_dict(registry, store.project, version), EXTRA_KINDS)
    if dry_run:
        the_plan = apply_ops.plan(store, target)
        return RollbackResult(version, the_plan.base_version, None, the_plan, committed=False)
    meta = {"rollback_to": version}
    result: ApplyResult = apply_ops.apply_contents(store, target, meta=meta, skip_lint=True, operation="rollback")
    logger.info("rolled %s back to version %s as version %s", store.project, version, result.version)
    return RollbackResult(
        version, result.plan.base_version, result.version if result.committed else None, result.plan, result.committed
    )
