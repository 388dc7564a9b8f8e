"""Point-in-time joins and latest-row extraction as Spark DataFrame plans.

The join is a sort-based "as of" join that does not grow with the number of
versions per key: the entity rows and the view's rows are unioned, partitioned
by the join keys and ordered by (event time, feature rows before entity rows,
created time); for each entity row, ``last(row, ignorenulls)`` over the rows
up to it is the feature row with the greatest event time not after the entity
row, ties on event time going to the greatest created time (a missing one
counts as earliest). A match older than ``t - ttl`` is dropped; since it was
the latest row at or before ``t``, no other row could be in the window.
Entity rows keep every column through the union, so views are chained without
a join, and the row number added on entry orders the result.
"""

from __future__ import annotations

from typing import Any

from featurevault._backends.offline.spark_sources import CUS, US, SparkScan

ROW = "__fv_row"
_KIND = "__fv_kind"
_HIT = "__fv_hit"


def join_view(entity: Any, scan: SparkScan, entity_keys: list[str], outputs: list[str], ttl_us: int) -> Any:
    """``entity`` (with ``__fv_row`` and ``__fv_us``) with the view's features added under ``outputs``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    feature_cols = [f"c{i}" for i in range(scan.n_features)]
    hit = F.struct(F.col(US).alias("ts"), *[F.col(c) for c in feature_cols])
    keyed = [F.col(f"`{k}`").alias(ek) for k, ek in zip(scan.keys, entity_keys, strict=True)]
    created = [F.col(CUS)] if scan.has_created else [F.lit(None).cast("long").alias(CUS)]
    features = scan.frame.select(*keyed, F.col(US), *created, F.lit(0).alias(_KIND), hit.alias(_HIT))
    rows = entity.withColumn(_KIND, F.lit(1))
    both = rows.unionByName(features, allowMissingColumns=True)
    window = (
        Window.partitionBy(*[F.col(f"`{k}`") for k in entity_keys])
        .orderBy(F.col(US).asc_nulls_first(), F.col(_KIND).asc(), F.col(CUS).asc_nulls_first())
        .rowsBetween(Window.unboundedPreceding, Window.currentRow)
    )
    matched = both.withColumn(_HIT, F.last(F.col(_HIT), ignorenulls=True).over(window)).where(F.col(_KIND) == 1)
    in_window = F.col(f"{_HIT}.ts").isNotNull() & F.col(US).isNotNull()
    if ttl_us:
        in_window = in_window & (F.col(f"{_HIT}.ts") >= F.col(US) - F.lit(ttl_us))
    values = [F.when(in_window, F.col(f"{_HIT}.{c}")).alias(out) for c, out in zip(feature_cols, outputs, strict=True)]
    kept = [F.col(f"`{c}`") for c in entity.columns]
    return matched.select(*kept, *values)


def latest(scan: SparkScan) -> Any:
    """Per key, the row with the greatest (event time, created time): keys, ``__fv_us``, ``c0..``."""
    from pyspark.sql import functions as F

    feature_cols = [f"c{i}" for i in range(scan.n_features)]
    earliest = F.lit(-(2**63)).cast("long")
    created = F.coalesce(F.col(CUS), earliest) if scan.has_created else earliest
    best = F.max(F.struct(F.col(US).alias("ts"), created.alias("cts"), *[F.col(c) for c in feature_cols]))
    keys = [F.col(f"`{k}`") for k in scan.keys]
    grouped = scan.frame.groupBy(*keys) if keys else scan.frame.groupBy()
    picked = grouped.agg(best.alias(_HIT)).where(F.col(_HIT).isNotNull())  # no rows: no group
    return picked.select(*keys, F.col(f"{_HIT}.ts").alias(US), *[F.col(f"{_HIT}.{c}").alias(c) for c in feature_cols])
