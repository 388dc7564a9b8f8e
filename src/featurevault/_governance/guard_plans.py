"""The guard's plan cache: what a read touches, worked out once per registry version.

A registry version fixes the permissions (so the :class:`Enforcer`), the PII
catalog, and what every feature list or feature service resolves to. All of it
is kept in one :class:`VersionState`, replaced whole when the version moves on,
so nothing derived from an old version can be served with a new one. Each
:class:`ReadPlan` also carries the decisions taken for it (per principal and
action, see :mod:`featurevault._governance.guard_authz`), so a repeated read is
a few dict lookups.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from featurevault._governance.permissions import Enforcer, Resource
from featurevault._governance.pii import PiiCatalog, build_catalog
from featurevault._model import FeatureService, RepoContents

#: plans kept per registry version; past it the cache starts again (request shapes are few in practice)
MAX_PLANS = 4096


@dataclass
class ReadPlan:
    """What a read touches, derived once per (registry version, request shape)."""

    service: Resource | None
    resources: list[Resource]
    parts: list[tuple[str, list[str], list[str]]]  # (view, features, output names) for PII
    feature_refs: list[str]
    join_keys: list[str]
    #: the join keys of this read that are PII: hashed in audit samples
    pii_keys: frozenset[str] = frozenset()
    #: (principal, action) -> the decision taken for it (see guard_authz.ReadDecision)
    decisions: dict[Any, Any] = field(default_factory=dict)
    #: (principal, action, decision) of the last read decided: a repeated caller (the same
    #: Principal object) skips hashing the principal
    last_decision: tuple[Any, Any, Any] | None = None

    @functools.cached_property
    def audited_resources(self) -> tuple[str, ...]:
        """The resources an audit record names: the service first, when there is one."""
        names = tuple(str(r) for r in self.resources)
        return (str(self.service), *names) if self.service is not None else names


@dataclass
class VersionState:
    """Everything the guard derives from one registry version."""

    version: Any
    enforcer: Enforcer
    catalog: PiiCatalog
    plans: dict[Any, Any] = field(default_factory=dict)


class PlanCache:
    """The current :class:`VersionState`, and the read plans resolved against it."""

    def __init__(self, resolve_features: Callable[..., Any], enforce: bool) -> None:
        self._resolve_features = resolve_features
        self._enforce = enforce
        self._state: VersionState | None = None

    def state(self, version: Any, contents: RepoContents) -> VersionState:
        current = self._state
        if current is None or current.version != version:
            current = VersionState(
                version, Enforcer(contents.permissions.values(), enforce=self._enforce), build_catalog(contents)
            )
            self._state = current
        return current

    def read_plan(self, state: VersionState, contents: RepoContents, features: Any, full: bool) -> ReadPlan:
        key = (("service", features.name) if isinstance(features, FeatureService) else tuple(features), full)
        plan = state.plans.get(key)
        if plan is None:
            resolved = self._resolve_features(contents, features, full_feature_names=full)
            plan = make_read_plan(resolved, contents, features, state.catalog)
            if len(state.plans) >= MAX_PLANS:
                state.plans.clear()
            state.plans[key] = plan
        return plan

    def sealed_features(self, state: VersionState, contents: RepoContents, view: str) -> list[str]:
        """The stored features of ``view`` that are PII (so encrypted at rest when that is on)."""
        key = ("sealed", view)
        cached = state.plans.get(key)
        if cached is None:
            stored = contents.feature_views.get(view)
            kinds = {f.name for f in stored.features} if stored is not None else set()
            cached = state.plans[key] = [feat for (v, feat) in state.catalog.fields if v == view and feat in kinds]
        return cached


def make_read_plan(resolved: Any, contents: RepoContents, features: Any, catalog: PiiCatalog) -> ReadPlan:
    resources: list[Resource] = []
    parts: list[tuple[str, list[str], list[str]]] = []
    refs: list[str] = []
    for part in resolved.views:
        shown = [(f, o) for f, o in zip(part.features, part.output_names, strict=True) if f not in part.hidden]
        if shown:  # views read only as on-demand inputs are covered by the on-demand view's grant
            resources.append(Resource.of(part.view))
            parts.append((part.view.name, [f for f, _ in shown], [o for _, o in shown]))
            refs += [f"{part.view.name}:{f}" for f, _ in shown]
    for opart in resolved.odfvs:
        resources.append(Resource.of(opart.view))
        parts.append((opart.view.name, list(opart.features), list(opart.output_names)))
        refs += [f"{opart.view.name}:{f}" for f in opart.features]
    service = None
    if resolved.feature_service is not None:
        service = Resource.of(contents.feature_services.get(resolved.feature_service) or features)
    join_keys = list(resolved.join_keys)
    return ReadPlan(service, resources, parts, refs, join_keys, frozenset(catalog.pii_join_keys & set(join_keys)))
