"""The data-quality half of the FeatureStore facade: validate, profile, quarantine, saved datasets.

Every method goes through the guard: a permission check on the views it touches and one
audit record naming the operation.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from featurevault.errors import FeatureViewNotFoundError, NotFoundError
from featurevault._model import AuthzedAction

if TYPE_CHECKING:
    from featurevault._governance.guard import GuardedCall
    from featurevault._ops.context import OpsContext
    from featurevault._ops.online import OnlineReader
    from featurevault._ops.quarantine import ReleaseResult
    from featurevault._quality.gate import QualityGate
    from featurevault._quality.profile import Profile
    from featurevault._quality.quarantine import QuarantineEntry, QuarantineStore
    from featurevault._quality.saved_dataset import SavedDataset
    from featurevault._quality.validate import ValidationReport

A = AuthzedAction


class QualityMethods:
    """Mixed into :class:`~featurevault._store.FeatureStore`; its methods see the store as the
    :class:`~featurevault._ops.context.OpsContext` it is (``self: OpsContext``)."""

    @cached_property
    def quarantine(self: OpsContext) -> QuarantineStore:
        """Where quarantined rows are kept (``quarantine.path``: a directory or s3://; by default Parquet
        under data/quarantine, or the PostgreSQL registry)."""
        from featurevault._quality.quarantine import build_quarantine

        return build_quarantine(self.config.registry, self.project, self.config.resolve, self.config.quarantine)

    def quality_gate(self: OpsContext, call: GuardedCall | None = None) -> QualityGate:
        """The gate writes pass through; ``call`` (a guarded call) gives the run id and audit notes."""
        from featurevault._quality.gate import QualityGate

        guard = self.guard
        return QualityGate(
            self.quarantine,
            run_id=call.request_id if call is not None else uuid.uuid4().hex,
            principal=guard.principal.name,
            notes=call.details if call is not None else {},
            seal=partial(_seal_quarantined, self) if guard.encrypts_at_rest else None,
        )

    def _fill_nulls(
        self: OpsContext, reader: OnlineReader, version: Any, contents: Any, features: Any, full: bool, response: Any
    ) -> None:
        """Null policy ``fill``: stored nulls served as the field's default, marked FILLED (``reader``: the
        store's online reader, which plans the read)."""
        cached = self.__dict__.get("_fill_defaults")
        if cached is None or cached[0] != version:
            from featurevault._quality.null_fill import fill_defaults

            cached = (version, fill_defaults(contents))
            self.__dict__["_fill_defaults"] = cached
        if not cached[1]:
            return
        from featurevault._quality.null_fill import apply_fills

        plan = reader.plan(version, contents, features, full)
        requested = [
            (part.view.name, feature, output)
            for part in plan.resolved.views
            for feature, output in zip(part.features, part.output_names, strict=True)
        ]
        apply_fills(response, cached[1], requested)

    # -- validate and profile -----------------------------------------------------------------

    def validate(
        self: OpsContext,
        feature_views: list[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> ValidationReport:
        """Run every view's rules over its offline rows in [start, end]; report failures and backfill coverage."""
        from featurevault._ops.offline_specs import view_spec
        from featurevault._quality.validate import ValidationReport, validate_view

        views = _views(self, feature_views)
        with _guarded(self, [A.READ_OFFLINE], [v.name for v in views], "validate") as call:
            report = ValidationReport(
                [validate_view(self.offline_store, v, start, end, spec=view_spec(v)) for v in views]
            )
            call.details["blocked"] = report.blocked
            self.registry.registry.set_state(
                self.project, "validation", "last", {"at": datetime.now(UTC).isoformat(), **report.to_dict()}
            )
            return report

    def profile(
        self: OpsContext, feature_view: str, start: datetime | None = None, end: datetime | None = None
    ) -> Profile:
        """Profile a view's features over [start, end] and store the profile with its range."""
        from featurevault._ops.offline_specs import view_spec
        from featurevault._quality.profile import profile_view, save_profile

        (view,) = _views(self, [feature_view])
        with _guarded(self, [A.READ_OFFLINE], [view.name], "profile"):
            result = profile_view(self.offline_store, view, start, end, spec=view_spec(view))
            save_profile(self.registry.registry, self.project, result)
            return result

    def get_profile(self: OpsContext, feature_view: str, profile_id: str | None = None) -> Profile | None:
        """The last stored profile of a view, or the one with ``profile_id`` (None when there is none)."""
        from featurevault._quality.profile import load_profile

        (view,) = _views(self, [feature_view])
        with _guarded(self, [A.DESCRIBE], [view.name], "get_profile") as call:
            if profile_id is not None:
                call.details["profile"] = profile_id
            return load_profile(self.registry.registry, self.project, view.name, profile_id)

    def list_profiles(
        self: OpsContext, feature_view: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[Profile]:
        """Every stored profile of a view, oldest first; with ``start``/``end``, those whose range lies within."""
        from featurevault._quality.profile import profile_history

        (view,) = _views(self, [feature_view])
        with _guarded(self, [A.DESCRIBE], [view.name], "list_profiles") as call:
            profiles = profile_history(self.registry.registry, self.project, view.name, start, end)
            call.details["profiles"] = len(profiles)
            return profiles

    def last_validation(self: OpsContext) -> dict[str, Any] | None:
        """The last ``validate`` run's report as recorded in the registry (readiness reads it)."""
        with _guarded(self, [A.DESCRIBE], [], "last_validation"):
            return self.registry.registry.get_state(self.project, "validation").get("last")

    # -- quarantine ---------------------------------------------------------------------------

    def list_quarantined(
        self: OpsContext, feature_view: str | None = None, limit: int | None = None
    ) -> list[QuarantineEntry]:
        """Quarantined rows, oldest first (all views, or one)."""
        names = [feature_view] if feature_view else [v.name for v in _views(self, None)]
        with _guarded(self, [A.READ_OFFLINE], names, "quarantine_list") as call:
            entries = _reveal(self, self.quarantine.list(feature_view, limit), call)
            call.details["entries"] = len(entries)
            return entries

    def get_quarantined(self: OpsContext, entry_id: str) -> QuarantineEntry:
        entry = _quarantined_entry(self, entry_id)
        with _guarded(self, [A.READ_OFFLINE], [entry.view], "quarantine_show") as call:
            call.details["id"] = entry_id
            return _reveal(self, [entry], call)[0]

    def release_quarantined(self: OpsContext, ids: list[str]) -> ReleaseResult:
        """Re-validate quarantined rows against the current rules and write those that pass."""
        from featurevault._ops.quarantine import release

        entries = [_quarantined_entry(self, i) for i in ids]
        views = sorted({e.view for e in entries})
        actions = [A.WRITE_ONLINE] + ([A.WRITE_OFFLINE] if any("offline" in e.target for e in entries) else [])
        with _guarded(self, actions, views, "quarantine_release") as call:
            result = release(self, entries, self.quality_gate(call))
            call.details["released"] = len(result.released)
            call.details["still_failing"] = len(result.still_failing)
            return result

    def purge_quarantined(self: OpsContext, older_than: timedelta, feature_view: str | None = None) -> int:
        """Delete quarantined rows older than ``older_than``; returns how many."""
        cutoff = datetime.now(UTC) - older_than
        entries = [e for e in self.quarantine.list(feature_view) if e.at < cutoff]
        views = sorted({e.view for e in entries}) or ([feature_view] if feature_view else [])
        with _guarded(self, [A.DELETE], views, "quarantine_purge") as call:
            removed = self.quarantine.remove([e.id for e in entries])
            call.details["purged"] = removed
            return removed

    # -- saved datasets -----------------------------------------------------------------------

    def create_saved_dataset(
        self: OpsContext,
        from_: Any,
        name: str,
        storage: Any,
        tags: dict[str, str] | None = None,
        allow_overwrite: bool = False,
        feature_service: Any = None,
    ) -> SavedDataset:
        """Keep a retrieval job's result under ``name`` (Feast's call); ``storage`` says where."""
        from featurevault._quality.saved_dataset import save_dataset

        with _guarded(self, [A.WRITE_OFFLINE], [], "create_saved_dataset") as call:
            call.details["dataset"] = name
            return save_dataset(
                self.registry.registry,
                self.project,
                self.config.resolve,
                from_,
                name,
                storage,
                tags or {},
                allow_overwrite,
            )

    def get_saved_dataset(self: OpsContext, name: str) -> SavedDataset:
        from featurevault._quality.saved_dataset import load_dataset

        with _guarded(self, [A.READ_OFFLINE], [], "get_saved_dataset") as call:
            call.details["dataset"] = name
            return load_dataset(self.registry.registry, self.project, self.config.resolve, name)


def _seal_quarantined(store: OpsContext, view_name: str, table: Any) -> Any:
    """PII columns sealed as in the online store: each value bound to its row's entity key."""
    from featurevault._ops import codec

    view = store.registry.contents().feature_views[view_name]
    return store.guard.seal_at_rest(view_name, table, codec.pack_keys(table, view.join_keys))


@contextmanager
def _guarded(store: OpsContext, actions: list[AuthzedAction], views: list[str], operation: str) -> Iterator[Any]:
    from featurevault._governance.permissions import Resource

    from featurevault._governance.permissions import project_resource

    version, contents = store.registry.versioned_contents()
    resources = [_view_resource(contents, name, Resource) for name in views] or [project_resource(store.project)]
    with store.guard.write(actions, version, contents, resources, details={"operation": operation}) as call:
        yield call


def _views(store: OpsContext, names: list[str] | None) -> list[Any]:
    views = store.registry.contents().feature_views
    if not names:
        return list(views.values())
    missing = [n for n in names if n not in views]
    if missing:
        known = ", ".join(sorted(views)) or "none"
        raise FeatureViewNotFoundError(f"no feature view named {missing[0]!r} (known: {known})")
    return [views[n] for n in names]


def _reveal(store: OpsContext, entries: list[QuarantineEntry], call: Any) -> list[QuarantineEntry]:
    """Entries as this principal may see them: sealed PII opened, PII masked without READ_PII."""
    from featurevault._ops.quarantine import open_sealed
    from featurevault._quality.quarantine.reveal import reveal

    if not entries:
        return entries
    guard = store.guard
    version, contents = store.registry.versioned_contents()
    views = contents.feature_views

    def opener(view: str, columns: dict[str, list[Any]]) -> dict[str, list[Any]]:
        return open_sealed(store, views[view], columns) if view in views else columns

    def mask(values: list[Any], strategy: str) -> list[Any]:  # the masker (and its key) only when needed
        return guard.masker.mask_list(values, strategy)

    result = reveal(
        entries, _pii_strategies(store, version, contents), mask, opener if guard.encrypts_at_rest else None
    )
    if result.masked:
        call.details["masked"] = result.masked
    return result.entries


def _pii_strategies(store: OpsContext, version: Any, contents: Any) -> Any:
    """view -> {column: masking} for this principal, as online reads mask ({} when it may read PII)."""
    from featurevault._governance.permissions import Resource

    guard = store.guard
    state = guard.state(version, contents)

    def strategies(name: str) -> dict[str, str] | None:
        view = contents.feature_views.get(name)
        resource = Resource.of(view) if view is not None else Resource("feature_view", name)
        if not guard.enforce or state.enforcer.allowed(guard.principal, A.READ_PII, resource):
            return {}
        if view is None:
            return None
        masked = {feat: item.masking for (owner, feat), item in state.catalog.fields.items() if owner == name}
        masked.update({key: "hash" for key in view.join_keys if key in state.catalog.pii_join_keys})
        return masked

    return strategies


def _quarantined_entry(store: OpsContext, entry_id: str) -> QuarantineEntry:
    entry = store.quarantine.get(entry_id)
    if entry is None:
        raise NotFoundError(f"no quarantined row with id {entry_id!r} ({store.quarantine.describe()})")
    return entry


def _view_resource(contents: Any, name: str, resource: Any) -> Any:
    view = contents.feature_views.get(name)
    return resource.of(view) if view is not None else resource("feature_view", name)
