"""Null policy ``fill``: stored nulls replaced by the field's default when served online.

The plan (output column -> default) is computed once per registry version; a response
whose features have no fill policy costs one dictionary lookup.
"""

from __future__ import annotations

from typing import Any

from featurevault._model import RepoContents


def fill_defaults(contents: RepoContents) -> dict[tuple[str, str], Any]:
    """``{(view, feature): default}`` for every feature whose null policy is ``fill``."""
    return {
        (view.name, f.name): f.null_policy.fill_value
        for view in contents.feature_views.values()
        for f in view.features
        if f.null_policy is not None and f.null_policy.mode == "fill"
    }


def apply_fills(response: Any, defaults: dict[tuple[str, str], Any], requested: list[tuple[str, str, str]]) -> int:
    """Fill the response's columns; ``requested`` lists ``(view, feature, output name)``."""
    filled = 0
    for view, feature, output in requested:
        default = defaults.get((view, feature))
        if default is not None and output in response.feature_names:
            filled += response.fill_nulls(output, default)
    return filled
