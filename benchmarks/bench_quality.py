"""What data-quality rules cost, each against a floor measured in the same run, interleaved.

* ``validate``: ``store.validate`` of one view with 10 rules over N rows, against one
  hand-written DuckDB query computing the same failure counts (checked equal). Target: 1.5x.
* ``materialize``: materializing a view with 5 rules against the same view without rules
  (same source file, same online store). Target: 1.25x.
* ``push``: pushing 10k rows to a view with 5 rules against a view without. Target: 1.25x.

The rules are the warn/quarantine kind (a ``block`` rule adds a first pass to materialization,
see docs/quality.md). About 1% of rows break a rule, so the quarantine is exercised too.

    python -m benchmarks.bench_quality [--rows 2000000] [--mat-rows 200000] [--push-rows 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from featurevault import Entity, FeatureView, Field, FileSource, PushSource
from featurevault._quality import between, expression, matches, not_null, one_of, unique
from featurevault._store import FeatureStore
from featurevault.types import Float64, Int64, String
from benchmarks.suite.stats import interleave, ratio_line

NOW = datetime.now(UTC).replace(microsecond=0)
CONFIG = (
    "project: qbench\nregistry: data/registry.db\nonline_store:\n  type: sqlite\n  path: data/online.db\n"
    "auth:\n  type: no_auth\naudit:\n  sink: none\n"
)
SCHEMA = [
    Field(name="user_id", dtype=Int64),
    Field(name="amount", dtype=Float64),
    Field(name="limit_amount", dtype=Float64),
    Field(name="count", dtype=Int64),
    Field(name="score", dtype=Float64),
    Field(name="tier", dtype=String),
    Field(name="email", dtype=String),
]

TEN_RULES = [
    not_null("amount", on_fail="warn"),
    not_null("tier", on_fail="warn"),
    between("amount", 0, 10_000, on_fail="warn"),
    between("count", 0, 1_000, on_fail="warn"),
    between("score", 0.0, 1.0, on_fail="warn"),
    one_of("tier", ["free", "pro", "team"], on_fail="warn"),
    matches("email", r"[a-z0-9]+@[a-z]+\.io", on_fail="warn"),
    unique(["user_id", "event_timestamp"], on_fail="warn"),
    expression("limit_amount >= amount", name="limit_ge_amount", on_fail="warn"),
    expression("count * 10 >= score", name="count_score", on_fail="warn"),
]
FIVE_RULES = [
    not_null("amount"),
    between("amount", 0, 10_000),
    one_of("tier", ["free", "pro", "team"]),
    between("score", 0.0, 1.0),
    expression("limit_amount >= amount", name="limit_ge_amount"),
]

FLOOR_SQL = """
SELECT count(*),
  count(*) FILTER (WHERE amount IS NULL OR isnan(amount)),
  count(*) FILTER (WHERE tier IS NULL),
  count(*) FILTER (WHERE amount < 0 OR amount > 10000 OR isnan(amount)),
  count(*) FILTER (WHERE count < 0 OR count > 1000),
  count(*) FILTER (WHERE score < 0 OR score > 1 OR isnan(score)),
  count(*) FILTER (WHERE tier NOT IN ('free', 'pro', 'team')),
  count(*) FILTER (WHERE NOT regexp_full_match(email, '[a-z0-9]+@[a-z]+\\.io')),
  count(*) FILTER (WHERE dup),
  count(*) FILTER (WHERE NOT (limit_amount >= amount)),
  count(*) FILTER (WHERE NOT (count * 10 >= score))
