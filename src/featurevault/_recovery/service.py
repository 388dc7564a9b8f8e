"""Recovery and maintenance operations as the facade offers them: each one authorized and audited once by the guard.

Every operation acts on the whole project (resource ``project:<name>``), with
the actions below; the audit record's ``details.operation`` names what ran.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from featurevault._governance.permissions import project_resource
from featurevault._model import AuthzedAction as A

if TYPE_CHECKING:
    from featurevault._store import FeatureStore
    from featurevault._recovery.backup import BackupResult, RestoreResult, VerifyResult
    from featurevault._recovery.capacity import CapacityPlan
    from featurevault._recovery.context import RecoveryContext
    from featurevault._recovery.drill import DrillResult
    from featurevault._recovery.forget import ForgetResult
    from featurevault._recovery.manifest import Manifest
    from featurevault._recovery.offline import MaintenanceResult
    from featurevault._recovery.rebuild import RebuildResult
    from featurevault._recovery.retention import RetentionResult

#: operation -> the actions a principal needs on the project
ACTIONS: dict[str, list[A]] = {
    "backup.create": [A.DESCRIBE, A.READ_ONLINE],
    "backup.list": [A.DESCRIBE],
    "backup.verify": [A.DESCRIBE],
    "backup.restore": [A.UPDATE, A.WRITE_ONLINE],
    "backup.prune": [A.DELETE],
    "online.rebuild": [A.MATERIALIZE, A.WRITE_ONLINE],
    "dr.drill": [A.DESCRIBE, A.READ_OFFLINE],
    "dr.status": [A.DESCRIBE],
    "capacity": [A.DESCRIBE],
    "forget": [A.DELETE, A.WRITE_ONLINE, A.WRITE_OFFLINE],
    "offline.compact": [A.UPDATE, A.WRITE_OFFLINE],
    "offline.vacuum": [A.DELETE, A.WRITE_OFFLINE],
}


class RecoveryService:
    """Backups, restore, rebuild, drill, capacity and erasure of one :class:`FeatureStore`."""

    def __init__(self, store: FeatureStore, target: str | None = None) -> None:
        self.store = store
        self._target = target

    @contextmanager
    def guarded(self, operation: str, **details: Any) -> Iterator[Any]:
        """Authorize ``operation`` on the project; exactly one audit record, with its outcome."""
        version, contents = self.store.registry.versioned_contents()
        resources = [project_resource(self.store.project)]
        info = {"operation": operation, **{k: v for k, v in details.items() if v is not None}}
        with self.store.guard.write(ACTIONS[operation], version, contents, resources, details=info) as call:
            yield call

    def context(self) -> RecoveryContext:
        from featurevault._governance.signing import load_signing_key
        from featurevault._recovery.context import RecoveryContext
        from featurevault._recovery.target import BackupTarget

        config = self.store.config
        return RecoveryContext(
            project=self.store.project,
            registry=self.store.registry.registry,
            online=self.store.online_store,
            target=BackupTarget.open(
                self._target or config.backup.target, config.resolve, config.backup.s3_endpoint_override
            ),
            signing_key=load_signing_key(config.audit, config.resolve),
            backup_config=config.backup,
            dr_config=config.dr,
        )

    # -- backups ------------------------------------------------------------------------------

    def create(self, include: list[str] | None = None) -> BackupResult:
        from featurevault._recovery.backup import create_backup

        with self.guarded("backup.create", include=include, target=self._target) as call:
            result = create_backup(self.context(), include)
            call.details["backup_id"] = result.manifest.backup_id
        self.store.registry.refresh(force=True)
        return result

    def list(self) -> list[Manifest]:
        from featurevault._recovery.backup import list_backups

        with self.guarded("backup.list", target=self._target):
            return list_backups(self.context())

    def verify(self, backup_id: str) -> VerifyResult:
        from featurevault._recovery.backup import verify_backup

        with self.guarded("backup.verify", backup_id=backup_id) as call:
            result = verify_backup(self.context(), backup_id)
            call.details["ok"] = result.ok
            return result

    def restore(self, backup_id: str, *, only: str | None = None, force: bool = False) -> RestoreResult:
        from featurevault._recovery.backup import restore_backup

        with self.guarded("backup.restore", backup_id=backup_id, only=only, force=force or None):
            result = restore_backup(self.context(), backup_id, only=only, force=force)
        self.store.registry.refresh(force=True)
        return result

    def prune(self, keep_last: int | None, keep_days: float | None, *, dry_run: bool = False) -> RetentionResult:
        from featurevault._recovery.retention import apply_retention

        cfg = self.store.config.backup
        keep_last = keep_last if keep_last is not None else cfg.keep_last
        keep_days = keep_days if keep_days is not None else cfg.keep_days
        with self.guarded("backup.prune", keep_last=keep_last, keep_days=keep_days, dry_run=dry_run or None) as call:
            result = apply_retention(self.context(), keep_last, keep_days, dry_run=dry_run)
            call.details["removed"] = result.removed
            return result

    # -- rebuild, drill, capacity, erasure ------------------------------------------------------

    def rebuild(self, views: builtins.list[str] | None = None, since: datetime | None = None) -> RebuildResult:
        from featurevault._recovery.rebuild import rebuild_online

        with self.guarded("online.rebuild", views=views, since=since and since.isoformat()):
            return rebuild_online(self.store, views, since)

    def drill(self, backup_id: str | None = None, sample_size: int | None = None) -> DrillResult:
        from featurevault._recovery.drill import run_drill

        with self.guarded("dr.drill", backup_id=backup_id) as call:
            result = run_drill(self.store, self.context(), backup_id, sample_size)
            call.details.update(passed=result.passed, rto_seconds=round(result.rto_seconds, 3))
            return result

    def status(self) -> dict[str, Any]:
        from featurevault._recovery.state import recorded

        with self.guarded("dr.status"):
            return recorded(self.store.registry.registry, self.store.project)

    def capacity(self, entities: int | None = None, qps: float | None = None) -> CapacityPlan:
        from featurevault._recovery.capacity import plan_capacity

        with self.guarded("capacity", entities=entities, qps=qps):
            return plan_capacity(self.store, entities, qps)

    def forget(self, entity: dict[str, Any], *, dry_run: bool = False) -> ForgetResult:
        from featurevault._recovery.forget import forget_entity

        with self.guarded("forget", entity=sorted(entity), dry_run=dry_run or None) as call:
            result = forget_entity(self.store, entity, dry_run=dry_run)
            call.details["deleted"] = result.deleted_total
            return result

    # -- offline data maintenance ------------------------------------------------------------

    def compact_offline(
        self, views: builtins.list[str] | None = None, target_file_size_mb: int | None = None
    ) -> MaintenanceResult:
        from featurevault._recovery.offline import compact

        with self.guarded("offline.compact", views=views, target_file_size_mb=target_file_size_mb) as call:
            result = compact(self.store, views, target_file_size_mb)
            call.details["files_removed"] = result.files_removed
            return result

    def vacuum_offline(
        self, views: builtins.list[str] | None = None, retain_seconds: float | None = None, *, dry_run: bool = False
    ) -> MaintenanceResult:
        from featurevault._recovery.offline import vacuum

        with self.guarded(
            "offline.vacuum", views=views, retain_seconds=retain_seconds, dry_run=dry_run or None
        ) as call:
            result = vacuum(self.store, views, retain_seconds, dry_run=dry_run)
            call.details.update(rows_deleted=result.rows_deleted, files_removed=result.files_removed)
            return result
