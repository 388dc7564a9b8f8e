"""What the rules look at: every object of a repo, and every feature of every view, as a ``Subject``.

Also the vocabulary helpers the naming rules share (windows, aggregations, entity prefixes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from featurevault._config import LintVocabularies
from featurevault._model import Alert, Entity, FeatureService, FeatureView, OnDemandFeatureView, RepoContents
from featurevault._model.base import DefinitionSite

IGNORE_TAG = "lint.ignore"
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
VERSION_TOKEN = re.compile(r"^v\d+$")


@dataclass(frozen=True)
class Subject:
    """One thing a rule checks: an object, or one feature of a view (``kind == "feature"``)."""

    kind: str
    name: str
    obj: Any
    site: DefinitionSite | None
    ignore_tags: tuple[dict[str, str], ...] = ()
    view: Any = None
    entity_names: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How a finding names the subject: ``view:feature`` for a feature."""
        return f"{self.view.name}:{self.name}" if self.kind == "feature" else self.name


@dataclass
class Vocabulary:
    """The configured vocabularies, compiled once per lint run."""

    config: LintVocabularies
    window_res: list[re.Pattern[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.window_res = [
            re.compile("^" + re.escape(w).replace(re.escape("{n}"), r"\d+") + "$") for w in self.config.windows
        ]

    def is_window(self, token: str) -> bool:
        return any(r.match(token) for r in self.window_res)

    def is_aggregation(self, token: str) -> bool:
        return token in self.config.aggregations

    def is_frequency(self, token: str) -> bool:
        return token in self.config.frequencies


@dataclass
class LintContext:
    """What a rule may consult besides its subject: the whole repo and the vocabularies."""

    contents: RepoContents
    vocabulary: Vocabulary
    #: the repo's directory when known (rules that look for files in it, such as runbooks)
    repo_path: Path | None = None

    @property
    def vocab(self) -> LintVocabularies:
        return self.vocabulary.config


def split_entity_prefix(name: str, entity_names: tuple[str, ...]) -> tuple[str | None, list[str]]:
    """The longest entity name ``name`` starts with, and the remaining ``_`` tokens."""
    for entity in sorted(entity_names, key=len, reverse=True):
        if name == entity:
            return entity, []
        if name.startswith(entity + "_"):
            return entity, name[len(entity) + 1 :].split("_")
    return None, name.split("_")


def iter_subjects(contents: RepoContents) -> Iterator[Subject]:
    """Entities, feature views and their features, on-demand views and theirs, feature services."""
    for entity in contents.entities.values():
        yield _object_subject("entity", entity)
    for view in contents.feature_views.values():
        yield from _view_subjects("feature_view", view, tuple(view.entity_names))
    for odfv in contents.on_demand_feature_views.values():
        yield from _view_subjects("on_demand_feature_view", odfv, _odfv_entity_names(odfv, contents))
    for service in contents.feature_services.values():
        yield _object_subject("feature_service", service)
    for alert in contents.alerts.values():
        yield _object_subject("alert", alert)


def _object_subject(kind: str, obj: Entity | FeatureService | Alert) -> Subject:
    return Subject(kind, obj.name, obj, obj.site, (obj.tags,))


def _view_subjects(
    kind: str, view: FeatureView | OnDemandFeatureView, entity_names: tuple[str, ...]
) -> Iterator[Subject]:
    yield Subject(kind, view.name, view, view.site, (view.tags,), entity_names=entity_names)
    for feature in view.features:
        # A Field records no site of its own; its view's definition is where to fix it.
        yield Subject("feature", feature.name, feature, view.site, (feature.tags, view.tags), view, entity_names)


def _odfv_entity_names(odfv: OnDemandFeatureView, contents: RepoContents) -> tuple[str, ...]:
    """An on-demand view's own entities, else those of the views it reads."""
    if odfv.entities:
        return tuple(e.name for e in odfv.entities)
    names: list[str] = []
    for source_name in odfv.source_feature_view_projections:
        view = contents.feature_views.get(source_name)
        names.extend(n for n in (view.entity_names if view else []) if n not in names)
    return tuple(names)