FROM (SELECT *, count(*) OVER (PARTITION BY user_id, event_timestamp) > 1 AS dup FROM read_parquet('{path}'))
"""


def make_rows(n: int, seed: int = 0, distinct_users: bool = False) -> pa.Table:
    rng = np.random.default_rng(seed)
    bad = rng.random(n) < 0.01
    amount = rng.uniform(0, 5_000, n)
    amount[bad] = -1.0
    users = np.arange(n, dtype=np.int64) if distinct_users else rng.integers(0, max(1, n // 4), n)
    stamps = (NOW - timedelta(days=1)).timestamp() * 1e6 + rng.integers(0, 86_400_000_000, n)
    return pa.table(
        {
            "user_id": pa.array(users, pa.int64()),
            "event_timestamp": pa.array(stamps.astype(np.int64)).cast(pa.timestamp("us", tz="UTC")),
            "amount": amount,
            "limit_amount": amount + 10.0,
            "count": rng.integers(0, 1_000, n),
            "score": rng.random(n),
            "tier": pa.array(np.array(["free", "pro", "team"])[rng.integers(0, 3, n)]),
            "email": pa.array([f"u{i % 1000}@x.io" for i in range(n)]),
        }
    )


def build(workdir: Path, validate_rows: int, mat_rows: int) -> FeatureStore:
    (workdir / "data").mkdir(parents=True)
    (workdir / "feature_store.yaml").write_text(CONFIG)
    pq.write_table(make_rows(validate_rows), workdir / "data/big.parquet", row_group_size=1_000_000)
    pq.write_table(make_rows(mat_rows, 1, distinct_users=True), workdir / "data/mat.parquet")
    for name in ("push", "push2"):
        pq.write_table(make_rows(10, 2, distinct_users=True), workdir / f"data/{name}.parquet")
    user = Entity(name="user", join_keys=["user_id"])

    def view(name: str, path: str, rules: list[Any], push: bool = False) -> FeatureView:
        source: Any = FileSource(name=f"{name}_src", path=path, timestamp_field="event_timestamp")
        if push:
            source = PushSource(name=f"{name}_push", batch_source=source)
        return FeatureView(
            name=name, entities=[user], schema=SCHEMA, source=source, ttl=timedelta(days=365), rules=rules
        )

    store = FeatureStore(repo_path=workdir)
    store.apply(
        [
            user,
            view("big", "data/big.parquet", TEN_RULES),
            view("mat_ruled", "data/mat.parquet", FIVE_RULES),
            view("mat_plain", "data/mat.parquet", []),
            view("push_ruled", "data/push.parquet", FIVE_RULES, push=True),
            view("push_plain", "data/push2.parquet", [], push=True),
        ],
        skip_lint=True,
    )
    return store


def floor_counts(path: Path) -> list[int]:
    con = duckdb.connect()
    con.execute("SET disabled_optimizers = 'statistics_propagation'")  # as featurevault: NaN stays visible
    try:
        return list(con.sql(FLOOR_SQL.format(path=path)).fetchall()[0])
    finally:
        con.close()


def print_ratio(title: str, samples: dict[str, list[float]], ours: str, floor: str, target: float) -> None:
    print(ratio_line(title, samples, ours, floor, target))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_quality")
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows validated (the issue names 10M)")
    parser.add_argument("--mat-rows", type=int, default=200_000)
    parser.add_argument("--push-rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="validate,materialize,push", help="comma-separated parts to run")
    args = parser.parse_args()
    only = {part.strip() for part in args.only.split(",")}
    # the rules' warnings are still logged (their cost is part of the measure), just not printed
    logging.getLogger("featurevault").addHandler(logging.NullHandler())
    logging.getLogger("featurevault").propagate = False
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        store = build(workdir, args.rows if "validate" in only else 1000, args.mat_rows)
        for part, run in (("validate", _validate), ("materialize", _materialize), ("push", _push)):
            if part in only:
                run(store, workdir, args)
        print(f"quarantined rows kept: {len(store.list_quarantined())}")
        store.close()


def _validate(store: FeatureStore, workdir: Path, args: argparse.Namespace) -> None:
    ours = [r.failed for r in store.validate(["big"]).views[0].rules]
    floor = floor_counts(workdir / "data/big.parquet")
    assert ours == floor[1:], (ours, floor)  # the same failure counts
    print(f"validate cross-check: {sum(ours)} failures over {floor[0]} rows, equal to the floor's")
    print_ratio(
        f"validate {args.rows} rows x 10 rules",
        interleave(
            {
                "featurevault": lambda: store.validate(["big"]),
                "duckdb_floor": lambda: floor_counts(workdir / "data/big.parquet"),
            },
            args.repeat,
        ),
        "featurevault",
        "duckdb_floor",
        1.5,
    )


def _materialize(store: FeatureStore, workdir: Path, args: argparse.Namespace) -> None:
    window = (NOW - timedelta(days=2), NOW + timedelta(hours=1))
    print_ratio(
        f"materialize {args.mat_rows} rows",
        interleave(
            {
                "5_rules": lambda: store.materialize(*window, ["mat_ruled"]),
                "no_rules": lambda: store.materialize(*window, ["mat_plain"]),
            },
            args.repeat,
        ),
        "5_rules",
        "no_rules",
        1.25,
    )


def _push(store: FeatureStore, workdir: Path, args: argparse.Namespace) -> None:
    frame = make_rows(args.push_rows, 3, distinct_users=True).to_pandas()
    print_ratio(
        f"push {args.push_rows} rows (online)",
        interleave(
            {
                "5_rules": lambda: store.push("push_ruled_push", frame, to="online"),
                "no_rules": lambda: store.push("push_plain_push", frame, to="online"),
            },
            args.repeat * 4,
        ),
        "5_rules",
        "no_rules",
        1.25,
    )


if __name__ == "__main__":
    main()
