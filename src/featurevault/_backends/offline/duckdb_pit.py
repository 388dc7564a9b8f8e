"""The SQL of the DuckDB engine's point-in-time joins and latest-row extraction.

Every scan exposes the view's join keys under their own names, ``__fv_ts``
(event time as a naive UTC TIMESTAMP), ``__fv_cts`` (created time, when the
source has one) and the requested features as ``c0, c1, ...``. The entity rows
are registered as ``__fv_entity`` with ``__fv_row`` (their position),
``__fv_ts`` and their join key columns.

Both plans work in two steps. First, on the narrow (keys, event time)
columns only, find for each entity row the greatest event time of its key
inside its window; then an equi-join on (keys, event time) fetches the feature
columns (and the created time, which breaks event-time ties). The plans
differ in the first step:

* **hash**: join each entity row to every version of its key inside its
  window and keep ``max(event time)``. Cheap when keys have few versions.
* **asof**: an ASOF join. Its cost does not grow with versions per key.

Keeping the wide columns out of the first step keeps its memory small. The
first step's result is stored as a table, so that DuckDB knows its exact size
and builds the second step's hash table on it rather than on the (usually far
bigger) wide source rows. Both steps are operators DuckDB can spill to disk.
"""

from __future__ import annotations

from dataclasses import dataclass

from featurevault._backends.offline.duckdb_sources import quote

ENTITY = "__fv_entity"
#: the temporary table holding the first step's result
MATCHED = "__fv_matched"


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


def _key_match(scan: ViewScan, left: str, right: str, left_is_entity: bool = True) -> list[str]:
    conds = []
    for key, ekey in zip(scan.keys, scan.entity_keys, strict=True):
        lcol = quote(ekey) if left_is_entity else quote(key)
        conds.append(f"{left}.{lcol} = {right}.{quote(key)}")
    return conds


def _carry_keys(scan: ViewScan) -> str:
    """The entity's key columns under the view's key names, for the second step."""
    pairs = zip(scan.keys, scan.entity_keys, strict=True)
    return "".join(f"any_value(e.{quote(ek)}) AS {quote(k)}, " for k, ek in pairs)


def _match_hash(scan: ViewScan) -> str:
    """(__fv_row, keys, __fv_mts): the greatest event time in each entity row's window, by hash join."""
    conds = [*_key_match(scan, "e", "k"), "k.__fv_ts <= e.__fv_ts"]
    if scan.ttl_us:
        conds.append(f"k.__fv_ts >= e.__fv_ts - to_microseconds({scan.ttl_us})")
    return (
        f"SELECT e.__fv_row, {_carry_keys(scan)}max(k.__fv_ts) AS __fv_mts "
        f"FROM {ENTITY} e JOIN {scan.narrow} k ON {' AND '.join(conds)} GROUP BY e.__fv_row"
    )


def _match_asof(scan: ViewScan) -> str:
    """(__fv_row, keys, __fv_mts): the greatest event time in each entity row's window, by ASOF join."""
    pairs = zip(scan.keys, scan.entity_keys, strict=True)
    keys_out = "".join(f"e.{quote(ek)} AS {quote(k)}, " for k, ek in pairs)
    in_window = f"k.__fv_ts >= e.__fv_ts - to_microseconds({scan.ttl_us})" if scan.ttl_us else "true"
    asof_conds = [*_key_match(scan, "e", "k"), "e.__fv_ts >= k.__fv_ts"]
    return (
        f"SELECT e.__fv_row, {keys_out}k.__fv_ts AS __fv_mts "
        f"FROM {ENTITY} e ASOF JOIN {scan.narrow} k ON {' AND '.join(asof_conds)} WHERE {in_window}"
    )


def match_plan(scan: ViewScan, strategy: str) -> str:
    """First step, "hash" or "asof": ``__fv_row``, the keys and ``__fv_mts`` of each entity row that matched."""
    return _match_hash(scan) if strategy == "hash" else _match_asof(scan)


def fetch_plan(scan: ViewScan, matched: str) -> str:
    """Second step: ``__fv_row, [__fv_cts,] c0, c1, ...`` for the rows of the table ``matched``.

    An entity row appears more than once only when several source rows share
    its matched (keys, event time); the caller keeps the greatest ``__fv_cts``.
    """
    conds = [*_key_match(scan, "m", "f", left_is_entity=False), "f.__fv_ts = m.__fv_mts"]
    created = "f.__fv_cts, " if scan.has_created else ""
    features = ", ".join(f"f.c{i}" for i in range(scan.n_features))
    return f"SELECT m.__fv_row, {created}{features} FROM {matched} m JOIN {scan.wide} f ON {' AND '.join(conds)}"


def latest_plan(scan: ViewScan) -> str:
    """Per key, the row with the greatest (event time, created time): keys, __fv_ts, c0..

    Two steps as for the joins: the greatest event time per key on the narrow
    columns, then the wide rows at that time, one per key by created time.
    """
    keys = [quote(k) for k in scan.keys]
    group = f" GROUP BY {', '.join(keys)}" if keys else ""
    latest = f"SELECT {''.join(k + ', ' for k in keys)}max(__fv_ts) AS __fv_mts FROM {scan.narrow}{group}"
    conds = [f"f.{k} = m.{k}" for k in keys] + ["f.__fv_ts = m.__fv_mts"]
    partition = f"PARTITION BY {', '.join('f.' + k for k in keys)} " if keys else ""
    order = "ORDER BY f.__fv_cts DESC NULLS LAST" if scan.has_created else ""
    columns = [f"f.{k}" for k in keys] + ["f.__fv_ts"] + [f"f.c{i}" for i in range(scan.n_features)]
    return (
        f"SELECT {', '.join(columns)} FROM ({latest}) m JOIN {scan.wide} f ON {' AND '.join(conds)} "
        f"QUALIFY row_number() OVER ({partition}{order}) = 1"
    )
