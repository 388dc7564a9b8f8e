"""FeatureStore: the facade. It wires the config to backends and delegates to ``ops``."""

from __future__ import annotations

import copy
import logging
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from featurevault._backends.offline.base import OfflineStore
from featurevault._backends.online.base import OnlineStore
from featurevault._config import RepoConfig, backend_module, load_repo_config, section_config
from featurevault.errors import (
    ConfigError,
    DataSourceNotFoundError,
    EntityNotFoundError,
    FeatureServiceNotFoundError,
    FeatureViewNotFoundError,
    NotFoundError,
)
from featurevault._governance.guard import Guard
from featurevault._governance.principal import Principal
from featurevault._lifecycle.api import LifecycleMethods
from featurevault._model import (
    AuthzedAction,
    DataSource,
    Entity,
    FeatureService,
    FeatureView,
    OnDemandFeatureView,
    RepoContents,
)
from featurevault._ops import apply as apply_ops
from featurevault._ops import historical, materialize, online, write
from featurevault._ops.materialize import MaterializeResult, ProgressCallback
from featurevault._ops.registry_cache import RegistryCache
from featurevault._ops.resolve import resolve_features
from featurevault._governance.targets import materialize_targets, push_actions, push_targets, view_target
from featurevault._model.project import Project
from featurevault._model.push_mode import PushMode
from featurevault._store_quality import QualityMethods

if TYPE_CHECKING:
    from featurevault._backends.registry.base import MetricPoint, VersionInfo
    from featurevault._governance.audit_verify import VerifyResult as AuditVerifyResult
    from featurevault._model import Permission
    from featurevault._monitoring.baselines import ViewBaseline
    from featurevault._monitoring.freshness import ViewFreshness
    from featurevault._monitoring.served_drift import ServedDrift
    from featurevault._monitoring.service import MonitorRunResult
    from featurevault._monitoring.skew import ConsistencyReport
    from featurevault._recovery.backup import BackupResult, RestoreResult, VerifyResult
    from featurevault._recovery.forget import ForgetResult
    from featurevault._recovery.manifest import Manifest
    from featurevault._recovery.offline import MaintenanceResult
    from featurevault._recovery.rebuild import RebuildResult
    from featurevault._recovery.service import RecoveryService

logger = logging.getLogger(__name__)

TOKEN_NAMESPACE = "tokens"
#: registry state read with each registry check, so that token checks and metrics never wait for the registry
CACHED_STATE = (TOKEN_NAMESPACE, "materialization", "flags", "schedule_runs")


