"""The lint rules: the seed's naming conventions and design practices, one small function each.

A rule looks at one :class:`Subject` (an entity, a view, a feature of a view, a
service) and yields a message for each problem. Rules read definition objects
only: no registry, no data. Naming and design rules default to warnings; rules
whose violation makes a definition unusable are always errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from featurevault._quality.lint.subjects import (
    IGNORE_TAG,
    SNAKE_CASE,
    VERSION_TOKEN,
    LintContext,
    Subject,
    split_entity_prefix,
)

if TYPE_CHECKING:
    from featurevault._model import FeatureView, OnDemandFeatureView

MAX_FEATURE_NAME = 60
PLACEHOLDER = re.compile(r"^([a-z]|[a-z]{1,2}\d+)$")
VIEW_KINDS = ("feature_view", "on_demand_feature_view")
CheckFn = Callable[[Subject, LintContext], Iterator[str]]


@dataclass(frozen=True)
class Rule:
    """A rule's identity, what it asks for, how to fix a violation, and its check."""

    id: str
    name: str
    kinds: tuple[str, ...]
    summary: str
    fix: str
    check: CheckFn
    default_severity: str = "warning"
    always_error: bool = False


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str, name: str, kinds: tuple[str, ...], summary: str, fix: str, *, always_error: bool = False
) -> Callable[[CheckFn], CheckFn]:
    """Register a check function as a rule."""

    def register(check: CheckFn) -> CheckFn:
        severity = "error" if always_error else "warning"
        RULES[rule_id] = Rule(rule_id, name, kinds, summary, fix, check, severity, always_error)
        return check

    return register


# -- features: {entity}_{domain}_{aggregation}_{window} ---------------------------------------------


@rule(
    "FV101",
    "feature-snake-case",
    ("feature",),
    "Feature names are snake_case.",
    "use lowercase words joined by '_': userPurchases -> user_purchase_count",
)
def feature_snake_case(s: Subject, ctx: LintContext) -> Iterator[str]:
    if "-" not in s.name and not SNAKE_CASE.match(s.name):
        yield f"feature {s.label} is not snake_case (lowercase words joined by '_')"


@rule(
    "FV102",
    "feature-no-hyphens",
    ("feature",),
    "Feature names use '_', never '-'.",
    "replace each '-' with '_': user-total-amount -> user_total_amount",
)
def feature_no_hyphens(s: Subject, ctx: LintContext) -> Iterator[str]:
    if "-" in s.name:
        yield f"feature {s.label} contains '-'; use '_' between words"


@rule(
    "FV103",
    "feature-max-length",
    ("feature",),
    f"Feature names are at most {MAX_FEATURE_NAME} characters.",
    "shorten the domain part; put detail in the field description",
)
def feature_max_length(s: Subject, ctx: LintContext) -> Iterator[str]:
    if len(s.name) > MAX_FEATURE_NAME:
        yield f"feature {s.label} is {len(s.name)} characters long (at most {MAX_FEATURE_NAME})"


@rule(
    "FV104",
    "feature-entity-prefix",
    ("feature",),
    "Feature names start with one of their view's entities.",
    "prefix the name with its entity: total_amount -> user_total_amount",
)
def feature_entity_prefix(s: Subject, ctx: LintContext) -> Iterator[str]:
    if s.entity_names and split_entity_prefix(s.name, s.entity_names)[0] is None:
        yield f"feature {s.label} does not start with its entity ({' or '.join(s.entity_names)})"


@rule(
    "FV105",
    "feature-no-version",
    ("feature",),
    "Feature names carry no version (_v2).",
    "drop the version; version the feature service (model_v2) or record it in a tag",
)
def feature_no_version(s: Subject, ctx: LintContext) -> Iterator[str]:
    tokens = s.name.lower().replace("-", "_").split("_")
    if any(VERSION_TOKEN.match(t) for t in tokens[1:]):
        yield f"feature {s.label} has a version in its name; versions belong in metadata"


