"""Applying feature flags to a read: which output columns a flag covers, and which rows it turns off.

Resolved once per read plan and flag-set version (:class:`FlagMask`); per call the work is
one decision per distinct flagged target over the entity keys (a C-level CRC per row, and
nothing at all for a flag that is fully on or fully off).

The entity key a flag hashes is the target's own join keys, sorted by name: a feature
view's join keys; for an on-demand view, those of the views it reads; for a feature
service, those of every view it reads. Online and historical reads use the same rule, so
``respect_flags=True`` trains on exactly what serving gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from featurevault._model import RepoContents
from featurevault._model.flags import FeatureFlag, FlagSet, entity_key_text
from featurevault._ops.resolve import ResolvedRequest


@dataclass(frozen=True)
class FlagRule:
    flag: FeatureFlag
    join_keys: tuple[str, ...]
    columns: tuple[int, ...]  # indices into the output columns (join keys excluded)


@dataclass(frozen=True)
class FlagMask:
    """The flags that touch one resolved request, with the output columns each covers."""

    version: int
    rules: tuple[FlagRule, ...]

    def off_rows(self, entity_columns: dict[str, list[Any]], rows: int) -> list[tuple[FlagRule, list[bool]]]:
        """Per rule, a list saying for each row whether the flag is *off* (only rules that turn something off)."""
        result = []
        for rule in self.rules:
            if rule.flag.all_on or rows == 0:
                continue
            if rule.flag.all_off:
                result.append((rule, [True] * rows))
                continue
            keys = entity_key_text([_column(entity_columns, k, rule) for k in rule.join_keys])
            on = rule.flag.decide(keys)
            if not all(on):
                result.append((rule, [not o for o in on]))
        return result


def build_mask(resolved: ResolvedRequest, contents: RepoContents, flags: FlagSet) -> FlagMask:
    """The rules of ``flags`` that cover columns of ``resolved`` (empty when none does)."""
    if not flags:
        return FlagMask(flags.version, ())
    rules: list[FlagRule] = []
    names = resolved.output_names
    position = {name: i for i, name in enumerate(names)}
    if resolved.feature_service:
        flag = flags.get(f"feature_service:{resolved.feature_service}")
        service = contents.feature_services.get(resolved.feature_service)
        if flag is not None and service is not None:
            keys = _service_keys(service, contents)
            rules.append(FlagRule(flag, keys, tuple(range(len(names)))))
    for part in resolved.views:
        flag = flags.get(f"feature_view:{part.view.name}")
        if flag is not None:
            cols = tuple(
                position[o]
                for f, o in zip(part.features, part.output_names, strict=True)
                if f not in part.hidden and o in position
            )
            rules.append(FlagRule(flag, tuple(sorted(part.view.join_keys)), cols))
    for opart in resolved.odfvs:
        flag = flags.get(f"on_demand_feature_view:{opart.view.name}")
        if flag is not None:
            cols = tuple(position[o] for o in opart.output_names if o in position)
            rules.append(FlagRule(flag, _odfv_keys(opart.view, contents), cols))
    return FlagMask(flags.version, tuple(r for r in rules if r.columns))


def flag_join_keys(flag: FeatureFlag, contents: RepoContents) -> tuple[str, ...]:
    """The join keys whose values a flag hashes (see the module docstring)."""
    if flag.kind == "feature_view":
        view = contents.feature_views.get(flag.name)
        return tuple(sorted(view.join_keys)) if view is not None else ()
    if flag.kind == "on_demand_feature_view":
        odfv = contents.on_demand_feature_views.get(flag.name)
        return _odfv_keys(odfv, contents) if odfv is not None else ()
    service = contents.feature_services.get(flag.name)
    return _service_keys(service, contents) if service is not None else ()


def _service_keys(service: Any, contents: RepoContents) -> tuple[str, ...]:
    keys: set[str] = set()
    for proj in service.feature_view_projections:
        view = contents.feature_views.get(proj.name)
        odfv = contents.on_demand_feature_views.get(proj.name)
        keys.update(view.join_keys if view is not None else _odfv_keys(odfv, contents) if odfv is not None else ())
    return tuple(sorted(keys))


def _odfv_keys(odfv: Any, contents: RepoContents) -> tuple[str, ...]:
    keys: set[str] = set()
    for name in odfv.source_feature_view_projections:
        view = contents.feature_views.get(name)
        if view is not None:
            keys.update(view.join_keys)
    return tuple(sorted(keys))


def _column(entity_columns: dict[str, list[Any]], key: str, rule: FlagRule) -> list[Any]:
    try:
        return entity_columns[key]
    except KeyError:
        from featurevault.errors import EntityKeyError

        raise EntityKeyError(
            f"flag {rule.flag.target} is decided by join key {key!r}, which the entity rows lack"
        ) from None
