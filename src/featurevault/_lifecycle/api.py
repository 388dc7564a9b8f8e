"""The lifecycle part of the :class:`~featurevault._store.FeatureStore` facade.

Each method authorizes and audits through the store's guard, then delegates to its module.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from featurevault._model.permission import AuthzedAction

if TYPE_CHECKING:
    from featurevault._lifecycle.flags import FlagCache
    from featurevault._lifecycle.history import HistoryEntry, RollbackResult, VersionDiff
    from featurevault._lifecycle.promote import PromoteResult
    from featurevault._lifecycle.schedule import ScheduleRunResult, ScheduleStatus
    from featurevault._lifecycle.schedule_record import RecordedRun
    from featurevault._model import RepoContents
    from featurevault._model.flags import FeatureFlag
    from featurevault._quality.readiness import ReadinessReport


class LifecycleMethods:
    """History, diff and rollback; feature flags; promotion; scheduled materialization; readiness."""

    project: str
    registry: Any
    config: Any

    guarded: Any  # FeatureStore.guarded: authorize and audit a block
    principal: Any

    # -- history ----------------------------------------------------------------------------------

    def history(self, limit: int | None = None) -> list[HistoryEntry]:
        """Registry versions, newest first: version, time, principal, environment, summary of changes."""
        from featurevault._lifecycle.history import history

        with self.guarded(AuthzedAction.DESCRIBE, operation="registry.history"):
            return history(self.registry.registry, self.project, limit)

    def diff(self, old_version: int, new_version: int | None = None) -> VersionDiff:
        """Object- and field-level differences between two versions (``new_version``: the newest)."""
        from featurevault._lifecycle.history import diff_versions

        details = {"from_version": old_version, "to_version": new_version}
        with self.guarded(AuthzedAction.DESCRIBE, operation="registry.diff", details=details):
            return diff_versions(self.registry.registry, self.project, old_version, new_version)

    def rollback(self, version: int, *, dry_run: bool = False) -> RollbackResult:
        """Make the definitions of ``version`` current again, as a new version (audited as an apply).

        With ``dry_run`` only the plan is computed (DESCRIBE on the project).
        """
        from featurevault._lifecycle.history import rollback

        if dry_run:
            details = {"rollback_to": version, "dry_run": True}
            with self.guarded(AuthzedAction.DESCRIBE, operation="rollback", details=details):
                return rollback(self, version, dry_run=True)  # type: ignore[arg-type]
        return rollback(self, version)  # type: ignore[arg-type]

    # -- flags ------------------------------------------------------------------------------------

    @cached_property
    def _flag_cache(self) -> FlagCache:
        from featurevault._lifecycle.flags import FlagCache

        ttl = self.config.registry.cache_ttl_seconds
        return FlagCache(self.registry.registry, self.project, ttl, registry_cache=self.registry)

    def list_flags(self) -> list[FeatureFlag]:
        """Every feature flag of the project (read from the registry now, not from the cache)."""
        from featurevault._lifecycle.flags import load_flags

        with self.guarded(AuthzedAction.DESCRIBE, operation="flag.list"):
            return sorted(load_flags(self.registry.registry, self.project).flags.values(), key=lambda f: f.target)

    def set_flag(
        self,
        name: str,
        *,
        percent: float | None = None,
        enabled: bool | None = None,
        allow: list[str] | None = None,
    ) -> FeatureFlag:
        """Create or change the flag of a feature view, on-demand view or feature service (UPDATE on it).

        ``name`` is the object's name, or ``kind:name`` when two kinds share it. A new flag
        starts enabled at 100%; only the settings given change. Seen by every reader within
        the registry cache TTL.
        """
        from featurevault._lifecycle import flags as flag_ops

        target = flag_ops.resolve_target(name, self.registry.contents())
        current = flag_ops.load_flags(self.registry.registry, self.project).get(target)
        flag = flag_ops.updated_flag(
            current, target, percent=percent, enabled=enabled, allow=allow, principal=self.principal.name
        )
        details = {"before": current.to_dict() if current else None, "after": flag.to_dict()}
        with self.guarded(AuthzedAction.UPDATE, target, operation="flag.set", details=details):
            flag_ops.store_flag(self.registry.registry, self.project, flag, target)
        self._flag_cache.invalidate()
        return flag

    def remove_flag(self, name: str) -> None:
        """Remove a flag: the object is served to everyone again (UPDATE on it)."""
        from featurevault._lifecycle import flags as flag_ops

        target = flag_ops.resolve_target(name, self.registry.contents())
        current = flag_ops.load_flags(self.registry.registry, self.project).get(target)
        if current is None:
            from featurevault.errors import FlagNotFoundError

            raise FlagNotFoundError(f"no flag is set on {target}")
        with self.guarded(AuthzedAction.UPDATE, target, operation="flag.remove", details={"before": current.to_dict()}):
            flag_ops.store_flag(self.registry.registry, self.project, None, target)
        self._flag_cache.invalidate()

    # -- promotion --------------------------------------------------------------------------------

    def promote(self, from_env: str, *, dry_run: bool = False) -> PromoteResult:
        """Apply environment ``from_env``'s current definitions to this store's environment, behind gates.

        Needs PROMOTE on this project (the target). See featurevault._lifecycle.promote.
        """
        from featurevault._lifecycle.promote import promote

        return promote(self, from_env, dry_run=dry_run)  # type: ignore[arg-type]

    # -- schedules --------------------------------------------------------------------------------

    def run_schedules(self, *, now: Any = None, views: list[str] | None = None) -> ScheduleRunResult:
        """Materialize (incrementally) every scheduled view that is due, each under a lock (MATERIALIZE)."""
        from featurevault._lifecycle.schedule import run_due

        return run_due(self, now=now, views=views)  # type: ignore[arg-type]

    def schedule_status(self, *, now: Any = None) -> list[ScheduleStatus]:
        """Each scheduled view's schedule, last run and next run (DESCRIBE on the project)."""
        from featurevault._lifecycle.schedule import status

        with self.guarded(AuthzedAction.DESCRIBE, operation="schedule.status"):
            return status(self, now=now)  # type: ignore[arg-type]

    def schedule_runs(self, view: str | None = None, *, limit: int | None = 20) -> list[RecordedRun]:
        """Recorded scheduled runs, newest first: start, end, duration, rows, outcome (DESCRIBE on the project)."""
        from featurevault._lifecycle.schedule import scheduled_views
        from featurevault._lifecycle.schedule_record import recorded_runs

        details = {"view": view, "limit": limit}
        with self.guarded(AuthzedAction.DESCRIBE, operation="schedule.runs", details=details):
            if view is not None:
                scheduled_views(self, [view])  # type: ignore[arg-type]  # names the scheduled views if not one
            return recorded_runs(self.registry.registry, self.project, view, limit)

    # -- readiness --------------------------------------------------------------------------------

    def readiness(self, contents: RepoContents | None = None) -> ReadinessReport:
        """The production-readiness checklist against the recorded state (DESCRIBE on the project).

        ``contents``: the definitions to judge (default: the registry's current ones; the CLI
        passes the repo's files). The registry's recorded state (backups, drills, the last
        validate run, promotions, rollbacks, flags) decides the items that depend on it.
        """
        from featurevault._lifecycle.readiness_facts import readiness_report

        with self.guarded(AuthzedAction.DESCRIBE, operation="readiness"):
            return readiness_report(self, contents)  # type: ignore[arg-type]
