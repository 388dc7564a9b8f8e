"""Online rebuild: each view materialized from the offline store into a fresh staging table, then swapped in.

Readers keep reading the old table while the new one is built; the swap is
one transaction on SQLite and PostgreSQL and per key on Redis (see the
stores' ``swap_in``). The view's watermark is then reset to the rebuild's end,
so the next incremental run continues from there. Values pushed to the live
table while a rebuild runs are replaced by the offline store's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from featurevault._ops import materialize
from featurevault._recovery.online_snapshot import maintainable

if TYPE_CHECKING:
    from featurevault._ops.context import DataContext
    from featurevault._store import FeatureStore

logger = logging.getLogger(__name__)

STAGING = "__rebuild"


@dataclass
class RebuildResult:
    views: list[dict[str, Any]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(v["rows"] for v in self.views)

    def to_dict(self) -> dict[str, Any]:
        return {"views": self.views, "rows": self.rows}


class _StagingOnline:
    """The online store as one view's materialization sees it: that view's table is the staging table."""

    def __init__(self, online: Any, view: str) -> None:
        self._online = online
        self._view = view
        self.staging = view + STAGING

    def _name(self, table: str) -> str:
        return self.staging if table == self._view else table

    def write(self, table: str, keys: Any, records: Any) -> None:
        self._online.write(self._name(table), keys, records)

    def read(self, table: str, keys: Any) -> list[bytes | None]:
        found: list[bytes | None] = self._online.read(self._name(table), keys)
        return found


class _StagingStore:
    """What ``materialize_view`` needs of a store, with the staging online store in place."""

    def __init__(self, store: FeatureStore, online: _StagingOnline) -> None:
        self.online_store = online
        self.offline_store = store.offline_store
        self.registry = store.registry
        self.project = store.project
        self.guard = store.guard


def rebuild_online(
    store: FeatureStore, view_names: list[str] | None = None, since: datetime | None = None
) -> RebuildResult:
    """Rebuild the named online views (all online views when none) from the offline store."""
    online = store.online_store
    swapper = maintainable(online)
    end = datetime.now(UTC)
    result = RebuildResult()
    for view in materialize.views_to_materialize(store.registry.contents(), view_names):
        start = since if since is not None else materialize.first_start(store, view, end)
        staging = _StagingOnline(online, view.name)
        online.drop(staging.staging)  # left by an interrupted rebuild
        try:
            # the staging adapter has the online-store methods a materialization calls, not the whole interface
            context = cast("DataContext", _StagingStore(store, staging))
            done = materialize.materialize_view(context, view, start, end)
            swapper.swap_in(staging.staging, view.name)
        except BaseException:
            online.drop(staging.staging)
            raise
        _reset_watermark(store, view.name, start, end, done.rows)
        result.views.append(
            {
                "view": view.name,
                "rows": done.rows,
                "seconds": round(done.seconds, 3),
                "start": None if start is None else start.isoformat(),
                "end": end.isoformat(),
            }
        )
        logger.info("rebuilt online table %s: %d rows", view.name, done.rows)
    return result


def _reset_watermark(store: FeatureStore, view: str, start: datetime | None, end: datetime, rows: int) -> None:
    value = {
        "start": None if start is None else start.isoformat(),
        "end": end.isoformat(),
        "rows": rows,
        "at": datetime.now(UTC).isoformat(),
        "rebuilt": True,
    }
    store.registry.registry.set_state(store.project, materialize.NAMESPACE, view, value)
