"""Plan and apply definitions: diff against the registry, validate, commit a new version."""

from __future__ import annotations

import getpass
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from featurevault.errors import DataSourceError, DefinitionError, FeatureVaultError, describe_error
from featurevault._model import (
    FeatureService,
    FeatureView,
    FileSource,
    OnDemandFeatureView,
    RepoContents,
)
from featurevault._model.alert_condition import METRICS
from featurevault._model.entity import Field
from featurevault._ops.offline_specs import source_spec
from featurevault._ops.schema_check import check_field_types
from featurevault._quality.lint import LintReport, check_apply, run_lint
from featurevault._model.rules import Rule
from featurevault._quality.rules.check import check_view_rules, effective_rules
from featurevault._model.types import from_arrow

if TYPE_CHECKING:
    from featurevault._ops.context import OpsContext

logger = logging.getLogger(__name__)

METRICS_OF_FEATURES = {m for m, arg in METRICS.items() if arg == "feature"}


@dataclass(frozen=True)
class Change:
    """One object added, updated or removed by a plan."""

    kind: str
    name: str
    action: str  # "add" | "update" | "remove"
    fields: tuple[str, ...] = ()
    #: lines under the change (rules added, removed or changed)
    details: tuple[str, ...] = ()

    def __str__(self) -> str:
        detail = f" ({', '.join(self.fields)})" if self.fields else ""
        sign = {"add": "+", "update": "~", "remove": "-"}[self.action]
        lines = [f"{sign} {self.kind.replace('_', ' ')} {self.name}{detail}"]
        return "\n".join([*lines, *(f"    {d}" for d in self.details)])


@dataclass
class Plan:
    """What an apply would change, and the contents it would commit."""

    base_version: int
    desired: RepoContents
    changes: list[Change] = field(default_factory=list)
    lint: LintReport = field(default_factory=LintReport)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def retention(self) -> dict[str, float]:
        """Seconds of offline data each view keeps (views that declare a retention), applied by ``offline vacuum``."""
        views = self.desired.feature_views.values()
        return {v.name: v.retention.total_seconds() for v in sorted(views, key=lambda v: v.name) if v.retention}

    def summary(self) -> str:
        counts = {a: sum(c.action == a for c in self.changes) for a in ("add", "update", "remove")}
        return f"{counts['add']} added, {counts['update']} updated, {counts['remove']} removed"


@dataclass
class ApplyResult:
    version: int
    plan: Plan
    committed: bool


def plan(store: OpsContext, desired: RepoContents) -> Plan:
    """Diff ``desired`` against the newest registry version (nothing is written)."""
    store.registry.refresh(force=True)
    base_version, current = store.registry.versioned_contents()
    desired = prepare(store, desired)
    return Plan(base_version, desired, diff(current, desired), run_lint(desired, store.config))


def prepare(store: OpsContext, desired: RepoContents) -> RepoContents:
    """Infer omitted schemas, then check every reference and source, so that apply cannot store a broken repo."""
    for project in desired.declared_projects:
        if project.name != store.project:
            raise DefinitionError(
                f"the repo declares Project(name={project.name!r}) but feature_store.yaml names project "
                f"{store.project!r}; make them the same"
            )
    for name, view in list(desired.feature_views.items()):
        _check_source(store, view)
        if not view.features:
            view = desired.feature_views[name] = _infer_schema(store, view)
        desired.feature_views[name] = _infer_join_key_types(store, view)
        check_view_rules(desired.feature_views[name])
    _check_references(desired)
    return desired


def diff(current: RepoContents, desired: RepoContents) -> list[Change]:
    old, new = current.to_dict(), desired.to_dict()
    changes: list[Change] = []
    for kind in dict.fromkeys([*old, *new]):
        before, after = old.get(kind, {}), new.get(kind, {})
        for name in sorted(after.keys() - before.keys()):
            changes.append(Change(kind, name, "add", details=rule_changes({}, after[name])))
        for name in sorted(before.keys() & after.keys()):
            changed = _changed_fields(before[name], after[name])
            if changed:
                changes.append(Change(kind, name, "update", changed, rule_changes(before[name], after[name])))
        for name in sorted(before.keys() - after.keys()):
            changes.append(Change(kind, name, "remove"))
    return changes


def rule_changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[str, ...]:
    """``+ rule ...``, ``- rule ...`` and ``~ rule ...`` lines between two serialised views."""
    old = {r["name"]: Rule.from_dict(r) for r in before.get("rules", [])}
    new = {r["name"]: Rule.from_dict(r) for r in after.get("rules", [])}
    lines = [f"+ rule {new[n].describe()}" for n in new if n not in old]
    lines += [f"~ rule {new[n].describe()}" for n in new if n in old and new[n] != old[n]]
    lines += [f"- rule {old[n].describe()}" for n in old if n not in new]
    return tuple(lines)


