"""Erasure of one entity (the right to be forgotten): its rows everywhere featurevault can delete them.

Every view keyed by exactly the given join keys is covered. Online: the entity's
record. Delta offline tables (local or in S3): its rows, deleted in one commit per table (old
versions keep them until ``offline vacuum`` removes the files). The quarantine: its
held rows, through the quarantine store's own list and remove. Parquet/CSV files
and database tables are reported, not rewritten: they belong to their producers
(a rewrite here would race their next write and keeps no log of the deletion), and
the report names each one so the rows can be removed there. Backups keep the
entity until retention removes them; the report says how many backups that is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from featurevault._backends.offline import delta, delta_location
from featurevault.errors import RequestError
from featurevault._model import FileSource
from featurevault._ops import codec
from featurevault._ops.offline_specs import source_spec
from featurevault._quality.quarantine import from_jsonable
from featurevault._recovery.online_snapshot import maintainable

if TYPE_CHECKING:
    from featurevault._store import FeatureStore


@dataclass
class ForgetResult:
    entity: dict[str, Any]
    dry_run: bool
    online: dict[str, int] = field(default_factory=dict)
    #: Delta source -> rows deleted (or found, in a dry run)
    offline: dict[str, int] = field(default_factory=dict)
    #: view -> quarantined rows deleted (or found)
    quarantine: dict[str, int] = field(default_factory=dict)
    not_rewritten: list[str] = field(default_factory=list)
    backups_holding: int = 0

    @property
    def deleted_total(self) -> int:
        return sum(self.online.values()) + sum(self.offline.values()) + sum(self.quarantine.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "dry_run": self.dry_run,
            "online_deleted": self.online,
            "offline_deleted": self.offline,
            "quarantine_deleted": self.quarantine,
            "deleted_total": self.deleted_total,
            "not_rewritten": self.not_rewritten,
            "backups_holding": self.backups_holding,
        }


def forget_entity(store: FeatureStore, entity: dict[str, Any], *, dry_run: bool = False) -> ForgetResult:
    if not entity:
        raise RequestError("forget: give the entity as join_key=value (repeat for a composite key)")
    online = maintainable(store.online_store)
    every = [v for v in store.registry.contents().feature_views.values() if v.join_keys]
    views = [v for v in every if set(v.join_keys) == set(entity)]
    if not views:
        keyed = sorted({",".join(sorted(v.join_keys)) for v in every})
        raise RequestError(
            f"forget: no feature view is keyed by {', '.join(sorted(entity))} (keys: {'; '.join(keyed)})"
        )
    result = ForgetResult(entity, dry_run)
    pack = codec.packer()
    for view in views:
        typed = _typed(view, entity)
        if view.online:
            key = pack(tuple(typed[k] for k in sorted(typed)))
            found = store.online_store.read(view.name, [key])[0] is not None
            result.online[view.name] = (1 if found else 0) if dry_run else online.delete(view.name, [key])
        _forget_offline(store, view, typed, result)
        _forget_quarantined(store, view, typed, result)
    result.backups_holding = _backups_holding(store)
    return result


def _typed(view: Any, entity: dict[str, Any]) -> dict[str, Any]:
    """The key values as the view declares them (``--entity user_id=123`` on a text key means "123")."""
    declared = {f.name: f.dtype.to_arrow() for f in view.entity_columns}
    typed = {}
    for key, value in entity.items():
        kind = declared.get(key)
        if kind is not None and (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            value = str(value)
        elif kind is not None and pa.types.is_integer(kind) and isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        typed[key] = value
    return typed


def _forget_offline(store: FeatureStore, view: Any, entity: dict[str, Any], result: ForgetResult) -> None:
    source = view.batch_source
    if source.name in result.offline:
        return  # a source feeding several views is rewritten once
    where = getattr(source, "path", None) or getattr(source, "table", None) or source.name
    if not isinstance(source, FileSource) or source.file_format != "delta":
        kind = getattr(source, "file_format", "") or type(source).__name__
        result.not_rewritten.append(
            f"{view.name}: offline source {source.name!r} ({kind} at {where}) is not rewritten by featurevault: "
            "its files or tables belong to their producer and keep no log of a deletion; delete the rows at the "
            "source (a DeltaSource is rewritten here)"
        )
        return
    spec = source_spec(source)
    predicate = " AND ".join(
        f"{delta.quote_column(delta.key_column(spec, k))} = {delta.sql_literal(v)}" for k, v in sorted(entity.items())
    )
    table = delta_location.location(spec, store.config.resolve)
    result.offline[source.name] = delta.delete_rows(spec, table, predicate, dry_run=result.dry_run)


def _forget_quarantined(store: FeatureStore, view: Any, entity: dict[str, Any], result: ForgetResult) -> None:
    quarantine = store.quarantine
    held = [
        e for e in quarantine.list(view.name) if all(from_jsonable(e.values.get(k)) == v for k, v in entity.items())
    ]
    if held and not result.dry_run:
        quarantine.remove([e.id for e in held])
    result.quarantine[view.name] = len(held)


def _backups_holding(store: FeatureStore) -> int:
    from featurevault._recovery.backup import list_backups
    from featurevault._recovery.service import RecoveryService

    try:
        return len([m for m in list_backups(RecoveryService(store).context()) if "online" in m.include])
    except Exception:  # noqa: BLE001 - an unreachable backup target must not block an erasure
        return -1