@rule(
    "FV106",
    "feature-meaningful-name",
    ("feature",),
    "Feature names say what they measure (not f1, col2).",
    "name the domain and measure: f1 -> user_transaction_count_30d",
)
def feature_meaningful_name(s: Subject, ctx: LintContext) -> Iterator[str]:
    _, tokens = split_entity_prefix(s.name.lower().replace("-", "_"), s.entity_names)
    if tokens and ctx.vocabulary.is_window(tokens[-1]):
        tokens = tokens[:-1]
    words = [t for t in tokens if t and not VERSION_TOKEN.match(t)]
    if not words or all(_meaningless(w, ctx) for w in words):
        yield f"feature {s.label} does not say what it measures"


def _meaningless(word: str, ctx: LintContext) -> bool:
    """A placeholder word, maybe numbered (value, col3), or a letter or two with a number (f1, x, ab2).

    Short real words (ip, os, tz) are fine.
    """
    stem = word.rstrip("0123456789")
    return stem in ctx.vocab.meaningless_words or bool(PLACEHOLDER.match(word))


@rule(
    "FV107",
    "feature-name-pattern",
    ("feature",),
    "Where an aggregation or window appears, the name is {entity}_{domain}_{aggregation}_{window}.",
    "order the parts: user_7d_sum_amount -> user_amount_sum_7d",
)
def feature_name_pattern(s: Subject, ctx: LintContext) -> Iterator[str]:
    if not SNAKE_CASE.match(s.name):
        return  # FV101/FV102 already explain this name
    entity, tokens = split_entity_prefix(s.name, s.entity_names)
    if entity is None and s.entity_names:
        return  # FV104 explains this name
    if entity is None:
        tokens = tokens[1:]
    problem = _pattern_problem(tokens, ctx)
    if problem:
        yield f"feature {s.label}: {problem} ({{entity}}_{{domain}}_{{aggregation}}_{{window}})"


def _pattern_problem(tokens: list[str], ctx: LintContext) -> str:
    vocab = ctx.vocabulary
    # A numbered window (30d) is a window anywhere; a word window (lifetime) only last, else it is a domain word.
    windows = [i for i, t in enumerate(tokens) if vocab.is_window(t) and (i == len(tokens) - 1 or _numbered(t))]
    if not windows and not any(vocab.is_aggregation(t) for t in tokens):
        return ""
    if any(i != len(tokens) - 1 for i in windows):
        return "window is not at the end"
    tail = tokens[:-1] if windows else tokens
    if windows and not (tail and vocab.is_aggregation(tail[-1])):
        return f"window '{tokens[-1]}' is not preceded by an aggregation"
    if not tail or not vocab.is_aggregation(tail[-1]):
        return "aggregation is not at the end (or just before the window)"
    if len(tail) < 2:
        return f"no domain before aggregation '{tail[-1]}'"
    return ""


def _numbered(token: str) -> bool:
    return any(c.isdigit() for c in token)


# -- entities ------------------------------------------------------------------------------------------


@rule(
    "FV201",
    "entity-specific-name",
    ("entity",),
    "Entity names say what they are (not entity, id, key).",
    "name the business object: entity -> user, merchant",
)
def entity_specific_name(s: Subject, ctx: LintContext) -> Iterator[str]:
    if s.name.lower() in ctx.vocab.generic_entity_names:
        yield f"entity {s.name} has a generic name"


@rule(
    "FV202",
    "entity-descriptive-join-keys",
    ("entity",),
    "Join keys say what they identify (not id).",
    "name the key after its entity: id -> user_id",
)
def entity_descriptive_join_keys(s: Subject, ctx: LintContext) -> Iterator[str]:
    for key in s.obj.join_keys:
        if key.lower() in ctx.vocab.generic_join_keys:
            yield f"entity {s.name}: join key '{key}' does not say what it identifies"


@rule(
    "FV203",
    "entity-description",
    ("entity",),
    "Entities have a description.",
    "add description='Registered user identified by UUID'",
)
def entity_description(s: Subject, ctx: LintContext) -> Iterator[str]:
    if not s.obj.description.strip():
        yield f"entity {s.name} has no description"


