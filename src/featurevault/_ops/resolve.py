"""Turn a request's feature list (refs or a feature service) into per-view work.

Shared by online and historical reads, so both paths select, name and order
features identically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from featurevault.errors import (
    FeatureNotFoundError,
    FeatureServiceNotFoundError,
    FeatureViewNotFoundError,
    RequestError,
)
from featurevault._model import FeatureService, FeatureView, OnDemandFeatureView, Projection, RepoContents
from featurevault._model.entity import Field


@dataclass
class ViewPart:
    """Features read from one stored feature view."""

    view: FeatureView
    name_to_use: str
    features: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)
    #: features fetched only as inputs of on-demand views (dropped from the output)
    hidden: list[str] = field(default_factory=list)

    def add(self, feature: str, output: str, hidden: bool = False) -> None:
        if feature in self.features:
            if not hidden and feature in self.hidden:
                self.hidden.remove(feature)
                self.output_names[self.features.index(feature)] = output
            return
        self.features.append(feature)
        self.output_names.append(output)
        if hidden:
            self.hidden.append(feature)

    def output_of(self, feature: str) -> str:
        return self.output_names[self.features.index(feature)]


@dataclass
class OdfvPart:
    """Features computed by one on-demand view."""

    view: OnDemandFeatureView
    name_to_use: str
    features: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)


@dataclass
class ResolvedRequest:
    """What a read needs: stored views, on-demand views, keys and request columns, output order."""

    views: list[ViewPart]
    odfvs: list[OdfvPart]
    output_names: list[str]
    join_keys: list[str]
    request_fields: list[Field]
    feature_service: str | None = None

    @property
    def resources(self) -> list[tuple[str, str]]:
        """(kind, name) of every object read: for access checks and audit."""
        result = [("feature_view", p.view.name) for p in self.views]
        result += [("on_demand_feature_view", p.view.name) for p in self.odfvs]
        return result


def output_name(view_name: str, feature: str, full_feature_names: bool) -> str:
    return f"{view_name}__{feature}" if full_feature_names else feature


def resolve_features(contents: RepoContents, features: Any, *, full_feature_names: bool = False) -> ResolvedRequest:
    """Resolve ``features`` (a list of ``view:feature`` refs or a FeatureService) against ``contents``."""
    service_name = None
    if isinstance(features, FeatureService):
        service_name = features.name
        projections = _service_projections(contents, features)
    elif isinstance(features, str):
        raise RequestError(f"features must be a list of 'view:feature' references, got the string {features!r}")
    else:
        projections = _refs_to_projections(contents, list(features))
    views: dict[str, ViewPart] = {}
    odfvs: dict[str, OdfvPart] = {}
    outputs: list[str] = []
    odfv_outputs: list[str] = []
    for proj in projections:
        name_to_use = proj.name_to_use
        if proj.name in contents.feature_views:
            part = views.setdefault(name_to_use, ViewPart(contents.feature_views[proj.name], name_to_use))
            for feat in proj.features:
                out = output_name(name_to_use, feat, full_feature_names)
                part.add(feat, out)
                outputs.append(out)
        else:
            odfv = contents.on_demand_feature_views[proj.name]
            opart = odfvs.setdefault(name_to_use, OdfvPart(odfv, name_to_use))
            for feat in proj.features:
                if feat not in opart.features:
                    out = output_name(name_to_use, feat, full_feature_names)
                    opart.features.append(feat)
                    opart.output_names.append(out)
                    odfv_outputs.append(out)
    # Feast's order, online and historical alike: stored views' features first, then on-demand ones.
    outputs += odfv_outputs
    for opart in odfvs.values():
        for src_name, src_proj in opart.view.source_feature_view_projections.items():
            view = _get_view(contents, src_name, opart.view.name)
            part = views.setdefault(src_proj.name_to_use, ViewPart(view, src_proj.name_to_use))
            for feat in src_proj.features:
                part.add(feat, output_name(src_proj.name_to_use, feat, full_feature_names), hidden=True)
    _check_collisions(outputs, full_feature_names)
    join_keys: list[str] = []
    for part in views.values():
        for key in part.view.join_keys:
            if key not in join_keys:
                join_keys.append(key)
    request_fields: dict[str, Field] = {}
    for opart in odfvs.values():
        for f in opart.view.request_fields:
            request_fields.setdefault(f.name, f)
    return ResolvedRequest(
        views=list(views.values()),
        odfvs=list(odfvs.values()),
        output_names=outputs,
        join_keys=join_keys,
        request_fields=list(request_fields.values()),
        feature_service=service_name,
    )


def _refs_to_projections(contents: RepoContents, refs: list[Any]) -> list[Projection]:
    if not refs:
        raise RequestError("no features requested: pass 'view:feature' references or a feature service")
    projections: dict[str, Projection] = {}
    order: list[str] = []
    for ref in refs:
        if not isinstance(ref, str) or ref.count(":") != 1:
            raise RequestError(f"feature reference {ref!r} must have the form 'feature_view:feature'")
        view_name, feat = ref.split(":")
        view = contents.feature_views.get(view_name) or contents.on_demand_feature_views.get(view_name)
        if view is None:
            raise FeatureViewNotFoundError(
                f"feature reference {ref!r}: no feature view or on-demand feature view named {view_name!r}"
            )
        names = view.feature_names if feat == "*" else [feat]
        for name in names:
            if name not in view.feature_names:
                raise FeatureNotFoundError(
                    f"feature reference {ref!r}: view {view_name!r} has no feature {name!r} "
                    f"(it has {', '.join(view.feature_names)})"
                )
        if view_name not in projections:
            projections[view_name] = Projection(view_name, [])
            order.append(view_name)
        for name in names:
            if name not in projections[view_name].features:
                projections[view_name].features.append(name)
    return [projections[n] for n in order]


def _service_projections(contents: RepoContents, service: FeatureService) -> list[Projection]:
    for proj in service.feature_view_projections:
        view = contents.feature_views.get(proj.name) or contents.on_demand_feature_views.get(proj.name)
        if view is None:
            raise FeatureViewNotFoundError(
                f"feature service {service.name!r} reads view {proj.name!r}, which is not in the registry"
            )
        missing = [f for f in proj.features if f not in view.feature_names]
        if missing:
            raise FeatureNotFoundError(
                f"feature service {service.name!r} reads {proj.name}:{missing[0]}, which does not exist"
            )
    # A view listed before its schema was inferred (at apply) stands for all of its features.
    return [
        p if p.features else Projection(p.name, list(_view_of(contents, p.name).feature_names), p.name_alias)
        for p in service.feature_view_projections
    ]


def _view_of(contents: RepoContents, name: str) -> FeatureView | OnDemandFeatureView:
    return contents.feature_views.get(name) or contents.on_demand_feature_views[name]


def _get_view(contents: RepoContents, name: str, needed_by: str) -> FeatureView:
    try:
        return contents.feature_views[name]
    except KeyError:
        raise FeatureViewNotFoundError(
            f"on-demand feature view {needed_by!r} reads feature view {name!r}, which is not in the registry"
        ) from None


def _check_collisions(outputs: list[str], full_feature_names: bool) -> None:
    seen: set[str] = set()
    for name in outputs:
        if name in seen:
            hint = "" if full_feature_names else "; pass full_feature_names=True to prefix names with their view"
            raise RequestError(f"feature name {name!r} is requested twice{hint}")
        seen.add(name)


def get_feature_service(contents: RepoContents, name: str) -> FeatureService:
    try:
        return contents.feature_services[name]
    except KeyError:
        raise FeatureServiceNotFoundError(
            f"no feature service named {name!r}; known: {', '.join(sorted(contents.feature_services)) or 'none'}"
        ) from None
