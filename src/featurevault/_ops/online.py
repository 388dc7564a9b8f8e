"""Online reads: entity rows in, the latest feature values out.

The hot path. A request (feature refs or a feature service) is resolved once
per registry version and cached as a plan, so repeated calls do no registry
work. Per call: check the join-key values against their declared types
(converting where lossless), pack the entity keys, one ``store.read`` per feature view for
all distinct keys, unpack, apply the view's TTL, then compute on-demand
features. Results are plain lists; pandas is used only for pandas-mode
on-demand views and ``to_df``.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from featurevault._backends.online.base import OnlineStore
from featurevault.errors import EntityKeyError, RequestError, SchemaMismatchError, TooManyEntityRowsError
from featurevault._model import FeatureService, RepoContents
from featurevault._model.flags import FlagSet
from featurevault._ops import codec
from featurevault._ops.flag_mask import FlagMask, build_mask
from featurevault._ops.join_keys import conform_key_values, join_key_types
from featurevault._ops.online_odfv import run_odfv
from featurevault._ops.online_response import TIMESTAMP_POSTFIX, FieldStatus, OnlineResponse
from featurevault._ops.resolve import OdfvPart, ResolvedRequest, ViewPart, resolve_features
from featurevault._model.types import FeatureType

_PLAN_CACHE_SIZE = 512
_PRESENT, _NOT_FOUND, _OUTSIDE = FieldStatus.PRESENT, FieldStatus.NOT_FOUND, FieldStatus.OUTSIDE_MAX_AGE
_FLAG_OFF = FieldStatus.FLAG_OFF


@dataclass
class _ViewPlan:
    """How to read one stored view: its table, key order, TTL and per-layout extractors."""

    part: ViewPart
    table: str
    key_names: list[str]
    ttl_us: int
    dtypes: list[FeatureType]
    #: layout id -> function from an unpacked record to the requested values (a tuple)
    extractors: dict[int, Callable[..., Sequence[Any]]] = field(default_factory=dict)
    #: layout id -> indices of requested features that records of that layout do not hold
    absent: dict[int, frozenset[int]] = field(default_factory=dict)
    #: whether the view holds sealed values: its extractors then take the entity key too
    keyed: bool | None = None


@dataclass
class _Plan:
    resolved: ResolvedRequest
    views: list[_ViewPlan]
    join_keys: frozenset[str]
    #: (join key, declared type) for the keys whose entity declares a type
    key_types: list[tuple[str, FeatureType]]
    #: per output column, in output order: (view index, or -1 - odfv index; feature index)
    locations: list[tuple[int, int]]
    output_names: list[str]
    output_dtypes: list[FeatureType | None]
    #: request-data fields of the on-demand views read: inputs, not echoed in the response
    request_names: frozenset[str] = frozenset()
    #: the flags covering this request, for one flag-set version (built on first use)
    flag_mask: FlagMask | None = None
    #: True when the output is one stored view's features in their read order (no on-demand
    #: views, nothing read only as an input): the response takes the view's columns as they are
    direct: bool = False
    #: per tuple of the caller's entity column names, the one-row shape of a direct read (see _RowShape)
    row_shapes: dict[tuple[str, ...], _RowShape | None] = field(default_factory=dict)

    def mask_for(self, contents: RepoContents, flags: FlagSet) -> FlagMask:
        mask = self.flag_mask
        if mask is None or mask.version != flags.version:
            mask = self.flag_mask = build_mask(self.resolved, contents, flags)
        return mask


@dataclass
class _RowShape:
    """A direct plan read with one entity row of given column names: what every such read shares."""

    #: response column names: the caller's entity columns, then the features
    names: list[str]
    #: response dtypes (None for the echoed entity columns); copied per response (masking changes it)
    dtypes: list[FeatureType | None]
    #: [None] per echoed entity column: the statuses and event times of those columns
    none: list[None]
    #: (position in the row, declared type, join key) of each join key whose entity declares a type
    conform: list[tuple[int, FeatureType, str]]
    #: positions in the row of the view's join keys, in key order
    key_positions: list[int]


#: row shapes kept per plan; past it they are worked out again (callers use few column sets)
_ROW_SHAPES = 64
#: types that need no unboxing (numpy scalars are the ones that do)
_PLAIN = frozenset({int, str, float, bool, bytes, type(None)})
_first = operator.itemgetter(0)
_second = operator.itemgetter(1)


class OnlineReader:
    """Reads feature values for entity rows from one online store."""

    def __init__(
        self,
        online_store: OnlineStore,
        clock: Callable[[], float] = time.time,
        decryptor: Callable[[str, str], Callable[[Any, bytes], Any] | None] | None = None,
        max_entity_rows: int | None = None,
    ) -> None:
        self.online_store = online_store
        #: more entity rows in one read are refused (``limits.max_entity_rows``); None: unbounded
        self.max_entity_rows = max_entity_rows
        #: (view, feature) -> ``open(value, entity_key)`` of PII encrypted at rest (see governance.crypto)
        self.decryptor = decryptor
        #: seconds since the epoch; replaceable so tests can freeze "now"
        self.clock = clock
        self._plans: dict[tuple[Any, ...], _Plan] = {}
        self._plans_version: Any = None
        self._layouts: dict[tuple[str, int], codec.Layout] = {}

    # -- planning ------------------------------------------------------------------------------

    def plan(self, version: Any, contents: RepoContents, features: Any, full_feature_names: bool) -> _Plan:
        """The cached plan for a request; resolved against ``contents`` on first use per version."""
        if version != self._plans_version:
            self._plans = {}
            self._plans_version = version
        cache_key = _request_key(features, full_feature_names)
        plan = self._plans.get(cache_key) if cache_key is not None else None
        if plan is None:
            plan = _make_plan(resolve_features(contents, features, full_feature_names=full_feature_names))
            if cache_key is not None:
                if len(self._plans) >= _PLAN_CACHE_SIZE:
                    self._plans.clear()
                self._plans[cache_key] = plan
        return plan

    # -- reading -------------------------------------------------------------------------------

    def read(
        self,
        version: Any,
        contents: RepoContents,
        features: Any,
        entity_rows: Any,
        full_feature_names: bool = False,
        flags: FlagSet | None = None,
    ) -> OnlineResponse:
        """Read ``features`` for ``entity_rows``; features behind a flag that is off for a row are FLAG_OFF."""
        plan = self.plan(version, contents, features, full_feature_names)
        if (
            plan.direct
            and (self.max_entity_rows is None or self.max_entity_rows >= 1)
            and (not flags or not plan.mask_for(contents, flags).rules)
        ):
            row = _single_row(entity_rows)
            if row is not None:
                response = self._read_row(plan, row)
                if response is not None:
                    return response
        entity_columns, order, rows = _entity_columns(entity_rows)
        if self.max_entity_rows is not None and rows > self.max_entity_rows:
            raise TooManyEntityRowsError(rows, self.max_entity_rows, "limits.max_entity_rows")
        for key, dtype in plan.key_types:
            column = entity_columns.get(key)
            if column is not None:
                entity_columns[key] = conform_key_values(column, dtype, key)
        now_us = int(self.clock() * 1_000_000)
        view_results = [self._read_view(vp, entity_columns, rows, now_us) for vp in plan.views]
        odfv_results = [
            _compute_odfv(op, plan, view_results, entity_columns, rows, full_feature_names)
            for op in plan.resolved.odfvs
        ]
        # Feast echoes every entity column the caller passed, except request data of on-demand views.
        keys = [k for k in order if k not in plan.request_names] if plan.request_names else order
        none: list[Any] = [None] * len(keys)
        values = [entity_columns[k] for k in keys]
        if plan.direct:  # one view, its features in order: its columns are the response's
            columns, per_feature, view_stamps = view_results[0]
            values += columns
            states = none + per_feature
            stamps = none + [view_stamps] * len(columns)
        else:
            where = plan.locations
            values += [view_results[s][0][i] if s >= 0 else odfv_results[-1 - s][i] for s, i in where]
            states = none + [view_results[s][1][i] if s >= 0 else None for s, i in where]
            stamps = none + [view_results[s][2] if s >= 0 else None for s, i in where]
        if flags:
            mask = plan.mask_for(contents, flags)
            if mask.rules:
                _switch_off(mask, entity_columns, rows, values, states, len(keys))
        return OnlineResponse.from_lists(keys + plan.output_names, values, none + plan.output_dtypes, states, stamps)

    def _read_row(self, plan: _Plan, row: dict[str, Any]) -> OnlineResponse | None:
        """One entity row of a direct plan (the commonest request), without the general columns.

        Returns None when the row needs the general path (a join key missing: its error is raised there).
        """
        names = tuple(row)
        shape = plan.row_shapes.get(names)
        if shape is None:
            if names in plan.row_shapes:
                return None
            shape = _row_shape(plan, names)
            if len(plan.row_shapes) >= _ROW_SHAPES:
                plan.row_shapes.clear()
            plan.row_shapes[names] = shape
            if shape is None:
                return None
        echo = [v if type(v) in _PLAIN else _unboxed(v) for v in row.values()]
        for i, dtype, key_name in shape.conform:
            echo[i] = conform_key_values([echo[i]], dtype, key_name)[0]
        vp = plan.views[0]
        if shape.key_positions:
            try:
                key = codec.packb([echo[i] for i in shape.key_positions])
            except (TypeError, OverflowError, ValueError) as exc:
                raise SchemaMismatchError(
                    f"feature view {vp.part.view.name!r}: entity key {', '.join(vp.key_names)} has a value "
                    f"that cannot be a join key ({exc})"
                ) from None
        else:
            key = codec.EMPTY_KEY
        (record,) = self.online_store.read(vp.table, [key])
        width = len(vp.dtypes)
        none = shape.none
        values: list[list[Any]] = [[v] for v in echo]
        if record is None:
            values += [[None] for _ in range(width)]
            return OnlineResponse.from_lists(
                shape.names, values, list(shape.dtypes), none + [[_NOT_FOUND]] * width, none + [[None]] * width
            )
        rec = codec.unpackb(record)
        stamps = [rec[1]]
        if vp.ttl_us and rec[1] < int(self.clock() * 1_000_000) - vp.ttl_us:
            values += [[None] for _ in range(width)]
            return OnlineResponse.from_lists(
                shape.names, values, list(shape.dtypes), none + [[_OUTSIDE]] * width, none + [stamps] * width
            )
        keyed = vp.keyed if vp.keyed is not None else self._keyed(vp)
        extract = vp.extractors.get(rec[0]) or self._extractor(vp, rec[0])
        values += [[v] for v in (extract(rec, key) if keyed else extract(rec))]
        present = [_PRESENT]
        absent = vp.absent.get(rec[0]) if vp.absent else None
        if absent:
            states = none + [[_NOT_FOUND] if i in absent else present for i in range(width)]
        else:
            states = none + [present] * width
        return OnlineResponse.from_lists(shape.names, values, list(shape.dtypes), states, none + [stamps] * width)

    def _read_view(
        self, vp: _ViewPlan, entity_columns: dict[str, list[Any]], rows: int, now_us: int
    ) -> tuple[list[list[Any]], list[list[FieldStatus]], list[int | None]]:
        """Per requested feature, the values and statuses for every entity row; plus event times."""
        if rows == 0:
            return [[] for _ in vp.part.features], [[] for _ in vp.part.features], []
        if rows == 1:
            return self._read_one(vp, entity_columns, now_us)
        index: list[int] | None = None
        if vp.key_names:
            try:
                key_columns = [entity_columns[k] for k in vp.key_names]
            except KeyError as exc:
                raise _missing_key(exc.args[0], vp, entity_columns) from None
            pack = codec.packer()
            try:
                packed = [pack(t) for t in zip(*key_columns)]
            except (TypeError, OverflowError, ValueError) as exc:
                raise SchemaMismatchError(
                    f"feature view {vp.part.view.name!r}: entity key {', '.join(vp.key_names)} has a value "
                    f"that cannot be a join key ({exc})"
                ) from None
            distinct: dict[bytes, int] = {}
            index = [distinct.setdefault(k, len(distinct)) for k in packed]
            keys = list(distinct) if len(distinct) < rows else packed
            if len(distinct) == rows:
                index = None
        else:
            keys = [codec.EMPTY_KEY]
            index = [0] * rows
        records = self.online_store.read(vp.table, keys)
        missing = (None,) * len(vp.part.features)
        cutoff = now_us - vp.ttl_us if vp.ttl_us else None
        values: list[Sequence[Any]] = []
        states: list[FieldStatus] = []
        stamps: list[int | None] = []
        unpack = codec.unpackb
        layouts: list[int] = []
        keyed = vp.keyed if vp.keyed is not None else self._keyed(vp)
        if None not in records:  # the common case: every key found, one layout, all live: C loops only
            recs = list(map(unpack, cast("list[bytes]", records)))
            stamps = list(map(_second, recs))
            kinds = set(map(_first, recs))
            if len(kinds) == 1 and (cutoff is None or min(cast("list[int]", stamps)) >= cutoff):
                (layout_id,) = kinds
                extract = vp.extractors.get(layout_id) or self._extractor(vp, layout_id)
                values = list(map(extract, recs, keys)) if keyed else list(map(extract, recs))
                states = [_PRESENT] * len(recs)
                layouts = [layout_id] * len(recs)
                records = []  # decoded: the loop below has nothing left to do
            else:
                stamps = []
        for key, record in zip(keys, records):
            if record is None:
                values.append(missing)
                states.append(_NOT_FOUND)
                stamps.append(None)
                layouts.append(-1)
                continue
            rec = unpack(record)
            stamps.append(rec[1])
            layouts.append(rec[0])
            if cutoff is not None and rec[1] < cutoff:
                values.append(missing)
                states.append(_OUTSIDE)
                continue
            extract = vp.extractors.get(rec[0]) or self._extractor(vp, rec[0])
            values.append(extract(rec, key) if keyed else extract(rec))
            states.append(_PRESENT)
        if index is not None:
            values = [values[i] for i in index]
            states = [states[i] for i in index]
            stamps = [stamps[i] for i in index]
            layouts = [layouts[i] for i in index] if vp.absent else layouts
        columns = [list(c) for c in zip(*values)] if values else [[] for _ in vp.part.features]
        per_feature = [states] * len(columns)
        if vp.absent:
            per_feature = _mark_absent(vp, states, layouts)
        return columns, per_feature, stamps

    def _read_one(
        self, vp: _ViewPlan, entity_columns: dict[str, list[Any]], now_us: int
    ) -> tuple[list[list[Any]], list[list[FieldStatus]], list[int | None]]:
        """:meth:`_read_view` for one entity row: one key, one record, no de-duplication."""
        if vp.key_names:
            try:
                key_values = [entity_columns[k][0] for k in vp.key_names]
            except KeyError as exc:
                raise _missing_key(exc.args[0], vp, entity_columns) from None
            try:
                key = codec.packb(key_values)
            except (TypeError, OverflowError, ValueError) as exc:
                raise SchemaMismatchError(
                    f"feature view {vp.part.view.name!r}: entity key {', '.join(vp.key_names)} has a value "
                    f"that cannot be a join key ({exc})"
                ) from None
        else:
            key = codec.EMPTY_KEY
        (record,) = self.online_store.read(vp.table, [key])
        width = len(vp.part.features)
        if record is None:
            return [[None] for _ in range(width)], [[_NOT_FOUND]] * width, [None]
        rec = codec.unpackb(record)
        stamp = rec[1]
        if vp.ttl_us and stamp < now_us - vp.ttl_us:
            return [[None] for _ in range(width)], [[_OUTSIDE]] * width, [stamp]
        keyed = vp.keyed if vp.keyed is not None else self._keyed(vp)
        extract = vp.extractors.get(rec[0]) or self._extractor(vp, rec[0])
        values = extract(rec, key) if keyed else extract(rec)
        present = [_PRESENT]
        per_feature = [present] * width
        absent = vp.absent.get(rec[0]) if vp.absent else None
        if absent:
            per_feature = [[_NOT_FOUND] if i in absent else present for i in range(width)]
        return [[v] for v in values], per_feature, [stamp]

    def _keyed(self, vp: _ViewPlan) -> bool:
        decryptor = self.decryptor
        vp.keyed = decryptor is not None and any(decryptor(vp.table, f.name) for f in vp.part.view.features)
        return vp.keyed

    def _extractor(self, vp: _ViewPlan, layout_id: int) -> Callable[..., Sequence[Any]]:
        """``extract(rec)``, or ``extract(rec, entity_key)`` when the view holds sealed values."""
        layout = self._layout(vp.table, layout_id)
        positions = [layout.names.index(f) + 2 if f in layout.names else None for f in vp.part.features]
        decoders = layout.decoders()
        decode = [(i, fn) for i, p in enumerate(positions) if p is not None and (fn := decoders[p - 2]) is not None]
        extract: Callable[..., Sequence[Any]] = _positions_getter(positions)
        if vp.keyed:
            assert self.decryptor is not None
            opens = [(i, self.decryptor(vp.table, layout.names[p - 2])) for i, p in enumerate(positions) if p]
            extract = _opening(extract, [(i, fn) for i, fn in opens if fn is not None], decode)
        elif decode:
            extract = _decoding(extract, decode)
        absent = frozenset(i for i, p in enumerate(positions) if p is None)
        if absent:
            vp.absent[layout_id] = absent
        vp.extractors[layout_id] = extract
        return extract

    def _layout(self, table: str, layout_id: int) -> codec.Layout:
        layout = self._layouts.get((table, layout_id))
        if layout is None:
            (data,) = self.online_store.read(table, [codec.layout_key(layout_id)])
            if data is None:
                raise SchemaMismatchError(
                    f"online table {table!r} holds records of layout {layout_id} but not the layout itself; "
                    "re-materialize the view"
                )
            layout = codec.Layout.unpack(data)
            self._layouts[(table, layout_id)] = layout
        return layout


# -- helpers ------------------------------------------------------------------------------------


def _switch_off(
    mask: FlagMask,
    entity_columns: dict[str, list[Any]],
    rows: int,
    values: list[list[Any]],
    states: list[Any],
    offset: int,
) -> None:
    """Null the values, and set FLAG_OFF, of every (column, row) a flag turns off."""
    for rule, off in mask.off_rows(entity_columns, rows):
        for col in rule.columns:
            c = offset + col
            column, column_states = list(values[c]), states[c]
            column_states = list(column_states) if column_states is not None else [_PRESENT] * rows
            for row, is_off in enumerate(off):
                if is_off:
                    column[row] = None
                    column_states[row] = _FLAG_OFF
            values[c], states[c] = column, column_states


def _request_key(features: Any, full_feature_names: bool) -> tuple[Any, ...] | None:
    if isinstance(features, FeatureService):
        return ("service", features.name, full_feature_names)
    try:
        key = ("refs", tuple(features), full_feature_names)
        hash(key)
    except TypeError:
        return None
    return key


def _make_plan(resolved: ResolvedRequest) -> _Plan:
    for part in resolved.views:
        if not part.view.online:
            _refuse_offline_only(part, resolved)
    views = [
        _ViewPlan(
            part=part,
            table=part.view.name,
            key_names=sorted(part.view.join_keys),
            ttl_us=int(part.view.ttl_seconds * 1_000_000),
            dtypes=[part.view.feature(f).dtype for f in part.features],
        )
        for part in resolved.views
    ]
    where: dict[str, tuple[int, int, FeatureType]] = {}
    for vi, part in enumerate(resolved.views):
        for fi, (feat, out) in enumerate(zip(part.features, part.output_names, strict=True)):
            if feat not in part.hidden:
                where[out] = (vi, fi, views[vi].dtypes[fi])
    for oi, opart in enumerate(resolved.odfvs):
        for fi, (feat, out) in enumerate(zip(opart.features, opart.output_names, strict=True)):
            where[out] = (-1 - oi, fi, opart.view.feature(feat).dtype)
    locations = [where[name][:2] for name in resolved.output_names]
    dtypes: list[FeatureType | None] = [where[name][2] for name in resolved.output_names]
    key_types = list(join_key_types(part.view for part in resolved.views).items())
    request_names = frozenset(f.name for f in resolved.request_fields)
    direct = len(views) == 1 and not resolved.odfvs and locations == [(0, i) for i in range(len(views[0].dtypes))]
    return _Plan(
        resolved,
        views,
        frozenset(resolved.join_keys),
        key_types,
        locations,
        list(resolved.output_names),
        dtypes,
        request_names,
        direct=direct,
    )


def _row_shape(plan: _Plan, names: tuple[str, ...]) -> _RowShape | None:
    """The one-row shape of ``plan`` for entity columns ``names``; None when a join key is missing."""
    vp = plan.views[0]
    where = {name: i for i, name in enumerate(names)}
    if any(k not in where for k in vp.key_names):
        return None
    echoed = len(names)
    untyped: list[FeatureType | None] = [None] * echoed
    return _RowShape(
        names=list(names) + plan.output_names,
        dtypes=untyped + plan.output_dtypes,
        none=[None] * echoed,
        conform=[(where[key], dtype, key) for key, dtype in plan.key_types if key in where],
        key_positions=[where[k] for k in vp.key_names],
    )


def _refuse_offline_only(part: ViewPart, resolved: ResolvedRequest) -> None:
    readers = [o.view.name for o in resolved.odfvs if part.view.name in o.view.source_feature_view_projections]
    via = f" (read by on-demand feature view {readers[0]!r})" if readers else ""
    raise RequestError(
        f"feature view {part.view.name!r}{via} is declared online=False, so it is not in the online store; "
        "set online=True and materialize it, or read it with get_historical_features"
    )


def _positions_getter(positions: list[int | None]) -> Callable[[list[Any]], Sequence[Any]]:
    if None in positions:
        return lambda rec: tuple(None if p is None else rec[p] for p in positions)
    if len(positions) == 1:
        (only,) = positions
        assert only is not None
        return lambda rec: (rec[only],)
    return operator.itemgetter(*positions)


def _mark_absent(vp: _ViewPlan, states: list[FieldStatus], layouts: list[int]) -> list[list[FieldStatus]]:
    """Statuses per feature where some records predate a feature: those values are NOT_FOUND."""
    per_feature = [states] * len(vp.part.features)
    for row, layout_id in enumerate(layouts):
        for fi in vp.absent.get(layout_id, ()):
            if per_feature[fi] is states:
                per_feature[fi] = list(states)
            if states[row] is _PRESENT:
                per_feature[fi][row] = _NOT_FOUND
    return per_feature


def _decoding(
    extract: Callable[[list[Any]], Sequence[Any]], decode: list[tuple[int, Callable[[Any], Any]]]
) -> Callable[[list[Any]], Sequence[Any]]:
    """``extract`` followed by turning stored values back into Python ones (timestamps)."""

    def extract_and_decode(rec: list[Any]) -> Sequence[Any]:
        out = list(extract(rec))
        for i, fn in decode:
            out[i] = fn(out[i])
        return out

    return extract_and_decode


def _opening(
    extract: Callable[[list[Any]], Sequence[Any]],
    opens: list[tuple[int, Callable[[Any, bytes], Any]]],
    decode: list[tuple[int, Callable[[Any], Any]]],
) -> Callable[[list[Any], bytes], Sequence[Any]]:
    """``extract``, then open sealed values for the record's entity key, then decode (timestamps)."""

    def extract_and_open(rec: list[Any], entity_key: bytes) -> Sequence[Any]:
        out = list(extract(rec))
        for i, open_value in opens:
            out[i] = open_value(out[i], entity_key)
        for i, fn in decode:
            out[i] = fn(out[i])
        return out

    return extract_and_open