def _changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[str, ...]:
    # A pickled function differs between processes even when its source is the same.
    ignored = {"udf_pickle"}
    keys = dict.fromkeys([*before, *after])
    return tuple(k for k in keys if k not in ignored and before.get(k) != after.get(k))


def apply_objects(
    store: OpsContext,
    objects: list[Any],
    to_delete: list[Any],
    *,
    partial: bool = True,
    meta: dict[str, Any] | None = None,
    skip_lint: bool = False,
) -> ApplyResult:
    """Apply Python objects: added/updated; with ``partial=False`` the rest is removed."""
    store.registry.refresh(force=True)
    desired = (
        RepoContents.from_dict(store.registry.contents().to_dict(), _extra_loaders()) if partial else RepoContents()
    )
    from featurevault._ops.repo import Sites, collect

    sites: Sites = {}
    for obj in objects:
        collect(desired, sites, obj)
    for obj in to_delete:
        desired.by_kind(getattr(obj, "kind", "")).pop(obj.name, None)
    return apply_contents(store, desired, meta=meta, skip_lint=skip_lint)


def apply_contents(
    store: OpsContext,
    desired: RepoContents,
    *,
    meta: dict[str, Any] | None = None,
    skip_lint: bool = False,
    operation: str = "apply",
    grant: Any = None,
) -> ApplyResult:
    """Commit ``desired`` as the project's new version, then sync the online store's tables.

    Lint errors block the commit (LintError) unless ``skip_lint``; an override is
    recorded in the version's meta (``skip_lint``, ``lint_errors``). ``operation``
    (apply, rollback, promote) is named by the audit record; ``grant`` is the
    (action, resource) that authorizes the whole change instead of each object.
    """
    the_plan = plan(store, desired)
    if not the_plan.has_changes:
        _authorize_unchanged(store, operation, grant)
        return ApplyResult(the_plan.base_version, the_plan, committed=False)
    lint_meta = check_apply(the_plan.lint, skip_lint=skip_lint)
    current = store.registry.contents()
    guard = store.guard
    details = {"operation": operation, "environment": store.config.environment, **(meta or {})}
    call = guard.authorize_plan(
        the_plan.base_version, current, the_plan.desired, the_plan.changes, details=details, grant=grant
    )
    try:
        version = store.registry.registry.commit(
            store.project,
            the_plan.desired.to_dict(),
            expected_version=the_plan.base_version,
            author=_author(guard.principal),
            message=the_plan.summary(),
            meta={
                "changes": [str(c) for c in the_plan.changes],
                "principal": guard.principal.name,
                "os_user": _os_user(),
                "environment": store.config.environment,
                **lint_meta,
                **(meta or {}),
            },
        )
    except Exception as exc:
        guard.finish_plan(call, "error", describe_error(exc))
        raise
    guard.finish_plan(call, "ok")
    store.registry.refresh(force=True)
    _sync_online_tables(store, current, the_plan.desired)
    logger.info("applied version %s of %s: %s", version, store.project, the_plan.summary())
    return ApplyResult(version, the_plan, committed=True)


def _authorize_unchanged(store: OpsContext, operation: str = "apply", grant: Any = None) -> None:
    """An apply that changes nothing still compared the repo with the registry: DESCRIBE on the project.

    (A promotion checks its own grant instead.)
    """
    from featurevault._governance.permissions import project_resource
    from featurevault._model.permission import AuthzedAction

    version, contents = store.registry.versioned_contents()
    action, resource = grant if grant is not None else (AuthzedAction.DESCRIBE, project_resource(store.project))
    details = {"operation": operation, "changes": []}
    with store.guard.definitions(action, version, contents, [resource], details=details):
        pass


def teardown(store: OpsContext) -> None:
    """Drop the project's online tables and its registry entries."""
    contents = store.registry.contents()
    for view in contents.feature_views.values():
        store.online_store.drop(view.name)
    store.registry.registry.delete_project(store.project)
    store.registry.refresh(force=True)


def _sync_online_tables(store: OpsContext, before: RepoContents, after: RepoContents) -> None:
    """Drop tables of removed views, and of views whose entity keys changed (their records no longer match)."""
    for name, old in before.feature_views.items():
        new = after.feature_views.get(name)
        if new is None or sorted(new.join_keys) != sorted(old.join_keys):
            store.online_store.drop(name)


