"""Which resources a write touches, computed from the registry contents at call time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from featurevault._governance.permissions import Resource
from featurevault._model import RepoContents
from featurevault._model.permission import AuthzedAction

Targets = Callable[[RepoContents], list[Resource]]


def _view(contents: RepoContents, name: str) -> Resource:
    view = contents.feature_views.get(name)
    return Resource.of(view) if view is not None else Resource("feature_view", name)


def view_target(name: str) -> Targets:
    return lambda contents: [_view(contents, name)]


def materialize_targets(names: list[str] | None) -> Targets:
    """The named views, or every online view when none are named."""

    def targets(contents: RepoContents) -> list[Resource]:
        if names:
            return [_view(contents, n) for n in names]
        return [Resource.of(v) for v in contents.feature_views.values() if v.online]

    return targets


def push_targets(source_name: str) -> Targets:
    """The push source and every view it feeds."""

    def targets(contents: RepoContents) -> list[Resource]:
        source = contents.data_sources.get(source_name)
        found = [Resource.of(source)] if source is not None else [Resource("data_source", source_name)]
        for view in contents.feature_views.values():
            stream = view.stream_source
            if stream is not None and stream.name == source_name:
                found.append(Resource.of(view))
        return found

    return targets


def push_actions(to: Any) -> list[AuthzedAction]:
    """WRITE_ONLINE and/or WRITE_OFFLINE for a PushMode (or its name)."""
    name = getattr(to, "name", str(to)).upper()
    if name == "ONLINE_AND_OFFLINE":
        return [AuthzedAction.WRITE_ONLINE, AuthzedAction.WRITE_OFFLINE]
    if name == "OFFLINE":
        return [AuthzedAction.WRITE_OFFLINE]
    return [AuthzedAction.WRITE_ONLINE]
