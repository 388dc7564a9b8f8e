"""Backup retention: keep the newest N backups and/or those younger than D days; remove the rest.

Incomplete backups (a directory without a manifest, left by an interrupted run)
older than an hour are removed too; younger ones may still be being written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from featurevault.errors import RecoveryError
from featurevault._recovery.backup import list_backups
from featurevault._recovery.context import RecoveryContext
from featurevault._recovery.manifest import MANIFEST

logger = logging.getLogger(__name__)

INCOMPLETE_GRACE = timedelta(hours=1)


@dataclass
class RetentionResult:
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    incomplete_removed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"kept": self.kept, "removed": self.removed, "incomplete_removed": self.incomplete_removed}


def apply_retention(
    ctx: RecoveryContext,
    keep_last: int | None = None,
    keep_days: float | None = None,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> RetentionResult:
    """A backup is kept when it is among the newest ``keep_last`` or younger than ``keep_days``."""
    if keep_last is None and keep_days is None:
        raise RecoveryError("retention needs --keep-last N and/or --keep-days D (or backup.keep_last/keep_days)")
    now = now or datetime.now(UTC)
    backups = list_backups(ctx)  # newest first
    result = RetentionResult()
    for index, manifest in enumerate(backups):
        recent = keep_last is not None and index < keep_last
        young = keep_days is not None and now - manifest.created <= timedelta(days=keep_days)
        if recent or young:
            result.kept.append(manifest.backup_id)
            continue
        result.removed.append(manifest.backup_id)
        if not dry_run:
            ctx.target.remove(manifest.backup_id)
    complete = {m.backup_id for m in backups}
    for name in ctx.target.children():
        if name in complete or ctx.target.exists(name, MANIFEST):
            continue
        started = _started(name)
        if started is not None and now - started > INCOMPLETE_GRACE:
            result.incomplete_removed.append(name)
            if not dry_run:
                ctx.target.remove(name)
    logger.info("retention: kept %d, removed %d", len(result.kept), len(result.removed))
    return result


def _started(backup_id: str) -> datetime | None:
    try:
        return datetime.strptime(backup_id.split("Z-", 1)[0], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
