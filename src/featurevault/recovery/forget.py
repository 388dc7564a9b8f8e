"""Erasure of one entity (the right to be forgotten): its rows everywhere featurevault can delete them.

Online: the entity's record in every online view keyed by exactly the given
join keys. Offline sources are reported, not rewritten: Parquet/CSV files and
database tables belong to their owners, and the report names each one so the
rows can be removed there. Backups keep the entity until retention removes
them; the report says how many backups that is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from featurevault.errors import RequestError
from featurevault.ops import codec
from featurevault.recovery.online_snapshot import maintainable


@dataclass
class ForgetResult:
    entity: dict[str, Any]
    dry_run: bool
    online: dict[str, int] = field(default_factory=dict)
    not_rewritten: list[str] = field(default_factory=list)
    backups_holding: int = 0

    @property
    def deleted_total(self) -> int:
        return sum(self.online.values())

    def to_dict(self) -> dict[str, Any]:
        return {"entity": self.entity, "dry_run": self.dry_run, "online_deleted": self.online,
                "deleted_total": self.deleted_total, "not_rewritten": self.not_rewritten,
                "backups_holding": self.backups_holding}


def forget_entity(store: Any, entity: dict[str, Any], *, dry_run: bool = False) -> ForgetResult:
    if not entity:
        raise RequestError("forget: give the entity as join_key=value (repeat for a composite key)")
    online = maintainable(store.online_store)
    every = [v for v in store.registry.contents().feature_views.values() if v.join_keys]
    views = [v for v in every if set(v.join_keys) == set(entity)]
    if not views:
        keyed = sorted({",".join(sorted(v.join_keys)) for v in every})
        raise RequestError(f"forget: no feature view is keyed by {', '.join(sorted(entity))} (keys: {'; '.join(keyed)})")
    result = ForgetResult(entity, dry_run)
    key = codec.packer()(tuple(entity[k] for k in sorted(entity)))
    for view in views:
        if view.online:
            found = store.online_store.read(view.name, [key])[0] is not None
            result.online[view.name] = (1 if found else 0) if dry_run else online.delete(view.name, [key])
        source = view.batch_source
        where = getattr(source, "path", None) or getattr(source, "table", None) or source.name
        result.not_rewritten.append(
            f"{view.name}: offline source {source.name!r} ({where}) is not rewritten by featurevault; "
            "delete the rows at the source"
        )
    result.backups_holding = _backups_holding(store)
    return result


def _backups_holding(store: Any) -> int:
    from featurevault.recovery.backup import list_backups
    from featurevault.recovery.service import RecoveryService

    try:
        return len([m for m in list_backups(RecoveryService(store).context()) if "online" in m.include])
    except Exception:  # noqa: BLE001 - an unreachable backup target must not block an erasure
        return -1