@rule(
    "FV204",
    "entity-snake-case",
    ("entity",),
    "Entity names and join keys are snake_case.",
    "use lowercase words joined by '_': userMerchant -> user_merchant",
)
def entity_snake_case(s: Subject, ctx: LintContext) -> Iterator[str]:
    for name in (s.name, *s.obj.join_keys):
        if not SNAKE_CASE.match(name):
            yield f"entity {s.name}: '{name}' is not snake_case"


# -- feature views ---------------------------------------------------------------------------------------


@rule(
    "FV301",
    "view-name-pattern",
    ("feature_view",),
    "Feature view names are {entity}_{source}_{frequency}.",
    "rename: driver_hourly_stats -> driver_trips_hourly",
)
def view_name_pattern(s: Subject, ctx: LintContext) -> Iterator[str]:
    if not SNAKE_CASE.match(s.name):
        yield f"feature view {s.name} is not snake_case"
        return
    entity, tokens = split_entity_prefix(s.name, s.entity_names)
    if s.entity_names and entity is None:
        yield f"feature view {s.name} does not start with its entity ({' or '.join(s.entity_names)})"
    elif not tokens or not ctx.vocabulary.is_frequency(tokens[-1]):
        yield f"feature view {s.name} does not end with a frequency ({', '.join(ctx.vocab.frequencies)})"
    elif len(tokens) < 2:
        yield f"feature view {s.name} names no source between entity and frequency"


@rule(
    "FV302",
    "view-ttl",
    ("feature_view",),
    "Feature views set a TTL.",
    "add ttl=timedelta(days=...) matching how long a value stays valid",
)
def view_ttl(s: Subject, ctx: LintContext) -> Iterator[str]:
    if not s.obj.ttl:
        yield f"feature view {s.name} has no TTL: its values never expire"


@rule(
    "FV307",
    "view-validation-rules",
    ("feature_view",),
    "Feature views declare validation rules.",
    "add rules=[not_null(...), between(...)] from featurevault._quality (see docs/quality.md)",
)
def view_validation_rules(s: Subject, ctx: LintContext) -> Iterator[str]:
    rules = getattr(s.obj, "rules", [])
    rejecting = any(getattr(f, "null_policy", None) is not None for f in getattr(s.obj, "schema", []))
    if not rules and not rejecting:
        yield f"feature view {s.name} declares no validation rules: bad rows are written without a check"


@rule(
    "FV303",
    "view-description",
    VIEW_KINDS,
    "Feature views have a description.",
    "add description='What these features describe and where they come from'",
)
def view_description(s: Subject, ctx: LintContext) -> Iterator[str]:
    if not s.obj.description.strip():
        yield f"{_kind_label(s)} {s.name} has no description"


@rule("FV304", "view-owner", VIEW_KINDS, "Feature views name an owner.", "add owner='team-or-person@example.com'")
def view_owner(s: Subject, ctx: LintContext) -> Iterator[str]:
    if not s.obj.owner.strip():
        yield f"{_kind_label(s)} {s.name} has no owner"


@rule(
    "FV305",
    "view-tag-keys",
    VIEW_KINDS,
    "Feature view tags come from the standard vocabulary.",
    "use team, domain, env, pii, freshness (or add the key to lint.vocabularies.tags)",
)
def view_tag_keys(s: Subject, ctx: LintContext) -> Iterator[str]:
    for key in s.obj.tags:
        # Namespaced keys (lint.ignore, pii.mask, ...) belong to a feature that reads them.
        if "." not in key and key not in ctx.vocab.tags:
            yield f"{_kind_label(s)} {s.name}: tag '{key}' is not in the standard vocabulary"


@rule(
    "FV306",
    "view-tag-values",
    VIEW_KINDS,
    "Standard tags take one of their allowed values.",
    "use an allowed value (or extend lint.vocabularies.tags)",
)
def view_tag_values(s: Subject, ctx: LintContext) -> Iterator[str]:
    for key, value in s.obj.tags.items():
        allowed = ctx.vocab.tags.get(key)
        if allowed and value not in allowed:
            yield f"{_kind_label(s)} {s.name}: tag {key}={value!r} is not one of {', '.join(allowed)}"