def _single_row(entity_rows: Any) -> dict[str, Any] | None:
    """The one entity row of a request, given as ``[{key: value}]`` or ``{key: [value]}``; else None."""
    kind = type(entity_rows)
    if kind is list:
        return entity_rows[0] if len(entity_rows) == 1 and type(entity_rows[0]) is dict else None
    if kind is not dict or not entity_rows:
        return None
    row = {}
    for name, column in entity_rows.items():
        if type(column) is not list or len(column) != 1:
            return None
        row[name] = column[0]
    return row


def _entity_columns(entity_rows: Any) -> tuple[dict[str, list[Any]], list[str], int]:
    """Entity rows (a list of dicts or a dict of lists) as columns, their names in order, and the row count."""
    if isinstance(entity_rows, list) and len(entity_rows) == 1 and isinstance(entity_rows[0], dict):
        only = entity_rows[0]  # the commonest request: one entity
        return {k: [_unboxed(v)] for k, v in only.items()}, list(only), 1
    if isinstance(entity_rows, dict):
        columns = {k: _plain(v) for k, v in entity_rows.items()}
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise RequestError(f"entity rows: columns have different lengths {sorted(lengths)}")
        return columns, list(columns), lengths.pop() if lengths else 0
    if hasattr(entity_rows, "to_dict") and hasattr(entity_rows, "columns"):  # a DataFrame
        return _entity_columns(entity_rows.to_dict(orient="list"))
    rows = list(entity_rows)
    if not rows:
        return {}, [], 0
    names = list(dict.fromkeys(k for row in rows for k in row))
    columns = {}
    for name in names:
        try:
            columns[name] = _plain([row[name] for row in rows])
        except KeyError:
            bad = next(i for i, row in enumerate(rows) if name not in row)
            raise EntityKeyError(f"entity row {bad} has no {name!r}, which other rows have") from None
    return columns, names, len(rows)


