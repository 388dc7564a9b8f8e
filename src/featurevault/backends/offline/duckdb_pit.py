"""The SQL of the DuckDB engine's point-in-time joins and latest-row extraction.

Every scan exposes the view's join keys under their own names, ``__fv_ts``
(event time as a naive UTC TIMESTAMP), ``__fv_cts`` (created time, when the
source has one) and the requested features as ``c0, c1, ...``. The entity rows
are registered as ``__fv_entity`` with ``__fv_row`` (their position),
``__fv_ts`` and their join key columns.

Two plans give the same answer:

* **hash**: join each entity row to every version of its key inside its
  window, keep the version with the greatest (event time, created time) by
  ``arg_max``. Cheap when keys have few versions.
* **asof**: an ASOF join on the narrow (keys, event time) columns finds the
  matching event time, then an equi-join on (keys, event time) fetches the
  feature columns and breaks event-time ties by created time. Its cost does
  not grow with the number of versions per key.
"""

from __future__ import annotations

from dataclasses import dataclass

from featurevault.backends.offline.duckdb_sources import quote

ENTITY = "__fv_entity"
_NEG_INF = "TIMESTAMP '-infinity'"


@dataclass
class ViewScan:
    """SQL reading one view's source, normalised as described in the module docstring."""

    #: table expression with the join keys and ``__fv_ts``
    narrow: str
    #: table expression with the join keys, ``__fv_ts``, ``__fv_cts`` if any, and ``c0..``
    wide: str
    #: the view's join keys (scan column names)
    keys: list[str]
    #: the entity column holding each join key
    entity_keys: list[str]
    n_features: int
    has_created: bool
    #: 0 means unbounded
    ttl_us: int


def _struct(scan: ViewScan, alias: str, extra: str = "") -> str:
    fields = [f"'c{i}': {alias}.c{i}" for i in range(scan.n_features)]
    return "{" + ", ".join(([extra] if extra else []) + fields) + "}"


def _order_key(scan: ViewScan, alias: str) -> str:
    if not scan.has_created:
        return f"{alias}.__fv_ts"
    return f"({alias}.__fv_ts, coalesce({alias}.__fv_cts, {_NEG_INF}))"


def _key_match(scan: ViewScan, left: str, right: str, left_is_entity: bool = True) -> list[str]:
    conds = []
    for key, ekey in zip(scan.keys, scan.entity_keys, strict=True):
        lcol = quote(ekey) if left_is_entity else quote(key)
        conds.append(f"{left}.{lcol} = {right}.{quote(key)}")
    return conds


def hash_plan(scan: ViewScan) -> str:
    """(__fv_row, __fv_s): the winning feature struct per entity row, via hash join + arg_max."""
    conds = _key_match(scan, "e", "f") + ["f.__fv_ts <= e.__fv_ts"]
    if scan.ttl_us:
        conds.append(f"f.__fv_ts >= e.__fv_ts - to_microseconds({scan.ttl_us})")
    return (
        f"SELECT e.__fv_row, arg_max({_struct(scan, 'f')}, {_order_key(scan, 'f')}) AS __fv_s "
        f"FROM {ENTITY} e JOIN {scan.wide} f ON {' AND '.join(conds)} GROUP BY e.__fv_row"
    )


def asof_plan(scan: ViewScan) -> str:
    """(__fv_row, __fv_s): the winning feature struct per entity row, via ASOF join + equi-join."""
    keys_out = ", ".join(f"e.{quote(ek)} AS {quote(k)}" for k, ek in zip(scan.keys, scan.entity_keys, strict=True))
    in_window = f"k.__fv_ts >= e.__fv_ts - to_microseconds({scan.ttl_us})" if scan.ttl_us else "true"
    asof_conds = [*_key_match(scan, "e", "k"), "e.__fv_ts >= k.__fv_ts"]
    matched = (
        f"SELECT e.__fv_row, {keys_out + ', ' if keys_out else ''}k.__fv_ts AS __fv_mts "
        f"FROM {ENTITY} e ASOF JOIN {scan.narrow} k ON {' AND '.join(asof_conds)} WHERE {in_window}"
    )
    back_conds = [*_key_match(scan, "m", "f", left_is_entity=False), "f.__fv_ts = m.__fv_mts"]
    pick = (
        f"arg_max({_struct(scan, 'f')}, coalesce(f.__fv_cts, {_NEG_INF}))"
        if scan.has_created
        else f"any_value({_struct(scan, 'f')})"
    )
    return (
        f"SELECT m.__fv_row, {pick} AS __fv_s FROM ({matched}) m "
        f"JOIN {scan.wide} f ON {' AND '.join(back_conds)} GROUP BY m.__fv_row"
    )


def combine(plans: list[tuple[str, int]]) -> str:
    """One query over every view's plan: feature columns ``__fv_o{n}``, one row per entity row, in order.

    ``plans`` holds (plan SQL, number of features) per view.
    """
    ctes, columns, joins = [], [], []
    out = 0
    for i, (sql, n_features) in enumerate(plans):
        ctes.append(f"v{i} AS ({sql})")
        joins.append(f"LEFT JOIN v{i} ON v{i}.__fv_row = e.__fv_row")
        for c in range(n_features):
            columns.append(f"struct_extract(v{i}.__fv_s, 'c{c}') AS __fv_o{out}")
            out += 1
    return (
        f"WITH {', '.join(ctes)} SELECT {', '.join(columns)} FROM {ENTITY} e "
        f"{' '.join(joins)} ORDER BY e.__fv_row"
    )


def latest_plan(scan: ViewScan) -> str:
    """Per key, the row with the greatest (event time, created time): keys, __fv_ts, c0.."""
    keys = ", ".join(quote(k) for k in scan.keys)
    fields = ", ".join(f"struct_extract(__fv_s, 'c{i}') AS c{i}" for i in range(scan.n_features))
    group = f"GROUP BY {keys} " if keys else ""
    latest = _struct(scan, "f", "'__fv_ts': f.__fv_ts")
    return (
        f"SELECT {keys + ', ' if keys else ''}struct_extract(__fv_s, '__fv_ts') AS __fv_ts, {fields} FROM ("
        f"SELECT {keys + ', ' if keys else ''}arg_max({latest}, {_order_key(scan, 'f')}) "
        f"AS __fv_s FROM {scan.wide} f {group}HAVING count(*) > 0)"
    )