def _kind_label(s: Subject) -> str:
    return "on-demand feature view" if s.kind == "on_demand_feature_view" else "feature view"


# -- feature services ---------------------------------------------------------------------------------------


@rule(
    "FV401",
    "service-name-version",
    ("feature_service",),
    "Feature services are named {model_name}_v{N}.",
    "rename after the model and its version: fraud_features -> fraud_detection_v1",
)
def service_name_version(s: Subject, ctx: LintContext) -> Iterator[str]:
    tokens = s.name.split("_")
    if not SNAKE_CASE.match(s.name) or len(tokens) < 2 or not VERSION_TOKEN.match(tokens[-1]):
        yield f"feature service {s.name} is not named {{model_name}}_v{{N}}"


@rule(
    "FV402",
    "service-views-exist",
    ("feature_service",),
    "Every view a feature service reads is defined.",
    "define the view in the repo or remove it from the service",
    always_error=True,
)
def service_views_exist(s: Subject, ctx: LintContext) -> Iterator[str]:
    for projection in s.obj.feature_view_projections:
        if _projected_view(projection.name, ctx) is None:
            yield f"feature service {s.name} reads view '{projection.name}', which is not defined"


@rule(
    "FV403",
    "service-features-exist",
    ("feature_service",),
    "Every feature a feature service reads exists.",
    "add the feature to its view's schema or remove it from the service",
    always_error=True,
)
def service_features_exist(s: Subject, ctx: LintContext) -> Iterator[str]:
    for projection in s.obj.feature_view_projections:
        view = _projected_view(projection.name, ctx)
        # A view without a declared schema gets one inferred at apply: nothing to compare yet.
        known = set(view.feature_names) if view is not None else set()
        for feature in projection.features if known else []:
            if feature not in known:
                yield f"feature service {s.name} reads '{projection.name}:{feature}', which does not exist"


def _projected_view(name: str, ctx: LintContext) -> FeatureView | OnDemandFeatureView | None:
    return ctx.contents.feature_views.get(name) or ctx.contents.on_demand_feature_views.get(name)


# -- on-demand views -------------------------------------------------------------------------------------------


@rule(
    "FV501",
    "odfv-sources-exist",
    ("on_demand_feature_view",),
    "Every view an on-demand view reads is defined.",
    "define the source view in the repo (and apply it)",
    always_error=True,
)
def odfv_sources_exist(s: Subject, ctx: LintContext) -> Iterator[str]:
    for name, projection in s.obj.source_feature_view_projections.items():
        view = ctx.contents.feature_views.get(name)
        if view is None:
            yield f"on-demand feature view {s.name} reads view '{name}', which is not defined"
            continue
        for feature in projection.features if view.feature_names else []:
            if feature not in view.feature_names:
                yield f"on-demand feature view {s.name} reads '{name}:{feature}', which does not exist"


# -- alerts ----------------------------------------------------------------------------------------------------


@rule(
    "FV601",
    "alert-runbook",
    ("alert",),
    "Every alert links a runbook that exists in the repo.",
    "write runbooks/NAME.md (featurevault init ships examples) and set Alert(runbook='runbooks/NAME.md')",
    always_error=True,
)
def alert_runbook(s: Subject, ctx: LintContext) -> Iterator[str]:
    if not s.obj.runbook:
        yield f"alert {s.name} has no runbook"
    elif ctx.repo_path is not None and not (ctx.repo_path / s.obj.runbook).is_file():
        yield f"alert {s.name}: runbook {s.obj.runbook} does not exist in the repo"


def object_ignores(s: Subject) -> list[str]:
    """Rule codes listed in the subject's ``lint.ignore`` tags (the feature's and its view's)."""
    codes: list[str] = []
    for tags in s.ignore_tags:
        codes.extend(c.strip() for c in tags.get(IGNORE_TAG, "").split(",") if c.strip())
    return codes