class FeatureStore(QualityMethods, LifecycleMethods):
    """A feature store for one project, configured by a repo or a :class:`RepoConfig`.

    Data quality comes from :class:`QualityMethods`; history, rollback, flags, promotion and
    schedules from :class:`LifecycleMethods`.
    """

    def __init__(
        self,
        repo_path: str | Path | None = None,
        config: RepoConfig | None = None,
        fs_yaml_file: str | Path | None = None,
        principal: Principal | None = None,
        env: str | None = None,
    ) -> None:
        if config is not None and repo_path is None:
            # Relative paths are pinned to the directory the store was made in: a later chdir
            # must not move the registry, the online store or the audit trail under a running store.
            pinned = config.repo_path or Path.cwd().resolve()
            self.config: RepoConfig = config if config.repo_path else config.model_copy(update={"repo_path": pinned})
        else:
            path = Path(repo_path) if repo_path is not None else Path.cwd()
            self.config = (
                config.model_copy(update={"repo_path": path.resolve()})
                if config is not None
                else load_repo_config(path, None if fs_yaml_file is None else str(fs_yaml_file), env)
            )
        self.repo_path: Path = self.config.repo_path or Path.cwd()
        self.project = self.config.project
        self._principal = principal

    @property
    def environment(self) -> str | None:
        """The active environment of feature_store.yaml's ``environments:`` (None: the base config)."""
        return self.config.environment

    # -- backends, built once on first use ---------------------------------------------------

    def _resolve(self, path: str) -> Path:
        return self.config.resolve(path)

    @cached_property
    def _registry(self) -> RegistryCache:
        cfg = self.config.registry
        module = backend_module("registry", cfg.registry_type)
        registry = module.Store.from_config(cfg, resolve=self._resolve)
        return RegistryCache(
            registry,
            self.project,
            cfg.cache_ttl_seconds,
            max_staleness_seconds=cfg.max_staleness_seconds,
            state_namespaces=CACHED_STATE,
        )

    @cached_property
    def online_store(self) -> OnlineStore:
        store: OnlineStore = self._build("online_store", project=self.project)
        cache = self.config.online_cache
        if cache is not None:  # the hot-entity cache (ops/online_cache.py): below the guard, above the store
            from featurevault._ops.online_cache import wrap

            store = wrap(store, cache.max_entries, cache.ttl_seconds)
        return store

    @cached_property
    def offline_store(self) -> OfflineStore:
        store: OfflineStore = self._build("offline_store")
        return store

    def _build(self, kind: str, **kwargs: Any) -> Any:
        section = section_config(self.config, kind)
        module = backend_module(kind, getattr(self.config, kind).type)
        return module.Store.from_config(section, resolve=self._resolve, **kwargs)

    @cached_property
    def _feature_log(self) -> Any:
        """Sampled served vectors of feature services with a ``logging_config`` (see docs/monitoring.md)."""
        from featurevault._monitoring.feature_log import FeatureLogger

        return FeatureLogger(self._resolve)

    @cached_property
    def _online_reader(self) -> online.OnlineReader:
        return online.OnlineReader(
            self.online_store,
            decryptor=self.guard.decryptor if self.guard.encrypts_at_rest else None,
            max_entity_rows=self.config.limits.max_entity_rows,
        )

    @cached_property
    def guard(self) -> Guard:
        """Authorizes, audits and masks every call (see featurevault._governance)."""
        from featurevault._governance.setup import build_guard

        return build_guard(
            project=self.project,
            auth=self.config.auth,
            audit=self.config.audit,
            pii=self.config.pii,
            registry=self._registry.registry,
            contents=self._registry.versioned_contents,
            token_state=lambda: self._registry.state(TOKEN_NAMESPACE),
            resolve=self._resolve,
            resolve_features=resolve_features,
            principal=self._principal,
        )

    @property
    def principal(self) -> Principal:
        return self.guard.principal

    def as_principal(
        self, principal: Principal | str, roles: list[str] | None = None, groups: list[str] | None = None
    ) -> FeatureStore:
        """A view of this store acting as another principal (backends and audit trail shared)."""
        if not isinstance(principal, Principal):
            principal = Principal(principal, roles=roles, groups=groups)
        other = copy.copy(self)
        other.__dict__["guard"] = self.guard.with_principal(principal)
        other.__dict__["_feature_log"] = self._feature_log  # one log (and writer thread) for every principal
        return other

    def authenticate(self, credential: str | None) -> Principal:
        """The principal a bearer credential stands for (AuthenticationError when it is bad)."""
        principal: Principal = self.guard.authenticator.authenticate(credential)
        return principal

    @property
    def registry(self) -> RegistryCache:
        return self._registry

    def refresh_registry(self) -> None:
        """Reload the registry now instead of waiting for its cache to expire."""
        self._registry.refresh(force=True)

    # -- definitions ---------------------------------------------------------------------------

    def apply(
        self,
        objects: Any,
        objects_to_delete: list[Any] | None = None,
        partial: bool = True,
        *,
        skip_lint: bool = False,
    ) -> apply_ops.ApplyResult:
        """Register objects (one or a list). With ``partial=False`` anything not listed is removed.

        A :class:`RepoContents` (a whole repo, as ``featurevault apply`` loads it) replaces the registry's
        definitions. Lint errors (see docs/lint.md) raise LintError unless ``skip_lint``, which the version records.
        """
        if isinstance(objects, RepoContents):
            return apply_ops.apply_contents(self, objects, skip_lint=skip_lint)
        items = objects if isinstance(objects, (list, tuple)) else [objects]
        return apply_ops.apply_objects(
            self, list(items), list(objects_to_delete or []), partial=partial, skip_lint=skip_lint
        )

    def plan(self, desired: RepoContents) -> apply_ops.Plan:
        """The diff between the registry and ``desired`` (nothing is written)."""
        version, contents = self._registry.versioned_contents()
        with self.guard.definitions(AuthzedAction.DESCRIBE, version, contents, [_project(self.project)]):
            return apply_ops.plan(self, desired)

    def teardown(self) -> None:
        """Remove the project's online tables and registry entries."""
        version, contents = self._registry.versioned_contents()
        with self.guard.definitions(AuthzedAction.DELETE, version, contents, [_project(self.project)]):
            apply_ops.teardown(self)

    def verify_audit_trail(self) -> AuditVerifyResult:
        """Check the audit trail with its key and the registry's anchors: an ``audit_verify.VerifyResult``.

        Needs DESCRIBE on the project; raises AuditError when the trail cannot be checked
        as configured (keyed, and the key is missing or another one).
        """
        from featurevault._governance.audit_verify import verify_configured_trail

        with self.guarded(AuthzedAction.DESCRIBE, operation="audit.verify"):
            if self.guard.audit.enabled:
                self.guard.audit.flush()
            return verify_configured_trail(self.config.audit, self._resolve, self._registry.registry, self.project)

    # Feast's ``allow_cache`` / ``allow_registry_cache`` are accepted everywhere: definitions are
    # always read through the registry cache, refreshed every ``registry.cache_ttl_seconds``
    # (call refresh_registry() to force a reload). ``tags`` keeps objects carrying every tag given.

    def get_entity(self, name: str, allow_registry_cache: bool = True) -> Entity:
        entity: Entity = self._described("entity", name, EntityNotFoundError)
        return entity

    def get_feature_view(self, name: str, allow_registry_cache: bool = True) -> FeatureView:
        view: FeatureView = self._described("feature_view", name, FeatureViewNotFoundError)
        return view

    def get_on_demand_feature_view(self, name: str, allow_registry_cache: bool = True) -> OnDemandFeatureView:
        odfv: OnDemandFeatureView = self._described("on_demand_feature_view", name, FeatureViewNotFoundError)
        return odfv

    def get_feature_service(self, name: str, allow_cache: bool = True) -> FeatureService:
        service: FeatureService = self._described("feature_service", name, FeatureServiceNotFoundError)
        return service

    def get_data_source(self, name: str, allow_registry_cache: bool = True) -> DataSource:
        source: DataSource = self._described("data_source", name, DataSourceNotFoundError)
        return source

    def list_entities(self, allow_cache: bool = True, tags: dict[str, str] | None = None) -> list[Entity]:
        return self._listed(["entity"], tags)

    def list_feature_views(self, allow_cache: bool = True, tags: dict[str, str] | None = None) -> list[FeatureView]:
        return self._listed(["feature_view"], tags)

    def list_on_demand_feature_views(
        self, allow_cache: bool = True, tags: dict[str, str] | None = None
    ) -> list[OnDemandFeatureView]:
        return self._listed(["on_demand_feature_view"], tags)

    def list_all_feature_views(
        self, allow_cache: bool = True, tags: dict[str, str] | None = None
    ) -> list[FeatureView | OnDemandFeatureView]:
        """Stored and on-demand feature views together (Feast's ``list_all_feature_views``)."""
        return self._listed(["feature_view", "on_demand_feature_view"], tags)

    def list_feature_services(
        self, allow_cache: bool = True, tags: dict[str, str] | None = None
    ) -> list[FeatureService]:
        return self._listed(["feature_service"], tags)

    def list_data_sources(self, allow_cache: bool = True, tags: dict[str, str] | None = None) -> list[DataSource]:
        return self._listed(["data_source"], tags)

    def list_permissions(self, allow_cache: bool = True, tags: dict[str, str] | None = None) -> list[Permission]:
        return self._listed(["permission"], tags)

    def get_project(self, name: str | None = None, allow_cache: bool = True) -> Project:
        """This store's project (featurevault serves one project per store)."""
        if name is not None and name != self.project:
            raise NotFoundError(f"no project named {name!r}: this store serves project {self.project!r}")
        return Project(name=self.project)

    def list_projects(self, allow_cache: bool = True, tags: dict[str, str] | None = None) -> list[Project]:
        return _tagged([Project(name=self.project)], tags)

    @staticmethod
    def version() -> str:
        """The featurevault version (Feast's ``FeatureStore.version()``)."""
        from featurevault import __version__

        return __version__

    def registry_history(self, limit: int | None = None) -> list[VersionInfo]:
        """The project's registry versions, newest first (DESCRIBE on the project)."""
        with self.guarded(AuthzedAction.DESCRIBE, operation="registry.history"):
            return self._registry.registry.history(self.project, limit)

    def guarded(
        self,
        action: AuthzedAction,
        resource: str | None = None,
        *,
        operation: str,
        details: dict[str, Any] | None = None,
        bootstrap: str | None = None,
    ) -> Any:
        """Authorize ``action`` on ``resource`` (``kind:name``; the project when None) and audit the block.

        For administrative entry points (tokens, keys, the audit trail, registry
        dumps): the audit record names ``operation``. ``bootstrap`` (a reason)
        allows the call without a grant; the record says so.
        """
        version, contents = self._registry.versioned_contents()
        target = _project(self.project) if resource is None else _resource(resource, contents)
        info = {"operation": operation, **(details or {})}
        return self.guard.definitions(action, version, contents, [target], details=info, bootstrap=bootstrap)

    def _described(self, kind: str, name: str, error: type[Exception]) -> Any:
        version, contents = self._registry.versioned_contents()
        objects = contents.by_kind(kind)
        with self.guard.describe(version, contents, [_resource(f"{kind}:{name}", contents)]):
            return _get(objects, name, error, kind.replace("on_demand", "on-demand").replace("_", " "))

    def _listed(self, kinds: list[str], tags: dict[str, str] | None = None) -> list[Any]:
        version, contents = self._registry.versioned_contents()
        with self.guard.describe(version, contents, [_project(self.project)]):
            return _tagged([obj for kind in kinds for obj in contents.by_kind(kind).values()], tags)

    # -- reads ---------------------------------------------------------------------------------

    def get_historical_features(
        self,
        entity_df: Any = None,
        features: Any = None,
        full_feature_names: bool = False,
        *,
        feature_service: FeatureService | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        respect_flags: bool = False,
        as_of: int | datetime | str | None = None,
    ) -> historical.RetrievalJob:
        """Point-in-time correct training data for the rows of ``entity_df``.

        Without ``entity_df``: every entity with an event in [start_date, end_date], at end_date.
        With ``respect_flags`` the features behind a flag that is off for a row are null, as
        serving would give them (see docs/lifecycle.md). ``as_of`` reads every view's Delta
        table at a version (int) or time: the data exactly as it was then (docs/operations.md).
        """
        wanted = features if features is not None else feature_service
        version, contents = self._registry.versioned_contents()
        read = AuthzedAction.READ_OFFLINE
        with self.guard.read(read, version, contents, wanted, entity_df, full_feature_names) as call:
            job: historical.RetrievalJob = call.mask_job(
                historical.get_historical_features(
                    self.offline_store,
                    contents,
                    entity_df,
                    wanted,
                    full_feature_names=full_feature_names,
                    start_date=start_date,
                    end_date=end_date,
                    sandbox_sql=self.guard.enforce,
                    flags=self._flag_cache.current() if respect_flags else None,
                    as_of=as_of,
                )
            )
            return job

    def get_online_features(
        self,
        features: Any,
        entity_rows: Any,
        full_feature_names: bool = False,
    ) -> online.OnlineResponse:
        """Latest values for each entity row, from the online store."""
        version, contents = self._registry.versioned_contents()
        read = AuthzedAction.READ_ONLINE
        with self.guard.read(read, version, contents, features, entity_rows, full_feature_names) as call:
            response: online.OnlineResponse = self._online_reader.read(
                version, contents, features, entity_rows, full_feature_names, self._flag_cache.current()
            )
            self._fill_nulls(self._online_reader, version, contents, features, full_feature_names, response)
            response = call.mask_online(response)
            self._feature_log.record(features, response, call.request_id, version)
            return response

    # -- writes --------------------------------------------------------------------------------

    def materialize(
        self,
        start_date: datetime,
        end_date: datetime,
        feature_views: list[str] | None = None,
        *,
        progress: ProgressCallback | None = None,
    ) -> MaterializeResult:
        """Load the latest value per entity in [start_date, end_date] into the online store."""
        with self._guarded_write([AuthzedAction.MATERIALIZE], materialize_targets(feature_views)) as call:
            return materialize.materialize(
                self, start_date, end_date, feature_views, progress=progress, gate=self.quality_gate(call)
            )

    def materialize_incremental(
        self,
        end_date: datetime,
        feature_views: list[str] | None = None,
        *,
        progress: ProgressCallback | None = None,
    ) -> MaterializeResult:
        """Materialize each view from its last watermark (or end - ttl) up to ``end_date``."""
        with self._guarded_write([AuthzedAction.MATERIALIZE], materialize_targets(feature_views)) as call:
            return materialize.materialize_incremental(
                self, end_date, feature_views, progress=progress, gate=self.quality_gate(call)
            )

    def write_to_online_store(self, feature_view_name: str, df: Any, inputs: Any = None) -> int:
        """Write rows (join keys, event timestamp, features) straight to the online store."""
        rows = df if inputs is None else inputs
        with self._guarded_write([AuthzedAction.WRITE_ONLINE], view_target(feature_view_name), rows) as call:
            return write.write_to_online_store(self, feature_view_name, rows, gate=self.quality_gate(call))

    def write_to_offline_store(
        self, feature_view_name: str, df: Any, allow_registry_cache: bool = True, reorder_columns: bool = True
    ) -> int:
        """Append rows (join keys, event timestamp, features) to the view's batch source."""
        with self._guarded_write([AuthzedAction.WRITE_OFFLINE], view_target(feature_view_name), df) as call:
            return write.write_to_offline_store(self, feature_view_name, df, gate=self.quality_gate(call))

    def push(
        self, push_source_name: str, df: Any, allow_registry_cache: bool = True, to: PushMode | str = PushMode.ONLINE
    ) -> int:
        """Write rows to every view fed by a push source (online, offline, or both)."""
        with self._guarded_write(push_actions(to), push_targets(push_source_name), df) as call:
            return write.push(self, push_source_name, df, to, gate=self.quality_gate(call))

    # -- operations and recovery (see featurevault._recovery, docs/operations.md) ---------------

    def recovery(self, target: str | None = None) -> RecoveryService:
        """Backups, restore, rebuild, drill, capacity and erasure; ``target`` overrides ``backup.target``."""
        from featurevault._recovery.service import RecoveryService

        return RecoveryService(self, target)

    def backup(self, include: list[str] | None = None, *, target: str | None = None) -> BackupResult:
        """Back up the registry and/or the online store (a signed manifest with checksums)."""
        return self.recovery(target).create(include)

    def list_backups(self, *, target: str | None = None) -> list[Manifest]:
        return self.recovery(target).list()

    def verify_backup(self, backup_id: str, *, target: str | None = None) -> VerifyResult:
        return self.recovery(target).verify(backup_id)

    def restore_backup(
        self, backup_id: str, *, only: str | None = None, force: bool = False, target: str | None = None
    ) -> RestoreResult:
        """Restore a verified backup; a non-empty registry or online store needs ``force``."""
        return self.recovery(target).restore(backup_id, only=only, force=force)

    def rebuild_online(self, feature_views: list[str] | None = None, since: datetime | None = None) -> RebuildResult:
        """Rebuild online tables from the offline store into fresh tables, swapped in atomically."""
        return self.recovery().rebuild(feature_views, since)

    def forget(self, entity: dict[str, Any], *, dry_run: bool = False) -> ForgetResult:
        """Delete one entity's rows everywhere featurevault can (right to erasure); reports what and where."""
        return self.recovery().forget(entity, dry_run=dry_run)

    def compact_offline(
        self, feature_views: list[str] | None = None, target_file_size_mb: int | None = None
    ) -> MaintenanceResult:
        """Rewrite small offline files into large ones (Delta OPTIMIZE; Parquet: an atomic rewrite)."""
        return self.recovery().compact_offline(feature_views, target_file_size_mb)

    def vacuum_offline(
        self, feature_views: list[str] | None = None, retain: float | str | None = None, *, dry_run: bool = False
    ) -> MaintenanceResult:
        """Delete Delta rows older than each view's ``retention``, then files older than ``retain`` (90d)."""
        from featurevault._config import parse_duration

        seconds = None if retain is None else parse_duration(retain, "retain")
        return self.recovery().vacuum_offline(feature_views, seconds, dry_run=dry_run)

    # -- monitoring (see docs/monitoring.md) --------------------------------------------------

    def monitor_baseline(self, feature_view: str, start: datetime, end: datetime) -> ViewBaseline:
        """Record the drift baseline of a view over [start, end] (READ_OFFLINE on the view)."""
        from featurevault._monitoring import service

        with self.guarded(AuthzedAction.READ_OFFLINE, f"feature_view:{feature_view}", operation="monitor.baseline"):
            return service.record_baseline(self, self._registry.contents(), feature_view, start, end)

    def monitor_run(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        now: datetime | None = None,
        feature_views: list[str] | None = None,
        serving_p99_ms: float | None = None,
    ) -> MonitorRunResult:
        """Measure freshness and drift, record them, evaluate every alert and notify (READ_OFFLINE on the project).

        ``serving_p99_ms``: the online read p99 measured by the caller (``serve --monitor`` passes its own).
        """
        from featurevault._monitoring import service
        from featurevault._monitoring.notify import Dispatcher

        with self.guarded(AuthzedAction.READ_OFFLINE, operation="monitor.run"):
            dispatcher = Dispatcher(self.config.alerting, self._audit_notification)
            return service.run_monitoring(
                self,
                self._registry.contents(),
                dispatcher,
                start=start,
                end=end,
                now=now,
                views=feature_views,
                serving_p99_ms=serving_p99_ms,
            )

    def monitor_consistency(
        self, feature_view: str, sample: int = 100, *, seed: int | None = None
    ) -> ConsistencyReport:
        """Online values of ``sample`` random entities against their offline point-in-time values (READ_OFFLINE)."""
        from featurevault._monitoring import skew

        with self.guarded(AuthzedAction.READ_OFFLINE, f"feature_view:{feature_view}", operation="monitor.consistency"):
            return skew.check_consistency(self, self._registry.contents(), feature_view, sample, seed=seed)

    def monitor_served_drift(
        self, feature_service: str, start: datetime | None = None, end: datetime | None = None
    ) -> ServedDrift:
        """Drift of the values a feature service served (its feature log) against the views' baselines.

        The window defaults to the last 24 hours (READ_OFFLINE on the feature service).
        """
        from featurevault._monitoring import service

        resource = f"feature_service:{feature_service}"
        with self.guarded(AuthzedAction.READ_OFFLINE, resource, operation="monitor.served_drift"):
            return service.served_drift_of(self, self._registry.contents(), feature_service, start, end)

    def list_alerts(self, state: str | None = None) -> list[dict[str, Any]]:
        """Every alert with its last evaluated state and runbook (DESCRIBE on the project)."""
        from featurevault._monitoring import service

        with self.guarded(AuthzedAction.DESCRIBE, operation="alerts.list"):
            return service.alert_states(self, self._registry.contents(), state)

    def view_freshness(self) -> list[ViewFreshness]:
        """Freshness of every feature view: newest offline event, last materialization (DESCRIBE on the project)."""
        from featurevault._monitoring import service

        with self.guarded(AuthzedAction.DESCRIBE, operation="monitor.freshness"):
            return service.freshness_of_views(self, self._registry.contents())

    def metric_history(
        self, feature_view: str | None = None, metric: str | None = None, since: datetime | None = None
    ) -> list[MetricPoint]:
        """Recorded monitoring metrics, oldest first (DESCRIBE on the project)."""
        with self.guarded(AuthzedAction.DESCRIBE, operation="metrics.history"):
            return self._registry.registry.metrics(self.project, view=feature_view, metric=metric, since=since)

    def get_runbook(self, name: str) -> str:
        """The text of a runbook of the repo (``runbooks/NAME.md``; DESCRIBE on the project)."""
        from featurevault._monitoring.runbooks import read_runbook

        with self.guarded(AuthzedAction.DESCRIBE, operation="runbook.show", details={"runbook": name}):
            return read_runbook(self.repo_path, name)

    def export_alert_rules(self) -> str:
        """The registry's alerts as a Prometheus alerting-rules file (YAML; DESCRIBE on the project)."""
        from featurevault._monitoring.rules_export import alert_rules_yaml

        with self.guarded(AuthzedAction.DESCRIBE, operation="monitor.export_rules"):
            return alert_rules_yaml(self.project, self._registry.contents())

    def _audit_notification(self, outcome: Any) -> None:
        from featurevault._governance.audit import make_record

        if not self.guard.audit.enabled:
            return
        self.guard.audit.record(
            make_record(
                principal=self.principal.name,
                roles=self.principal.roles,
                action="NOTIFY",
                resource=f"alert:{outcome.alert}",
                outcome="ok" if outcome.delivered else "error",
                error=outcome.error,
                details={"receiver": outcome.receiver, "state": outcome.state},
            )
        )

    def _guarded_write(self, actions: list[AuthzedAction], targets: Any, rows: Any = None) -> Any:
        version, contents = self._registry.versioned_contents()
        return self.guard.write(actions, version, contents, targets(contents), rows=_row_count(rows))

    def close(self) -> None:
        if "_feature_log" in self.__dict__:
            self._feature_log.close()
        if "guard" in self.__dict__:
            self.guard.audit.close()
        if "quarantine" in self.__dict__:
            self.quarantine.close()
        for name in ("online_store", "offline_store"):
            if name in self.__dict__:
                self.__dict__[name].close()
        if "_registry" in self.__dict__:
            self._registry.close()

    def __enter__(self) -> FeatureStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FeatureStore(project={self.project!r}, repo_path={str(self.repo_path)!r})"


def _project(name: str) -> Any:
    from featurevault._governance.permissions import project_resource

    return project_resource(name)


def _resource(text: str, contents: RepoContents) -> Any:
    """The policy resource ``kind:name``, with the object's tags when the registry holds it."""
    from featurevault._governance.permissions import Resource

    return Resource.parse(text, contents)


def _row_count(rows: Any) -> int | None:
    try:
        return len(rows) if rows is not None else None
    except TypeError:
        return None


def _tagged(objects: Any, tags: dict[str, str] | None) -> list[Any]:
    if not tags:
        return list(objects)
    return [o for o in objects if all(o.tags.get(k) == v for k, v in tags.items())]


def _get(objects: dict[str, Any], name: str, error: type[Exception], label: str) -> Any:
    try:
        return objects[name]
    except KeyError:
        known = ", ".join(sorted(objects)) or "none"
        raise error(f"no {label} named {name!r} in the registry (known: {known})") from None


__all__ = ["ConfigError", "FeatureStore"]
