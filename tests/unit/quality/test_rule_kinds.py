"""Each rule kind compiled twice (Arrow masks for writes, DuckDB SQL for validate) gives the same rows.

Edge values: nulls, NaN, empty strings, infinities, and timestamps across time zones.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import duckdb
import pyarrow as pa
import pytest

from featurevault.errors import DefinitionError
from featurevault._model.rules import Rule
from featurevault._quality import between, expression, matches, not_null, one_of, unique
from featurevault._quality.rules.arrow import failing_mask
from featurevault._quality.rules.sql import failing_condition, failure_counts_sql

NAN, INF = float("nan"), float("inf")
PARIS = timezone(timedelta(hours=1))
EDGE = datetime(2024, 1, 1, tzinfo=UTC)

TABLE = pa.table(
    {
        "amount": pa.array([1.0, None, NAN, -INF, 10_000.0, 10_000.5, 0.0], pa.float64()),
        "count": pa.array([1, None, 3, 4, 5, 6, 7], pa.int64()),
        "tier": pa.array(["free", "", None, "pro", "gold", "FREE", "free"], pa.string()),
        "email": pa.array(["a@b.c", "", None, "x@y", "no at", "ü@ö.de", "a@b@c"], pa.string()),
        "user_id": pa.array([1, 1, 2, 3, 3, None, None], pa.int64()),
        "ts": pa.array(
            [
                EDGE - timedelta(microseconds=1),
                EDGE,
                EDGE + timedelta(days=1),
                None,
                EDGE.astimezone(PARIS),
                EDGE - timedelta(hours=1),
                EDGE,
            ],
            pa.timestamp("us", tz="UTC"),
        ),
    }
)

CASES: list[tuple[Rule, list[bool]]] = [
    (not_null("amount"), [False, True, True, False, False, False, False]),
    (not_null("tier"), [False, False, True, False, False, False, False]),
    (not_null("tier", empty_is_null=True), [False, True, True, False, False, False, False]),
    (between("amount", 0, 10_000), [False, False, True, True, False, True, False]),
    (between("count", low=5), [True, False, True, True, False, False, False]),
    (one_of("tier", ["free", "pro"]), [False, True, False, False, True, True, False]),
    (matches("email", r"[^@\s]+@[^@\s]+"), [False, True, False, False, True, False, True]),
    (unique(["user_id"]), [True, True, False, True, True, False, False]),
    # NaN is above every number in DuckDB: NaN <= 30 is false, so the row fails
    (expression("amount <= count * 10", name="bounded"), [False, False, True, False, True, True, False]),
    # a bound in another zone is the same instant: 2024-01-01T01:00+01:00 == 2024-01-01T00:00Z
    (between("ts", low=EDGE.astimezone(PARIS)), [True, False, False, False, False, True, False]),
    (between("ts", high=datetime(2024, 1, 1)), [False, False, True, False, False, False, False]),
]


@pytest.mark.parametrize(("rule", "expected"), CASES, ids=[r.name + str(i) for i, (r, _) in enumerate(CASES)])
def test_arrow_mask(rule: Rule, expected: list[bool]) -> None:
    assert failing_mask(rule, TABLE).to_pylist() == expected


@pytest.mark.parametrize(("rule", "expected"), CASES, ids=[r.name + str(i) for i, (r, _) in enumerate(CASES)])
def test_sql_condition_agrees_with_arrow(rule: Rule, expected: list[bool]) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("t", TABLE)
    flags = con.sql(f"SELECT {failing_condition(rule, {'amount'})} FROM t").fetchall()
    # window queries need not keep row order: compare as multisets, and the count exactly
    assert sorted(bool(f[0]) for f in flags) == sorted(expected)
    counts = con.sql(failure_counts_sql([rule], "t", {"amount"})).fetchall()[0]
    assert counts == (TABLE.num_rows, sum(expected))


def test_one_query_counts_every_rule() -> None:
    con = duckdb.connect()
    con.register("t", TABLE)
    rules = [r for r, _ in CASES[:9]]
    counts = con.sql(failure_counts_sql(rules, "t", {"amount"})).fetchall()[0]
    assert list(counts) == [TABLE.num_rows, *[sum(e) for _, e in CASES[:9]]]


def test_rules_round_trip_through_the_registry_form() -> None:
    for rule, _ in CASES:
        assert Rule.from_dict(rule.to_dict()) == rule


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: matches("email", "("), "bad regular expression"),
        (lambda: between("amount"), "low bound, a high bound"),
        (lambda: between("amount", 5, 1), "above high bound"),
        (lambda: between("amount", "a", 1), "must be a number"),
        (lambda: one_of("tier", []), "non-empty list"),
        (lambda: not_null("amount", on_fail="drop"), "on_fail must be one of"),
        (lambda: expression("", name="x"), "SQL boolean"),
        (lambda: unique([]), "non-empty list"),
    ],
)
def test_bad_rules_are_refused_at_definition(build: object, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        build()  # type: ignore[operator]


def test_expression_engine_cannot_touch_files() -> None:
    from featurevault._quality.rules.engine import cursor

    with cursor() as cur, pytest.raises(duckdb.Error, match="disabled"):
        cur.sql("SELECT * FROM read_csv('/etc/passwd')").fetchall()
    with cursor() as cur, pytest.raises(duckdb.Error):
        cur.execute("SET enable_external_access = true")
