"""``as_of``: a historical retrieval read from every view's Delta table as it was at a version or time."""

from __future__ import annotations

import copy
from typing import Any

from featurevault.errors import DefinitionError, RequestError
from featurevault._model import PushSource
from featurevault._model.delta_source import DeltaSource, parse_as_of
from featurevault._ops.resolve import ResolvedRequest


def pin(resolved: ResolvedRequest, as_of: Any) -> ResolvedRequest:
    """``resolved`` with each view reading its Delta table at ``as_of``; an error names a view that is not Delta."""
    try:
        when = parse_as_of(as_of, "get_historical_features")
    except DefinitionError as exc:
        raise RequestError(str(exc)) from None
    for part in resolved.views:
        source = part.view.batch_source
        if not isinstance(source, DeltaSource):
            raise RequestError(
                f"as_of: feature view {part.view.name!r} reads {type(source).__name__} {source.name!r}, "
                "which keeps no versions; time travel needs a DeltaSource"
            )
        view = copy.copy(part.view)
        if isinstance(view.source, PushSource):
            push = copy.copy(view.source)
            push.batch_source = source.at(when)
            view.source = push
        else:
            view.source = source.at(when)
        part.view = view
    return resolved
