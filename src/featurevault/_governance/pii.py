"""PII: which fields are personal data, how they are masked, and where they flow.

A field is PII when it (or its feature view, or its entity for join keys) is
tagged ``pii: "true"``. Its masking strategy is the tag ``pii.masking``:
``redact`` (null, the default), ``hash`` (keyed HMAC-SHA256, stable so masked
values still join) or ``partial`` (``****`` and the last 4 characters).

Lineage: every output of an on-demand view that reads a PII input is PII, unless
the view declassifies it by name in the tag ``pii.declassify: "a,b"``.

Masking works on whole columns (Arrow arrays): ``hash`` hashes each distinct
value once, the other strategies are Arrow kernels.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from featurevault.errors import DefinitionError
from featurevault._model import FeatureView, OnDemandFeatureView, RepoContents

PII_TAG = "pii"
MASKING_TAG = "pii.masking"
DECLASSIFY_TAG = "pii.declassify"
STRATEGIES = ("redact", "hash", "partial")
#: distinct values whose hash a Masker keeps (per process)
HASH_CACHE_SIZE = 65_536


def _is_true(tags: dict[str, str]) -> bool:
    return str(tags.get(PII_TAG, "")).strip().lower() == "true"


def _strategy(owner: str, *tag_sets: dict[str, str]) -> str:
    for tags in tag_sets:
        value = tags.get(MASKING_TAG)
        if value:
            if value not in STRATEGIES:
                raise DefinitionError(f"{owner}: {MASKING_TAG} {value!r} is not one of {', '.join(STRATEGIES)}")
            return value
    return "redact"


@dataclass(frozen=True)
class PiiField:
    """One PII feature: where it lives, how it is masked, and why it is PII."""

    view: str
    feature: str
    masking: str
    reason: str  # "field tag", "view tag" or "derived from view:feature, ..."
    derived_into: tuple[str, ...] = ()


@dataclass
class PiiCatalog:
    """Every PII feature of a registry version, with lineage and declassifications."""

    fields: dict[tuple[str, str], PiiField] = field(default_factory=dict)
    declassified: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    pii_join_keys: set[str] = field(default_factory=set)

    def masking_of(self, view: str, feature: str) -> str | None:
        """The strategy for ``view:feature``, or None when it is not PII."""
        item = self.fields.get((view, feature))
        return item.masking if item else None

    def view_has_pii(self, view: str) -> bool:
        return any(v == view for v, _ in self.fields)


def build_catalog(contents: RepoContents) -> PiiCatalog:
    """Find PII in stored views, then follow it into on-demand views."""
    catalog = PiiCatalog()
    for entity in contents.entities.values():
        if _is_true(entity.tags):
            catalog.pii_join_keys.update(entity.join_keys)
    for view in contents.feature_views.values():
        _stored_view_pii(view, catalog)
    for odfv in contents.on_demand_feature_views.values():
        _derived_pii(odfv, catalog)
    return catalog


def _stored_view_pii(view: FeatureView, catalog: PiiCatalog) -> None:
    view_pii = _is_true(view.tags)
    for f in view.entity_columns:
        if _is_true(f.tags) or view_pii:
            catalog.pii_join_keys.add(f.name)
    for f in view.features:
        if _is_true(f.tags) or view_pii:
            reason = "field tag" if _is_true(f.tags) else "view tag"
            masking = _strategy(f"feature {view.name}:{f.name}", f.tags, view.tags)
            catalog.fields[(view.name, f.name)] = PiiField(view.name, f.name, masking, reason)


def _derived_pii(odfv: OnDemandFeatureView, catalog: PiiCatalog) -> None:
    inputs = [
        f"{src}:{feat}"
        for src, proj in odfv.source_feature_view_projections.items()
        for feat in proj.features
        if (src, feat) in catalog.fields
    ]
    inputs += [f"request:{f.name}" for f in odfv.request_fields if _is_true(f.tags)]
    declassify = {n.strip() for n in odfv.tags.get(DECLASSIFY_TAG, "").split(",") if n.strip()}
    unknown = declassify - set(odfv.feature_names)
    if unknown:
        raise DefinitionError(
            f"on-demand feature view {odfv.name!r}: {DECLASSIFY_TAG} names {sorted(unknown)}, "
            f"which are not its features ({', '.join(odfv.feature_names)})"
        )
    view_pii = _is_true(odfv.tags)
    for f in odfv.features:
        own = _is_true(f.tags) or view_pii
        if f.name in declassify:
            if inputs:
                catalog.declassified[(odfv.name, f.name)] = tuple(inputs)
            continue
        if not (inputs or own):
            continue
        masking = _strategy(f"feature {odfv.name}:{f.name}", f.tags, odfv.tags)
        reason = ("field tag" if _is_true(f.tags) else "view tag") if own else "derived from " + ", ".join(inputs)
        catalog.fields[(odfv.name, f.name)] = PiiField(odfv.name, f.name, masking, reason)
    for ref in inputs:
        src, _, feat = ref.partition(":")
        item = catalog.fields.get((src, feat))
        if item is not None and f"{odfv.name}" not in item.derived_into:
            catalog.fields[(src, feat)] = PiiField(
                item.view, item.feature, item.masking, item.reason, (*item.derived_into, odfv.name)
            )


# -- masking ----------------------------------------------------------------------------------


class Masker:
    """Masks columns with a strategy; ``hash`` uses a secret key so hashes cannot be guessed."""

    def __init__(self, hash_key: bytes) -> None:
        if len(hash_key) < 16:
            raise ValueError("the PII hash key must be at least 16 bytes")
        self._key = hash_key
        # Online reads mask the same values again and again (keys, categories): each distinct
        # value is hashed once per process, up to HASH_CACHE_SIZE values (least recent dropped).
        self._hash_cached = functools.lru_cache(maxsize=HASH_CACHE_SIZE, typed=True)(self._hash)

    def _hash(self, value: Any) -> str:
        data = value if isinstance(value, bytes) else str(value).encode("utf-8")
        return hmac.digest(self._key, data, hashlib.sha256).hex()

    def hash_value(self, value: Any) -> str:
        try:
            return self._hash_cached(value)
        except TypeError:  # unhashable
            return self._hash(value)

    def _hash_list(self, values: list[Any]) -> list[Any]:
        hash_value = self.hash_value  # each distinct value is hashed once (see __init__)
        return [None if v is None else hash_value(v) for v in values]

    def mask_list(self, values: list[Any], strategy: str) -> list[Any]:
        """A column held as a Python list (online reads), masked."""
        # Values already in Python lists are masked in Python: converting to Arrow and back
        # costs more than the strategies themselves (measured: 4x for partial, 2x for hash).
        if strategy == "redact":
            return [None] * len(values)
        if strategy == "hash":
            return self._hash_list(values)
        if strategy == "partial":
            return [None if v is None else "****" + str(v)[-4:] for v in values]
        raise DefinitionError(f"masking strategy {strategy!r} is not one of {', '.join(STRATEGIES)}")

    def mask_array(self, values: pa.Array | pa.ChunkedArray, strategy: str) -> pa.Array:
        """The masked column (``redact`` keeps the type; ``hash`` and ``partial`` give strings)."""
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if strategy == "redact":
            return pa.nulls(len(values), type=values.type)
        if strategy == "hash":
            return self._hash_array(values)
        if strategy == "partial":
            text = values if pa.types.is_string(values.type) else pc.cast(values, pa.string())
            tail = pc.utf8_slice_codeunits(text, start=-4)
            return pc.binary_join_element_wise(pa.scalar("****"), tail, "")
        raise DefinitionError(f"masking strategy {strategy!r} is not one of {', '.join(STRATEGIES)}")

    def _hash_array(self, values: pa.Array) -> pa.Array:
        # Hash each distinct value once, then spread the hashes back with a take.
        if pa.types.is_nested(values.type):
            values = pa.array([None if v is None else repr(v) for v in values.to_pylist()], pa.string())
        encoded = values.dictionary_encode()
        hashed = pa.array([self.hash_value(v) for v in encoded.dictionary.to_pylist()], pa.string())
        return pc.take(hashed, encoded.indices)

    def mask_table(self, table: pa.Table, strategies: dict[str, str]) -> pa.Table:
        """``table`` with each column named in ``strategies`` masked."""
        for name, strategy in strategies.items():
            idx = table.schema.get_field_index(name)
            if idx >= 0:
                table = table.set_column(idx, name, self.mask_array(table.column(idx), strategy))
        return table

    def mask_frame(self, frame: Any, strategies: dict[str, str]) -> Any:
        """A pandas DataFrame with the named columns masked (a copy)."""
        import pandas as pd

        frame = frame.copy()
        for name, strategy in strategies.items():
            if name in frame.columns:
                masked = self.mask_array(pa.array(frame[name].tolist(), from_pandas=True), strategy)
                frame[name] = pd.Series(masked.to_pylist(), index=frame.index, dtype=object)
        return frame

    def mask_columns(self, columns: dict[str, list[Any]], strategies: dict[str, str]) -> dict[str, list[Any]]:
        """A dict of lists with the named columns masked."""
        result = dict(columns)
        for name, strategy in strategies.items():
            if name in result:
                result[name] = self.mask_list(list(result[name]), strategy)
        return result


def output_strategies(
    catalog: PiiCatalog, parts: Iterable[tuple[str, list[str], list[str]]], clear_views: set[str]
) -> dict[str, str]:
    """Output column -> strategy for the PII features of a read.

    ``parts`` yields (view name, features, output names); views in
    ``clear_views`` are read clear (the principal holds READ_PII on them).
    """
    result: dict[str, str] = {}
    for view, features, outputs in parts:
        if view in clear_views:
            continue
        for feat, out in zip(features, outputs, strict=True):
            masking = catalog.masking_of(view, feat)
            if masking is not None:
                result[out] = masking
    return result
