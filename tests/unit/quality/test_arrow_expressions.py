"""Simple ``expression`` rules run as Arrow kernels give exactly DuckDB's answer, or step aside for DuckDB."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from featurevault._quality import expression
from featurevault._quality.rules.arrow import failing_mask
from featurevault._quality.rules.arrow_expr import Unsupported, compile_expression
from featurevault._quality.rules.engine import cursor

N = 500


def _table(seed: int, nan: bool = False) -> pa.Table:
    rng = np.random.default_rng(seed)
    amount = np.round(rng.uniform(-50, 150, N), 1)
    if nan:
        amount[::37] = np.nan
    nulls = rng.random(N) < 0.1
    return pa.table(
        {
            "amount": pa.array(amount, mask=nulls if not nan else None),
            "limit_amount": pa.array(np.round(rng.uniform(0, 200, N), 1)),
            "count": pa.array(rng.integers(-5, 40, N), mask=rng.random(N) < 0.1),
            "small": pa.array(rng.integers(0, 10, N).astype(np.int32)),
            "tier": pa.array(rng.choice(["free", "pro", "Team", "o'brien"], N), mask=rng.random(N) < 0.05),
            "flag": pa.array(rng.random(N) < 0.5, mask=rng.random(N) < 0.05),
            "Mixed": pa.array(rng.integers(0, 3, N)),
        }
    )


def _duckdb(sql: str, table: pa.Table) -> list[bool]:
    with cursor() as cur:
        cur.register("t", table)
        return cur.sql(f"SELECT coalesce(NOT ({sql}), false) FROM t").to_arrow_table().column(0).to_pylist()


COMPILED = [
    "limit_amount >= amount",
    "count * 10 >= amount",
    "amount BETWEEN 0 AND 100.5",
    "amount NOT BETWEEN -1 AND 1",
    "NOT (amount < 0) AND count IS NOT NULL",
    "tier = 'free' OR tier = 'o''brien' OR count > 3",
    "tier <> 'pro'",
    "flag",
    "NOT flag OR amount > 10",
    "amount IS NULL OR amount + 1.5 > -limit_amount",
    "small * 2 + 1 < 15",
    "count - small != 0",
    "mixed >= 1",
    '"Mixed" == 2',
    "(amount > 1 AND (count < 5 OR tier IS NULL)) OR NOT (small <= 3)",
    "true",
    "1 = 1 AND amount * 2 >= amount",
]


@pytest.mark.parametrize("sql", COMPILED)
@pytest.mark.parametrize("seed", [0, 1])
def test_compiled_expression_agrees_with_duckdb(sql: str, seed: int) -> None:
    fails = compile_expression(sql)
    assert fails is not None, sql
    table = _table(seed)
    assert fails(table).to_pylist() == _duckdb(sql, table)


@pytest.mark.parametrize(
    "sql",
    [
        "amount / 2 > 1",
        "lower(tier) = 'free'",
        "tier IN ('free', 'pro')",
        "tier LIKE 'f%'",
        "tier || 'x' = 'freex'",
        "CASE WHEN flag THEN 1 ELSE 0 END = 1",
        "count % 2 = 0",
        "amount > 1e3",
        "count::DOUBLE > 1",
        "count > 99999999999999999999",
        "amount >",
    ],
)
def test_other_expressions_are_left_to_duckdb(sql: str) -> None:
    assert compile_expression(sql) is None


@pytest.mark.parametrize("sql", ["limit_amount >= amount", "count * 0.1 <= 3", "tier > 1", "nope > 1"])
def test_batches_arrow_cannot_judge_step_aside(sql: str) -> None:
    fails = compile_expression(sql)
    assert fails is not None
    with pytest.raises(Unsupported):
        fails(_table(0, nan=True))


@pytest.mark.parametrize("sql", ["limit_amount >= amount", "count * 0.1 <= 3", "amount >= 0 AND amount <= 100"])
def test_rule_mask_matches_duckdb_on_either_path(sql: str) -> None:
    """NaN (DuckDB orders it above every number) and DECIMAL arithmetic go to DuckDB and agree with it."""
    rule = expression(sql, name="r")
    for table in (_table(3), _table(4, nan=True)):
        assert failing_mask(rule, table).to_pylist() == _duckdb(sql, table)