def _check_source(store: OpsContext, view: FeatureView) -> None:
    source = view.batch_source
    if isinstance(source, FileSource) and "://" not in source.path:  # object storage is checked by listing it
        resolved = store.config.resolve(source.path)
        if not resolved.exists():
            raise DataSourceError(
                f"feature view {view.name!r}: source {source.name!r} path {source.path!r} does not exist "
                f"(resolved to {resolved})"
            )
    if not view.features:
        return
    source_schema = store.offline_store.schema(source_spec(source))
    columns = set(source_schema.names)
    wanted = [f.name for f in view.schema] + view.join_keys + [source.timestamp_field]
    missing = [c for c in dict.fromkeys(wanted) if c and c not in columns]
    if missing:
        raise DefinitionError(
            f"feature view {view.name!r}: source {source.name!r} ({getattr(source, 'path', '')}) has no column "
            f"{', '.join(repr(c) for c in missing)}; it has {', '.join(sorted(columns))}"
        )
    check_field_types(view.name, source.name, view.schema, source_schema)


def _infer_schema(store: OpsContext, view: FeatureView) -> FeatureView:
    source = view.batch_source
    skip = {source.timestamp_field, source.created_timestamp_column, source.date_partition_column, ""}
    arrow_schema = store.offline_store.schema(source_spec(source))
    fields = []
    for column in arrow_schema:
        if column.name in skip:
            continue
        try:
            fields.append(Field(name=column.name, dtype=from_arrow(column.type)))
        except FeatureVaultError as exc:
            raise DefinitionError(f"feature view {view.name!r}: cannot infer the type of {column.name!r}: {exc}")
    return view.with_schema(fields)


def _infer_join_key_types(store: OpsContext, view: FeatureView) -> FeatureView:
    """The view with a schema field for each join key it leaves out, typed from the source (as Feast does).

    Online reads check and convert join-key values to these types.
    """
    declared = {f.name for f in view.schema}
    missing = [k for k in view.join_keys if k not in declared]
    if not missing:
        return view
    arrow_schema = store.offline_store.schema(source_spec(view.batch_source))
    fields = []
    for key in missing:
        if key not in arrow_schema.names:
            continue
        try:
            fields.append(Field(name=key, dtype=from_arrow(arrow_schema.field(key).type)))
        except FeatureVaultError as exc:
            raise DefinitionError(f"feature view {view.name!r}: cannot infer the type of join key {key!r}: {exc}")
    return view.with_schema([*fields, *view.schema]) if fields else view


def _check_references(contents: RepoContents) -> None:
    views: dict[str, Any] = {**contents.feature_views, **contents.on_demand_feature_views}
    for odfv in contents.on_demand_feature_views.values():
        for name, proj in odfv.source_feature_view_projections.items():
            if name not in contents.feature_views:
                raise DefinitionError(
                    f"on-demand feature view {odfv.name!r} reads feature view {name!r}, which is not defined"
                )
            _check_features(f"on-demand feature view {odfv.name!r}", contents.feature_views[name], proj.features)
    for service in contents.feature_services.values():
        _check_service(service, views)
    for alert in contents.alerts.values():
        _check_alert(alert, contents)


def _check_alert(alert: Any, contents: RepoContents) -> None:
    """An alert names a defined view, and a feature of it when its metric takes one."""
    view = contents.feature_views.get(alert.feature_view)
    if view is None:
        raise DefinitionError(f"alert {alert.name!r} watches feature view {alert.feature_view!r}, which is not defined")
    condition = alert.condition
    if condition.metric in METRICS_OF_FEATURES and condition.arg not in view.feature_names:
        raise DefinitionError(
            f"alert {alert.name!r}: {condition.metric}({condition.arg}) names no feature of {view.name!r} "
            f"(it has {', '.join(view.feature_names) or 'none'})"
        )
    if condition.metric == "rule_failures":
        rules = [r.name for r in effective_rules(view)]
        if condition.arg not in rules:
            raise DefinitionError(
                f"alert {alert.name!r}: rule_failures({condition.arg}) names no rule of {view.name!r} "
                f"(it has {', '.join(rules) or 'none'})"
            )
    if condition.relative and not view.expected_interval:
        raise DefinitionError(
            f"alert {alert.name!r}: '{condition}' is relative to the expected interval, which view "
            f"{view.name!r} does not declare (FeatureView(freshness=...) or a 'freshness' tag)"
        )


def _check_service(service: FeatureService, views: dict[str, Any]) -> None:
    for proj in service.feature_view_projections:
        if proj.name not in views:
            raise DefinitionError(f"feature service {service.name!r} reads view {proj.name!r}, which is not defined")
        _check_features(f"feature service {service.name!r}", views[proj.name], proj.features)


def _check_features(owner: str, view: FeatureView | OnDemandFeatureView, features: list[str]) -> None:
    missing = [f for f in features if f not in view.feature_names]
    if missing and view.feature_names:
        raise DefinitionError(f"{owner} reads {view.name}:{missing[0]}, which does not exist")


def _extra_loaders() -> dict[str, Any]:
    from featurevault._ops.registry_cache import EXTRA_KINDS

    return EXTRA_KINDS


def _author(principal: Any) -> str:
    """The authenticated principal; the OS user when nobody authenticated (``no_auth``)."""
    return str(principal.name) if principal.authenticated else _os_user()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