def _plain(values: Any) -> list[Any]:
    """A column as a list of plain Python values: numpy arrays and scalars are unboxed, as Feast returns them."""
    if hasattr(values, "tolist") and not isinstance(values, list):  # a numpy array or pandas Series
        unboxed: list[Any] = values.tolist()
        return unboxed
    listed: list[Any] = values if isinstance(values, list) else list(values)
    sample = next((v for v in listed if v is not None), None)
    if sample is not None and type(sample).__module__ == "numpy":
        return [v.item() if hasattr(v, "item") else v for v in listed]
    return listed


def _unboxed(value: Any) -> Any:
    """One value as a plain Python value (a numpy scalar unboxed, as Feast returns it)."""
    return value.item() if type(value).__module__ == "numpy" and hasattr(value, "item") else value


def _missing_key(key: str, vp: _ViewPlan, entity_columns: dict[str, list[Any]]) -> EntityKeyError:
    given = ", ".join(entity_columns) or "none"
    return EntityKeyError(
        f"feature view {vp.part.view.name!r} needs join key {key!r}, which the entity rows lack (they have: {given})"
    )


def _compute_odfv(
    opart: OdfvPart,
    plan: _Plan,
    view_results: list[tuple[list[list[Any]], list[list[FieldStatus]], list[int | None]]],
    entity_columns: dict[str, list[Any]],
    rows: int,
    full_feature_names: bool,
) -> list[list[Any]]:
    """Run an on-demand view over the rows read, returning its requested features cast to their dtypes."""
    inputs: dict[str, list[Any]] = {k: v for k, v in entity_columns.items() if k in plan.join_keys}
    for proj in opart.view.source_feature_view_projections.values():
        vi = next(i for i, vp in enumerate(plan.views) if vp.part.name_to_use == proj.name_to_use)
        part = plan.views[vi].part
        for feat in proj.features:
            column = view_results[vi][0][part.features.index(feat)]
            inputs[feat] = column
            if full_feature_names:
                inputs[f"{proj.name_to_use}__{feat}"] = column
    for request_field in opart.view.request_fields:
        if request_field.name not in entity_columns:
            raise RequestError(
                f"on-demand feature view {opart.view.name!r} needs request data {request_field.name!r}; "
                "pass it in the entity rows"
            )
        inputs[request_field.name] = entity_columns[request_field.name]
    return run_odfv(opart.view, opart.features, inputs, rows)


__all__ = ["TIMESTAMP_POSTFIX", "FieldStatus", "OnlineReader", "OnlineResponse"]
